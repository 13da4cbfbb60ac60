import Foundation
import XCTest
import U2ADRandom
import U2ADData
import U2ADModel
import U2ADPipeline

final class MaskingInvariantTests: XCTestCase {
    /// ROI pixels per patch of the shared clinical slices (the public ones have (almost) no ROI channel).
    func realROIs() throws -> [(name: String, roi: [Float], labels: [Float])] {
        var out: [(String, [Float], [Float])] = []
        for group in ["clinical"] {
            let folder = try sharedSamples(group)
            for slice in try SliceSample.loadAll(folder) {
                out.append(("\(group)/\(slice.name)", PatchSums.of(slice.roi, size: 256, patch: 8), slice.labels))
            }
        }
        return out
    }

    func testBatchOfOneHidesOnlyROIPatchesAtTheReferenceCount() throws {
        for (name, roi, _) in try realROIs() {
            let roiPatches = roi.filter { $0 > 0 }.count
            XCTAssertGreaterThan(roiPatches, 0, name)
            for seed in 0..<20 {
                let mask = try RandomMasking.mask(roiPixels: [roi], draws: uniformDraws(rows: 1, patches: 1024, seed: UInt64(seed)))
                for l in 0..<1024 where mask.hidden[0][l] { XCTAssertGreaterThan(roi[l], 0, "\(name): non-ROI patch \(l) hidden") }
                XCTAssertEqual(mask.maskedCount, roiPatches - roiPatches / 4, name)
            }
        }
    }

    func testBatchSharesOneVisibleCount() throws {
        let rois = try realROIs().map(\.roi)
        for size in 2...min(4, rois.count) {
            let batch = Array(rois.prefix(size))
            // trunc(mean_b(n_roi * 0.25 + n_non)), the reference's len_keep.
            let keeps = batch.map { row -> Double in
                let n = Double(row.filter { $0 > 0 }.count)
                return n * 0.25 + (1024 - n)
            }
            let expected = Int(keeps.reduce(0, +) / Double(size))
            XCTAssertEqual(ReferenceMasking.visibleCount(roiPixels: batch, ratio: 0.75), expected)
            let mask = try RandomMasking.mask(roiPixels: batch, draws: uniformDraws(rows: size, patches: 1024, seed: 9))
            for b in 0..<size {
                XCTAssertEqual(mask.visible[b].count, expected)
                // Either every hidden patch is ROI, or every ROI patch is hidden (the image has fewer ROI than average).
                let roiPatches = batch[b].filter { $0 > 0 }.count
                let hiddenROI = mask.masked[b].filter { batch[b][$0] > 0 }.count
                XCTAssertTrue(hiddenROI == mask.maskedCount || hiddenROI == roiPatches, "image \(b)")
            }
        }
    }

    func testFilteredAleatoricPatchesAreNeverHidden() throws {
        for (name, roi, labels) in try realROIs() {
            var random = TestRandom(5)
            let region = labels.map { [3, 4, 6].contains(Int($0.rounded())) ? Float(1) : 0 }
            let variance = region.map { $0 * Float(random.uniform() * 0.01) }
            let error = region.map { $0 * Float(random.uniform()) }
            let filtered = ErrorFiltering.aleatoricMap(error, labels: labels, size: 256)
            let errorSums = PatchSums.of(filtered, size: 256, patch: 8)
            let varianceSums = PatchSums.of(variance, size: 256, patch: 8)
            let protected = (0..<1024).filter { errorSums[$0] > 0 }
            XCTAssertFalse(protected.isEmpty, "\(name): the filtered error map is empty")
            for seed in 0..<50 {
                for direction in VarianceDirection.allCases {
                    let mask = try UncertaintyMasking.mask(roiPixels: [roi], variance: [varianceSums], error: [errorSums],
                                                           draws: uniformDraws(rows: 1, patches: 1024, seed: UInt64(seed)), direction: direction)
                    for l in protected { XCTAssertFalse(mask.hidden[0][l], "\(name): patch \(l) has filtered error but is hidden") }
                    for l in 0..<1024 where mask.hidden[0][l] { XCTAssertGreaterThan(roi[l], 0) }
                }
            }
        }
    }

    /// Half of the ROI patches get a much higher variance; count how often each half is hidden.
    func testVarianceWeightingShiftsMaskingFrequencies() throws {
        var roi = [Float](repeating: 0, count: 1024)
        let roiPatches = Array(300..<400)
        for l in roiPatches { roi[l] = 64 }
        var variance = [Float](repeating: 0, count: 1024)
        for (i, l) in roiPatches.enumerated() { variance[l] = i % 2 == 0 ? 2.0 : 0.01 }
        func hiddenFrequencies(_ direction: VarianceDirection) throws -> (high: Double, low: Double) {
            var high = 0, low = 0
            for seed in 0..<400 {
                let mask = try UncertaintyMasking.mask(roiPixels: [roi], variance: [variance],
                                                       draws: uniformDraws(rows: 1, patches: 1024, seed: UInt64(1000 + seed)),
                                                       direction: direction)
                for (i, l) in roiPatches.enumerated() where mask.hidden[0][l] { if i % 2 == 0 { high += 1 } else { low += 1 } }
            }
            let draws = Double(400 * roiPatches.count / 2)
            return (Double(high) / draws, Double(low) / draws)
        }
        let reference = try hiddenFrequencies(.reference)
        let opposite = try hiddenFrequencies(.maskHighVariance)
        // 75 of the 100 ROI patches are hidden each time; the weighting moves which.
        XCTAssertEqual((reference.high + reference.low) / 2, 0.75, accuracy: 1e-9)
        XCTAssertLessThan(reference.high, reference.low - 0.05, "reference formula: high variance stays visible more often")
        XCTAssertGreaterThan(opposite.high, opposite.low + 0.05, "mask-high-variance: high variance is hidden more often")
    }

    func testROIPatchesWithoutVarianceStayVisibleFirst() throws {
        var roi = [Float](repeating: 0, count: 1024), variance = [Float](repeating: 0, count: 1024)
        for l in 500..<540 { roi[l] = 10; variance[l] = l < 505 ? 0 : 0.02 }
        let mask = try UncertaintyMasking.mask(roiPixels: [roi], variance: [variance], draws: uniformDraws(rows: 1, patches: 1024, seed: 3))
        for l in 500..<505 { XCTAssertFalse(mask.hidden[0][l]) }
        XCTAssertEqual(mask.maskedCount, 40 - 10)
    }

    func testBadValuesDoNotCrash() throws {
        var roi = [Float](repeating: 0, count: 1024)
        for l in 0..<64 { roi[l] = 64 }
        var variance = [Float](repeating: .nan, count: 1024)
        variance[3] = .infinity
        variance[4] = 0.5
        let mask = try UncertaintyMasking.mask(roiPixels: [roi], variance: [variance], error: [[Float](repeating: .nan, count: 1024)],
                                               draws: uniformDraws(rows: 1, patches: 1024, seed: 1))
        XCTAssertEqual(mask.maskedCount, 48)
        // No ROI at all: nothing is hidden (the reference's loss would be 0/0; the trainer skips such batches).
        let empty = try RandomMasking.mask(roiPixels: [[Float](repeating: 0, count: 1024)], draws: uniformDraws(rows: 1, patches: 1024, seed: 1))
        XCTAssertEqual(empty.maskedCount, 0)
        XCTAssertEqual(ErrorFiltering.filter([Float](repeating: .nan, count: 16), size: 4), [Float](repeating: 0, count: 16))
    }

    func testMaskNoiseIsAddressed() {
        let a = MaskNoise.draws(key: RandomKey(seed: 7), step: 3, images: [0, 5], patches: 16)
        let b = MaskNoise.draws(key: RandomKey(seed: 7), step: 3, images: [5], patches: 16)
        XCTAssertEqual(a[1], b[0])
        XCTAssertNotEqual(a[0], a[1])
        XCTAssertNotEqual(MaskNoise.draws(key: RandomKey(seed: 7), step: 4, images: [5], patches: 16), b)
        XCTAssertTrue(a.joined().allSatisfy { $0 >= 0 && $0 < 1 })
    }
}
