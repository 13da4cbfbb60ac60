import Foundation
import XCTest
import U2ADRuntime

/// The backends every op is tested on: the CPU backend and the first OpenCL device (PoCL in CI, a GPU first
/// when there is one). On CI a missing OpenCL device is a failure; elsewhere the OpenCL half is skipped.
public func backendsUnderTest(file: StaticString = #filePath, line: UInt = #line) throws -> [Backend] {
    var backends: [Backend] = [CPUBackend()]
    if let device = openCLDeviceForTests {
        backends.append(try OpenCLBackend(device: device))
    } else if ProcessInfo.processInfo.environment["CI"] != nil {
        XCTFail("CI must test the OpenCL backend, but no OpenCL device was found (install pocl-opencl-icd)", file: file, line: line)
    } else {
        print("note: no OpenCL device found; testing the CPU backend only")
    }
    return backends
}

public let openCLDeviceForTests: OpenCLDevice? = {
    let devices = OpenCLDevice.all()
    return devices.first(where: { $0.type == .gpu }) ?? devices.first
}()

/// Seeded generator for test data (SplitMix64).
public struct TestRandom {
    public var state: UInt64
    public init(_ seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    public mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
    public mutating func floats(_ count: Int, scale: Double = 1) -> [Float] { (0..<count).map { _ in Float(normal() * scale) } }
}

/// max |a - b| / max |b|: the error measure used against float64 references.
public func relativeError(_ actual: [Float], _ expected: [Double]) -> Double {
    precondition(actual.count == expected.count, "length \(actual.count) vs \(expected.count)")
    var worst = 0.0, scale = 1e-30
    for (a, e) in zip(actual, expected) {
        worst = max(worst, abs(Double(a) - e))
        scale = max(scale, abs(e))
    }
    return worst / scale
}

public func assertClose(_ actual: [Float], _ expected: [Double], _ tolerance: Double, _ message: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    let error = relativeError(actual, expected)
    XCTAssertLessThanOrEqual(error, tolerance, "\(message): relative error \(error)", file: file, line: line)
}

public func label(_ backend: Backend) -> String { backend.kind.rawValue }

/// The repository root.
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `Tests/Fixtures/<path>`.
public func fixtureURL(_ path: String) -> URL {
    repositoryRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(path)
}

/// `../shared/data/<path>` beside the repository, or nil when absent.
public func sharedDataURL(_ path: String) -> URL? {
    let url = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data").appendingPathComponent(path)
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
}
