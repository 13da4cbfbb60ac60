import Foundation
import XCTest
@testable import U2ADRuntime

func backendsUnderTest(file: StaticString = #filePath, line: UInt = #line) throws -> [Backend] {
    var backends: [Backend] = [CPUBackend()]
    let devices = OpenCLDevice.all()
    if let device = devices.first(where: { $0.type == .gpu }) ?? devices.first {
        backends.append(try OpenCLBackend(device: device))
    } else if ProcessInfo.processInfo.environment["CI"] != nil {
        XCTFail("CI must test the OpenCL backend, but no OpenCL device was found", file: file, line: line)
    }
    return backends
}

struct TestRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
    mutating func floats(_ count: Int, scale: Double = 1) -> [Float] { (0..<count).map { _ in Float(normal() * scale) } }
}

func relativeError(_ actual: [Float], _ expected: [Double]) -> Double {
    precondition(actual.count == expected.count, "length \(actual.count) vs \(expected.count)")
    var worst = 0.0, scale = 1e-30
    for (a, e) in zip(actual, expected) {
        worst = max(worst, abs(Double(a) - e))
        scale = max(scale, abs(e))
    }
    return worst / scale
}

func assertClose(_ actual: [Float], _ expected: [Double], _ tolerance: Double, _ message: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    let error = relativeError(actual, expected)
    XCTAssertLessThanOrEqual(error, tolerance, "\(message): relative error \(error)", file: file, line: line)
}

/// `Tests/Fixtures/<path>`.
func fixtureURL(_ path: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(path)
}

/// `../shared/data/<path>` beside the repository, or nil when absent.
func sharedDataURL(_ path: String) -> URL? {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let url = root.deletingLastPathComponent().appendingPathComponent("shared/data").appendingPathComponent(path)
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
}
