import Foundation
import XCTest
import U2ADData
import U2ADModel
import U2ADPipeline
@testable import U2ADRuntime
@_exported import U2ADTestSupport



/// `../shared/data/u2ad-samples/<group>` beside the repository; skips the test when absent.
func sharedSamples(_ group: String) throws -> URL { try sharedData("u2ad-samples/" + group) }


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
    { model, slices, options in
        calls?.pointee += 1
        let scale = Float(abs(try model.parameters.get("rec_pred.bias").first ?? 0) + 0.01)
        return slices.map { slice in
            let region = slice.labelMask(Set(options.roiLabels))
            let variance = zip(slice.image, region).map { $1 * ($0 * 0.01 + scale * 0.001) }
            let error = zip(slice.image, region).map { $1 * abs($0 - 0.5) * scale }
            return SliceUncertainty(variance: variance, error: error)
        }
    }
}

/// A uniform draw table from a seed.
func uniformDraws(rows: Int, patches: Int, seed: UInt64) -> [[Float]] {
    var random = TestRandom(seed)
    return random.uniformTable(rows: rows, columns: patches)
}
