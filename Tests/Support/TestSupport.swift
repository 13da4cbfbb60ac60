import Foundation
import XCTest
import U2ADData
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

/// Seeded generator for test data.
public struct TestRandom {
    private var generator: SplitMix64
    public init(_ seed: UInt64) { generator = SplitMix64(seed: seed) }
    public mutating func next() -> UInt64 { generator.next() }
    public mutating func uniform() -> Double { generator.uniform() }
    public mutating func normal() -> Double { generator.normal() }
    public mutating func floats(_ count: Int, scale: Double = 1) -> [Float] { (0..<count).map { _ in Float(normal() * scale) } }
}

/// max |a - b| / max |b|: the error measure used against float64 references.
public func relativeError(_ actual: [Float], _ expected: [Double]) -> Double {
    precondition(actual.count == expected.count, "length \(actual.count) vs \(expected.count)")
    var worst = 0.0, scale = 1e-30
    for (a, e) in zip(actual, expected) {
        // `max` would skip a NaN: any non-finite value where the reference is finite fails outright.
        if !a.isFinite && e.isFinite { return .infinity }
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
