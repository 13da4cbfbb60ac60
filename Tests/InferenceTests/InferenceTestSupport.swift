import Foundation
import XCTest
import U2ADData
import U2ADModel
import U2ADRuntime
@testable import U2ADPipeline

/// A small network (16-pixel patches, narrow layers) that keeps debug-build inference fast.
let tinyConfiguration = UGMAEConfiguration(imageSize: 256, patchSize: 16, embedDim: 32, depth: 1, heads: 2,
                                           decoderEmbedDim: 16, decoderDepth: 1, decoderHeads: 2)

/// The reference geometry (8-pixel patches, 1024 patches) with narrow layers.
let narrowConfiguration = UGMAEConfiguration(imageSize: 256, patchSize: 8, embedDim: 32, depth: 1, heads: 2,
                                             decoderEmbedDim: 16, decoderDepth: 1, decoderHeads: 2)

func randomModel(_ configuration: UGMAEConfiguration = tinyConfiguration, backend: Backend = CPUBackend(), seed: UInt64 = 11) throws -> UGMAE {
    let model = try UGMAE(configuration: configuration, backend: backend)
    model.initializeRandomly(seed: seed)
    return model
}

/// A synthetic sagittal slice from the phantom, with a lesion when asked.
func phantomSlice(seed: UInt64, name: String, lesion: Bool = false) -> SliceSample {
    var options = PhantomOptions()
    if lesion { options.lesions = [PhantomLesion(semiAxisAlong: 6, semiAxisAcross: 2, contrast: 0.6)] }
    let sample = Phantom.generate(seed: seed, options: options)
    return SliceSample(name: name, size: 256, image: sample.slice.image.pixels, roi: sample.slice.roi.pixels, labels: sample.slice.labels.pixels)
}

/// `../shared/data/<path>` beside the repository; skips the test when absent.
func sharedData(_ path: String) throws -> URL {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let url = root.deletingLastPathComponent().appendingPathComponent("shared/data").appendingPathComponent(path)
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw XCTSkip("shared data \(url.path) is absent (the u2ad-samples set lives beside the repository)")
    }
    return url
}

/// `Tests/Fixtures/<path>`.
func fixture(_ path: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(path)
}

/// The first OpenCL device (a GPU when there is one). A missing device fails on CI and skips elsewhere.
func openCLBackend(file: StaticString = #filePath, line: UInt = #line) throws -> Backend {
    let devices = OpenCLDevice.all()
    guard let device = devices.first(where: { $0.type == .gpu }) ?? devices.first else {
        if ProcessInfo.processInfo.environment["CI"] != nil {
            XCTFail("CI must test the OpenCL backend, but no OpenCL device was found (install pocl-opencl-icd)", file: file, line: line)
        }
        throw XCTSkip("no OpenCL device found")
    }
    return try OpenCLBackend(device: device)
}

func temporaryFolder(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("u2ad-inference-tests-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "lengths \(a.count) and \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
