import XCTest
@testable import U2ADPipeline

final class MetricsTests: XCTestCase {
    func testAUROC() {
        // scikit-learn's roc_auc_score example.
        XCTAssertEqual(RankingMetrics.auroc(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true])!, 0.75, accuracy: 1e-12)
        // Ties count one half: positives at ranks 2.5 and 4 -> (6.5 - 3) / 4.
        XCTAssertEqual(RankingMetrics.auroc(scores: [0.1, 0.5, 0.5, 0.9], labels: [false, false, true, true])!, 0.875, accuracy: 1e-12)
        XCTAssertEqual(RankingMetrics.auroc(scores: [0.5, 0.5, 0.5, 0.5], labels: [false, true, false, true])!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(RankingMetrics.auroc(scores: [3, 2, 1], labels: [false, false, true])!, 0, accuracy: 1e-12)
        XCTAssertNil(RankingMetrics.auroc(scores: [0.1, 0.2], labels: [true, true]), "single class")
        XCTAssertNil(RankingMetrics.auroc(scores: [], labels: []))
    }

    func testAveragePrecision() {
        // scikit-learn's average_precision_score example: 0.8333.
        XCTAssertEqual(RankingMetrics.averagePrecision(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true])!, 5.0 / 6, accuracy: 1e-12)
        // Tied top pair (one positive): P = 1/2 at R = 1/2, then P = 2/3 at R = 1 -> 1/4 + 1/3.
        XCTAssertEqual(RankingMetrics.averagePrecision(scores: [0.5, 0.5, 0.2], labels: [true, false, true])!, 7.0 / 12, accuracy: 1e-12)
        XCTAssertNil(RankingMetrics.averagePrecision(scores: [0.3, 0.4], labels: [false, false]), "single class")
        XCTAssertNil(RankingMetrics.averagePrecision(scores: [0.3, 0.4], labels: [true, true]), "single class")
    }

    func testBestDice() {
        let best = RankingMetrics.bestDice(scores: [0.9, 0.8, 0.3, 0.1], labels: [true, false, true, false])!
        XCTAssertEqual(best.dice, 0.8, accuracy: 1e-12)
        XCTAssertEqual(best.threshold, 0.3)
        XCTAssertEqual(RankingMetrics.bestDice(scores: [0.5, 0.5], labels: [true, false])!.dice, 2.0 / 3, accuracy: 1e-12)
        XCTAssertNil(RankingMetrics.bestDice(scores: [0.5], labels: [false]))
    }

    func testDecisionMetrics() {
        let m = DecisionMetrics([(true, true), (true, false), (false, false), (false, false), (false, true), (true, true)].map { (predicted: $0.0, actual: $0.1) })
        XCTAssertEqual([m.truePositives, m.falsePositives, m.trueNegatives, m.falseNegatives], [2, 1, 2, 1])
        XCTAssertEqual(m.precision!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.recall!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.specificity!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.f1!, 4.0 / 6, accuracy: 1e-12)
        let negatives = DecisionMetrics([(predicted: false, actual: false)])
        XCTAssertNil(negatives.precision)
        XCTAssertNil(negatives.recall)
        XCTAssertNil(negatives.f1)
        XCTAssertEqual(negatives.specificity, 1)
    }

    func testLevelMetricsLeaveOutUnscoredItems() {
        let level = LevelMetrics(scores: [0.9, nil, 0.2, 0.6], truth: [true, true, false, false], threshold: 0.5)
        XCTAssertEqual(level.count, 3)
        XCTAssertEqual(level.excluded, 1)
        XCTAssertEqual(level.positives, 1)
        XCTAssertEqual(level.truePositives, 1)
        XCTAssertEqual(level.falsePositives, 1)
        XCTAssertEqual(level.precision!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(level.auroc!, 1, accuracy: 1e-12)
        XCTAssertNil(LevelMetrics(scores: [0.9], truth: [true], threshold: nil).truePositives)
    }

    func testStructuralSimilarity() {
        let image = (0..<(32 * 32)).map { Float(($0 * 37) % 101) / 100 }
        XCTAssertEqual(StructuralSimilarity.mean(image, image, rows: 32, cols: 32)!, 1, accuracy: 1e-9)
        // Constant images: luminance term only, (2ab + C1) / (a^2 + b^2 + C1).
        let a = [Float](repeating: 0.25, count: 16 * 16), b = [Float](repeating: 0.75, count: 16 * 16)
        let c1 = 0.0001, expected = (2 * 0.25 * 0.75 + c1) / (0.0625 + 0.5625 + c1)
        XCTAssertEqual(StructuralSimilarity.mean(a, b, rows: 16, cols: 16)!, expected, accuracy: 1e-9)
        var mask = [Float](repeating: 0, count: 16 * 16)
        XCTAssertNil(StructuralSimilarity.mean(a, b, rows: 16, cols: 16, mask: mask))
        mask[5] = 1
        XCTAssertEqual(StructuralSimilarity.mean(a, b, rows: 16, cols: 16, mask: mask)!, expected, accuracy: 1e-9)
    }

    func testThresholdCalibrationAtAFalsePositiveRate() {
        let scores = (1...20).map(Double.init)
        // 5% of 20 = 1 allowed above: the second largest.
        XCTAssertEqual(DetectionThresholds.threshold(normalScores: scores, falsePositiveRate: 0.05), 19)
        XCTAssertEqual(DetectionThresholds.threshold(normalScores: scores, falsePositiveRate: 0), 20)
        XCTAssertEqual(DetectionThresholds.threshold(normalScores: scores, falsePositiveRate: 0.12), 18)
        // Ties: nothing is strictly above a tied value.
        XCTAssertEqual(DetectionThresholds.threshold(normalScores: [1, 1, 1, 1], falsePositiveRate: 0.5), 1)
        XCTAssertNil(DetectionThresholds.threshold(normalScores: [], falsePositiveRate: 0.05))
        XCTAssertNil(DetectionThresholds.threshold(normalScores: [.nan], falsePositiveRate: 0.05))
    }

    func testThresholdsRoundTripBesideTheWeights() throws {
        let folder = try temporaryFolder(self, "thresholds")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = DetectionThresholds.url(besideWeights: folder.appendingPathComponent("adapted.safetensors"))
        XCTAssertEqual(url.lastPathComponent, "adapted.thresholds.json")
        let thresholds = DetectionThresholds(segment: 0.12, pixel: 0.3, falsePositiveRate: 0.05, achievedFalsePositiveRate: 0.04,
                                             calibrationSlices: 10, calibrationSegments: 60, uncertainty: .inference, scoring: ScoringOptions())
        try thresholds.save(to: url)
        XCTAssertEqual(try DetectionThresholds.load(url), thresholds)
        try Data("{".utf8).write(to: url)
        XCTAssertThrowsError(try DetectionThresholds.load(url)) { error in XCTAssertTrue("\(error)".hasPrefix(url.path)) }
    }
}
