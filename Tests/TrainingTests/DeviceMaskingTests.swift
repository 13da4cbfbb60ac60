import Foundation
import XCTest
import U2ADData
import U2ADModel
import U2ADPipeline
import U2ADRuntime

/// `rank_patches` (OpenCL) and its CPU twin give the masks of the host rules for the same seed.
final class DeviceMaskingTests: XCTestCase {
    func testDeviceMasksMatchTheHostRules() throws {
        var slices = try SliceSample.loadAll(try sharedSamples("clinical"))
        slices += slices  // six images, two of each
        let roi = slices.map { PatchSums.of($0.roi, size: 256, patch: 8) }
        var random = SplitMix64(seed: 21)
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
                    let draws = MaskNoise.draws(seed: 99, step: step, images: images, patches: 1024)
                    let expected = try settings.mask(strategy, inputs: batchInputs, draws: draws)
                    for backend in backends {
                        let mask = try DeviceMasking(backend: backend).mask(strategy, settings: settings, inputs: batchInputs,
                                                                            seed: 99, step: step, images: images)
                        XCTAssertEqual(mask, expected, "\(backend.kind.rawValue) \(strategy.rawValue) \(direction.rawValue) batch \(batch)")
                    }
                }
            }
        }
    }

    func testOrderListsVisibleThenHiddenPatches() throws {
        // 300 patches (not a power of two), and 3000 (beyond the kernel's 2048: the host twin runs).
        for count in [300, 3000] {
            let nonROI = count * 2 / 3, visibleCount = nonROI + (count - nonROI) / 4
            var lists: [[Int]] = []
            for backend in try backendsUnderTest() {
                let roi = (0..<count).map { Float($0 >= nonROI ? 64 : 0) }
                let images = try backend.makeIndexBuffer([7, 8])
                let order = try backend.makeBuffer(count: 2 * count, shape: [2, count], elementType: .int32)
                backend.rankPatches(roi: try backend.makeBuffer(roi + roi), weights: nil, images: images, into: order,
                                    ranking: PatchRanking(rows: 2, patches: count, visibleCount: visibleCount, seed: 5, step: 2, stream: 1))
                let all = backend.downloadInts(order).map(Int.init)
                for row in 0..<2 {
                    let list = Array(all[(row * count)..<((row + 1) * count)])
                    XCTAssertEqual(Set(list), Set(0..<count), backend.kind.rawValue)
                    let visible = Array(list[0..<visibleCount]), hidden = Array(list[visibleCount...])
                    XCTAssertEqual(visible, visible.sorted())
                    XCTAssertEqual(hidden, hidden.sorted())
                    XCTAssertTrue(hidden.allSatisfy { $0 >= nonROI }, "only ROI patches are hidden")
                    XCTAssertEqual(Array(visible.prefix(nonROI)), Array(0..<nonROI))
                }
                XCTAssertNotEqual(all[0..<count], all[count...], "rows draw from their own streams")
                lists.append(all)
            }
            for other in lists.dropFirst() { XCTAssertEqual(other, lists[0], "\(count) patches") }
        }
    }
}
