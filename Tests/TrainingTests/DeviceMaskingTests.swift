import Foundation
import XCTest
import U2ADData
import U2ADModel
import U2ADPipeline
import U2ADRandom
import U2ADRuntime

/// `rank_patches` (OpenCL) and its CPU twin give the masks of the host rules for the same key.
final class DeviceMaskingTests: XCTestCase {
    func testDeviceMasksMatchTheHostRules() throws {
        var slices = try SliceSample.loadAll(try sharedSamples("clinical"))
        slices += slices  // six images, two of each
        let roi = slices.map { PatchSums.of($0.roi, size: 256, patch: 8) }
        var random = TestRandom(21)
        let variance = slices.map { slice in PatchSums.of(slice.roi.map { $0 * Float(random.uniform() * 0.05) }, size: 256, patch: 8) }
        let error = variance.map { row in row.enumerated().map { $0.offset % 7 == 0 ? $0.element : 0 } }
        let inputs = (0..<slices.count).map { MaskingInput(roiPixels: roi[$0], variance: variance[$0], error: error[$0]) }
        let backends = try backendsUnderTest()
        for strategy in MaskingStrategy.allCases {
            for direction in VarianceDirection.allCases {
                let settings = MaskingSettings(direction: direction)
                for (step, batch) in [[0], [1, 2], [3, 4, 5], [0, 1, 2, 3, 4, 5]].enumerated() {
                    let images = batch.map { $0 * 3 + 1 }  // training-set indices, the draws' streams
                    let batchInputs = batch.map { inputs[$0] }
                    let draws = MaskNoise.draws(key: RandomKey(seed: 99), step: step, images: images, patches: 1024)
                    let expected = try settings.mask(strategy, inputs: batchInputs, draws: draws)
                    for backend in backends {
                        let mask = try DeviceMasking(backend: backend).mask(strategy, settings: settings, inputs: batchInputs,
                                                                            key: RandomKey(seed: 99), step: step, images: images)
                        XCTAssertEqual(mask, expected, "\(backend.kind.rawValue) \(strategy.rawValue) \(direction.rawValue) batch \(batch)")
                    }
                }
            }
        }
    }
}
