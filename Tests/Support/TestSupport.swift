import Foundation
import XCTest
import U2ADData
import U2ADRandom
import U2ADRuntime

// Helpers every test target shares: the backends under test, seeded data, float64 comparisons, and where fixtures,
// shared data and temporary folders are.

// MARK: Backends

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

/// The OpenCL backend of ``openCLDeviceForTests``; a missing device fails on CI and skips elsewhere.
public func openCLBackend(file: StaticString = #filePath, line: UInt = #line) throws -> Backend {
    guard let device = openCLDeviceForTests else {
        if ProcessInfo.processInfo.environment["CI"] != nil {
            XCTFail("CI must test the OpenCL backend, but no OpenCL device was found (install pocl-opencl-icd)", file: file, line: line)
        }
        throw XCTSkip("no OpenCL device found")
    }
    return try OpenCLBackend(device: device)
}

public func label(_ backend: Backend) -> String { backend.kind.rawValue }

// MARK: Seeded data

/// Seeded test data from the project's one generator.
public struct TestRandom {
    private var stream: RandomStream
    public init(_ seed: UInt64) { stream = RandomKey(seed: seed).split(.testData).stream() }
    public mutating func next() -> UInt64 { stream.next() }
    public mutating func uniform() -> Double { stream.uniform() }
    public mutating func normal() -> Double { stream.normal() }
    public mutating func floats(_ count: Int, scale: Double = 1) -> [Float] { (0..<count).map { _ in Float(normal() * scale) } }
    /// Uniform draws in [0, 1), `[rows][columns]`.
    public mutating func uniformTable(rows: Int, columns: Int) -> [[Float]] {
        (0..<rows).map { _ in (0..<columns).map { _ in Float(uniform()) } }
    }
}

// MARK: Comparisons

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

/// Element-wise `|a - b| <= tolerance`.
public func assertClose(_ a: [Double], _ b: [Double], tolerance: Double, _ message: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) where !(abs(x - y) <= tolerance) {
        XCTFail("\(a) != \(b) within \(tolerance) \(message)", file: file, line: line)
        return
    }
}

public func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "lengths \(a.count) and \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

// MARK: Files

/// The repository root (symlinks resolved, so a scratch package that links the sources works too).
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `Tests/Fixtures/<path>`.
public func fixtureURL(_ path: String) -> URL {
    repositoryRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(path)
}

/// `../shared/data/<path>` beside the repository, or nil when absent.
public func sharedDataURL(_ path: String) -> URL? {
    let url = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data").appendingPathComponent(path)
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
}

/// `../shared/data/<path>`, or a skip naming where it was expected.
public func sharedData(_ path: String) throws -> URL {
    guard let url = sharedDataURL(path) else {
        let expected = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data").appendingPathComponent(path)
        throw XCTSkip("shared data not found at \(expected.path) (the real MRI lives in ../shared/data beside the repository)")
    }
    return url
}

/// A fresh temporary folder, removed when the test ends.
public func temporaryFolder(_ test: XCTestCase, _ name: String = "test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("u2ad-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A JSON file as nested Foundation objects.
public func loadJSON(_ url: URL) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    return try XCTUnwrap(object as? [String: Any])
}
