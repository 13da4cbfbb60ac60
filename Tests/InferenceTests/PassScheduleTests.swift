import XCTest
import U2ADRandom
@testable import U2ADPipeline

final class PassScheduleTests: XCTestCase {
    func testHiddenCountIsTheReferenceCount() {
        // random_masking with one image: floor(n (1 - ratio)) ROI patches stay visible (float32).
        XCTAssertEqual(PassSchedule.hiddenCount(roiPatches: 57, patchCount: 1024, ratio: 0.75), 43)
        XCTAssertEqual(PassSchedule.hiddenCount(roiPatches: 18, patchCount: 1024, ratio: 0.75), 14)
        XCTAssertEqual(PassSchedule.hiddenCount(roiPatches: 10, patchCount: 1024, ratio: 0.7), 7)
        XCTAssertEqual(PassSchedule.hiddenCount(roiPatches: 3, patchCount: 1024, ratio: 0.75), 3)
        XCTAssertEqual(PassSchedule.hiddenCount(roiPatches: 32, patchCount: 1024, ratio: 0), 0)
        XCTAssertEqual(PassSchedule.hiddenCount(roiPatches: 32, patchCount: 1024, ratio: 1), 32)
        for n in 1...1024 {
            let keep = Float(n) * Float(1 - 0.75) + Float(1024 - n)
            XCTAssertEqual(PassSchedule.hiddenCount(roiPatches: n, patchCount: 1024, ratio: 0.75), 1024 - Int(keep))
        }
    }

    /// Every ROI patch is hidden at least k times in ceil(k n / h) <= ceil(k / ratio) + 1 passes, each pass
    /// hides exactly h distinct ROI patches, and each patch keeps exactly k samples taken from its hidden passes.
    func testBalancedScheduleCoversEveryROIPatchKTimesOverManyShapes() {
        var random = RandomKey(seed: 99).stream()
        let ratios = [0.05, 0.1, 0.25, 0.3, 0.5, 0.7, 0.75, 0.9, 1.0]
        let ks = [1, 2, 3, 5, 10, 17]
        var shapes: [[Int]] = []
        for _ in 0..<60 { shapes.append(cordLikeROI(&random)) }
        for n in [3, 4, 5, 7, 8, 13, 31, 32, 57, 100, 255, 512, 1000, 1024] {
            shapes.append(Array(random.shuffled(Array(0..<1024)).prefix(n)))
        }
        var checked = 0
        for (s, roi) in shapes.enumerated() {
            for t in 0..<4 {
                let ratio = ratios[(s + 3 * t) % ratios.count], k = ks[(s * 7 + t) % ks.count]
                let schedule = PassSchedule.balanced(roiPatches: roi, patchCount: 1024, samplesPerPatch: k, ratio: ratio, key: RandomKey(seed: UInt64(s * 10 + t)))
                assertBalanced(schedule, roi: roi, k: k, ratio: ratio)
                checked += 1
            }
        }
        XCTAssertEqual(checked, shapes.count * 4)
    }

    private func assertBalanced(_ schedule: PassSchedule, roi: [Int], k: Int, ratio: Double, file: StaticString = #filePath, line: UInt = #line) {
        let n = roi.count, h = PassSchedule.hiddenCount(roiPatches: n, patchCount: 1024, ratio: ratio)
        let context = "n \(n), ratio \(ratio), k \(k)"
        XCTAssertEqual(schedule.hiddenCount, h, context, file: file, line: line)
        let bound = Int((Double(k) / ratio).rounded(.up)) + 1
        XCTAssertLessThanOrEqual(schedule.passCount, bound, context, file: file, line: line)
        XCTAssertEqual(schedule.passCount, (k * n + h - 1) / h, context, file: file, line: line)
        let roiSet = Set(roi)
        for pass in schedule.passes {
            XCTAssertEqual(pass.hidden.count, h, context, file: file, line: line)
            XCTAssertEqual(Set(pass.hidden).count, h, "a pass hides a patch twice: \(context)", file: file, line: line)
            XCTAssertTrue(Set(pass.hidden).isSubset(of: roiSet), "a pass hides a non-ROI patch: \(context)", file: file, line: line)
            XCTAssertTrue(Set(pass.sampled).isSubset(of: Set(pass.hidden)), context, file: file, line: line)
        }
        let counts = schedule.counts()
        for l in roi {
            XCTAssertGreaterThanOrEqual(counts.hidden[l, default: 0], k, "patch \(l): \(context)", file: file, line: line)
            XCTAssertEqual(counts.sampled[l, default: 0], k, "patch \(l): \(context)", file: file, line: line)
        }
    }

    /// A random cord-like band of patches on the 32 x 32 grid (a wandering column, 1 to 3 patches wide).
    private func cordLikeROI(_ random: inout RandomStream) -> [Int] {
        let top = random.below(12), bottom = 20 + random.below(12)
        var column = 8 + random.below(16)
        var patches = Set<Int>()
        for r in top...bottom {
            column = min(max(column + random.below(3) - 1, 0), 29)
            for c in column..<(column + 1 + random.below(3)) { patches.insert(r * 32 + c) }
        }
        return patches.sorted()
    }

    func testCoverageScheduleRunsUntilEveryPatchWasHiddenKTimes() {
        var random = RandomKey(seed: 5).stream()
        for trial in 0..<40 {
            let n = 3 + random.below(80), k = 1 + random.below(12)
            let ratio = [0.3, 0.5, 0.7, 0.75, 0.9][trial % 5]
            let roi = Array(random.shuffled(Array(0..<1024)).prefix(n))
            let schedule = PassSchedule.coverage(roiPatches: roi, patchCount: 1024, samplesPerPatch: k, ratio: ratio, key: RandomKey(seed: UInt64(trial)))
            let h = PassSchedule.hiddenCount(roiPatches: n, patchCount: 1024, ratio: ratio)
            var hidden: [Int: Int] = [:], sampled: [Int: Int] = [:]
            for (j, pass) in schedule.passes.enumerated() {
                XCTAssertTrue(roi.contains { (hidden[$0] ?? 0) < k }, "pass \(j) ran although every patch had k samples")
                XCTAssertEqual(pass.hidden.count, h)
                XCTAssertTrue(Set(pass.hidden).isSubset(of: Set(roi)))
                // Each hidden patch is sampled while it has fewer than k samples (the reference's first k).
                XCTAssertEqual(pass.sampled, pass.hidden.filter { (hidden[$0] ?? 0) < k })
                for l in pass.hidden { hidden[l, default: 0] += 1 }
                for l in pass.sampled { sampled[l, default: 0] += 1 }
            }
            XCTAssertTrue(roi.allSatisfy { hidden[$0, default: 0] >= k && sampled[$0, default: 0] == k }, "n \(n), k \(k)")
        }
    }

    func testCoverageScheduleStopsAtTheCap() {
        let roi = Array(0..<200)
        let schedule = PassSchedule.coverage(roiPatches: roi, patchCount: 1024, samplesPerPatch: 60, ratio: 0.1, key: RandomKey(seed: 3))
        XCTAssertEqual(schedule.passCount, 400)
        XCTAssertTrue(roi.contains { schedule.counts().hidden[$0, default: 0] < 60 })
        XCTAssertEqual(PassSchedule.coverage(roiPatches: roi, patchCount: 1024, samplesPerPatch: 60, ratio: 0.1, key: RandomKey(seed: 3), maxPasses: 25).passCount, 25)
    }

    func testFixedPassCountSamplesEveryHiddenPatch() {
        let roi = Array(100..<140)
        for schedule in [PassSchedule.balanced(roiPatches: roi, patchCount: 1024, samplesPerPatch: 10, ratio: 0.75, key: RandomKey(seed: 1), fixedPassCount: 7),
                         PassSchedule.coverage(roiPatches: roi, patchCount: 1024, samplesPerPatch: 10, ratio: 0.75, key: RandomKey(seed: 1), fixedPassCount: 7)] {
            XCTAssertEqual(schedule.passCount, 7)
            for pass in schedule.passes { XCTAssertEqual(pass.sampled, pass.hidden) }
        }
    }

    func testRatioZeroHidesNothingAndSamplesEveryPatch() {
        let roi = [40, 7, 9]
        let schedule = PassSchedule.balanced(roiPatches: roi, patchCount: 1024, samplesPerPatch: 4, ratio: 0, key: RandomKey(seed: 1))
        XCTAssertEqual(schedule.passCount, 4)
        XCTAssertEqual(schedule.hiddenCount, 0)
        for pass in schedule.passes {
            XCTAssertEqual(pass.hidden, [])
            XCTAssertEqual(pass.sampled, [7, 9, 40])
        }
    }

    func testSchedulesDependOnlyOnTheSeed() {
        let roi = Array(300..<350)
        let a = PassSchedule.balanced(roiPatches: roi, patchCount: 1024, samplesPerPatch: 5, ratio: 0.75, key: RandomKey(seed: 8))
        XCTAssertEqual(a, PassSchedule.balanced(roiPatches: roi, patchCount: 1024, samplesPerPatch: 5, ratio: 0.75, key: RandomKey(seed: 8)))
        XCTAssertNotEqual(a, PassSchedule.balanced(roiPatches: roi, patchCount: 1024, samplesPerPatch: 5, ratio: 0.75, key: RandomKey(seed: 9)))
        let c = PassSchedule.coverage(roiPatches: roi, patchCount: 1024, samplesPerPatch: 5, ratio: 0.75, key: RandomKey(seed: 8))
        XCTAssertEqual(c, PassSchedule.coverage(roiPatches: roi, patchCount: 1024, samplesPerPatch: 5, ratio: 0.75, key: RandomKey(seed: 8)))
    }
}
