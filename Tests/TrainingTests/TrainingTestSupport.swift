import Foundation
import XCTest
import U2ADData
import U2ADModel
import U2ADPipeline
@testable import U2ADRuntime

/// CPU plus the first OpenCL device (a GPU if any); in CI a missing OpenCL device fails the test.
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

/// `Tests/Fixtures/<path>`.
func fixtureURL(_ path: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(path)
}

/// `../shared/data/u2ad-samples/<group>` beside the repository; skips the test when absent.
func sharedSamples(_ group: String) throws -> URL {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let url = root.deletingLastPathComponent().appendingPathComponent("shared/data/u2ad-samples").appendingPathComponent(group)
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw XCTSkip("shared sample slices not found at \(url.path)")
    }
    return url
}

/// A fresh temporary folder, removed at the end of the test.
func temporaryFolder(_ testCase: XCTestCase, _ name: String = "run") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("u2ad-training-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Copies the given shared slices into a temporary training folder.
func trainingFolder(_ testCase: XCTestCase, group: String, files: [String]) throws -> URL {
    let source = try sharedSamples(group)
    let folder = try temporaryFolder(testCase, "data")
    for file in files {
        try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: folder.appendingPathComponent(file))
    }
    return folder
}

/// A small network that trains in seconds in a debug build (16-pixel patches: 256 tokens).
let tinyConfiguration = UGMAEConfiguration(patchSize: 16, embedDim: 32, depth: 1, heads: 4, decoderEmbedDim: 32, decoderDepth: 1, decoderHeads: 4)

/// A deterministic stand-in for MC inference: variance and error derived from the image and the
/// weights' current values, so the maps change as training proceeds.
func fakeUncertaintySource(calls: UnsafeMutablePointer<Int>? = nil) -> UncertaintySource {
    { model, slices, request in
        calls?.pointee += 1
        let scale = Float(abs(model.parameters.get("rec_pred.bias").first ?? 0) + 0.01)
        return slices.map { slice in
            let region = slice.labelMask(Set(request.labels))
            let variance = zip(slice.image, region).map { $1 * ($0 * 0.01 + scale * 0.001) }
            let error = zip(slice.image, region).map { $1 * abs($0 - 0.5) * scale }
            return SliceUncertainty(variance: variance, error: error)
        }
    }
}

/// A uniform draw table from a seed.
func uniformDraws(rows: Int, patches: Int, seed: UInt64) -> [[Float]] {
    var random = SplitMix64(seed: seed)
    return (0..<rows).map { _ in (0..<patches).map { _ in Float(random.uniform()) } }
}
