import XCTest
import U2ADData
import U2ADRandom
@testable import U2ADPipeline

final class StudyTests: XCTestCase {
    /// The bootstrap interval of a mean over known data: the estimate is the mean, the interval about +-1.96 standard
    /// errors, and the same key gives the same interval.
    func testBootstrapIntervalOfAMean() {
        var random = TestRandom(3)
        let values = (0..<400).map { _ in random.normal() }
        let mean = values.reduce(0, +) / 400
        let interval = Bootstrap.interval(values, replicates: 2000, key: RandomKey(seed: 1)) { $0.reduce(0, +) / Double($0.count) }
        XCTAssertEqual(interval.estimate!, mean, accuracy: 1e-12)
        let standardError = 1 / 20.0
        XCTAssertEqual(interval.lower!, mean - 1.96 * standardError, accuracy: 0.02)
        XCTAssertEqual(interval.upper!, mean + 1.96 * standardError, accuracy: 0.02)
        XCTAssertEqual(Bootstrap.interval(values, replicates: 2000, key: RandomKey(seed: 1)) { $0.reduce(0, +) / Double($0.count) }, interval)
        XCTAssertEqual(Bootstrap.quantile([1, 2, 3, 4], 0.5), 2.5)
    }

    /// A perfectly separating score has AUROC 1 and a degenerate interval; an undefined statistic has no interval.
    func testBootstrapIntervalOfAPerfectAUROC() {
        let units = (0..<20).map { (score: Double($0), positive: $0 >= 10) }
        let interval = Bootstrap.interval(units, replicates: 500, key: RandomKey(seed: 2)) {
            RankingMetrics.auroc(scores: $0.map(\.score), labels: $0.map(\.positive))
        }
        XCTAssertEqual(interval.estimate, 1)
        XCTAssertEqual(interval.lower, 1)
        XCTAssertEqual(interval.upper, 1)
        let none = Bootstrap.interval([1.0], key: RandomKey(seed: 2)) { _ in nil }
        XCTAssertNil(none.estimate)
        XCTAssertEqual(none.text, "-")
    }

    /// The intensity baseline scored with the project's scoring is the robust z-score of intensity in the cord.
    func testIntensityBaselineIsARobustZScore() throws {
        let size = 256
        var labels = [Float](repeating: 0, count: size * size), image = labels
        for y in 20...230 { for x in 118..<132 { labels[y * size + x] = 3; image[y * size + x] = 0.4 + Float((x + y) % 3) * 0.01 } }
        for y in 100..<104 { for x in 123..<127 { image[y * size + x] = 0.7; labels[y * size + x] = 6 } }
        image[0] = 1  // the normalised image spans [0, 1]
        let slice = SliceSample(name: "s", size: size, image: image, roi: labels.map { $0 > 0 ? 1 : 0 }, labels: labels)
        let maps = IntensityBaseline.maps(of: slice, options: .inference, patchSize: 8)
        XCTAssertFalse(maps.skipped)
        let anomaly = AnomalyMap.pixels(maps, options: ScoringOptions())
        let inside = (0..<(size * size)).filter { maps.region[$0] != 0 }.map { Double(image[$0]) }
        let median = AnomalyMap.median(inside)
        let mad = AnomalyMap.median(inside.map { abs($0 - median) }) * 1.4826
        XCTAssertEqual(anomaly[101 * size + 124], (0.7 - median) / mad, accuracy: 1e-4)
        let (result, _) = AnomalyScoring.score(maps: maps, labels: labels, source: "s", options: ScoringOptions())
        let brightest = try XCTUnwrap(result.segments.max { ($0.score ?? 0) < ($1.score ?? 0) })
        XCTAssertGreaterThan(brightest.lesionPixels, 0, "the brightest segment holds the lesion")
        XCTAssertTrue((99...104).contains(brightest.peakRow ?? -1))
    }

    /// The phantom cohort is the same for the same key, with one lesion per lesioned test patient in the drawn ranges.
    func testPhantomCohortIsSeededAndHoldsItsTruth() {
        var size = PhantomCohortSize()
        size.training = 1
        size.calibration = 1
        size.healthyTest = 1
        size.lesionedTest = 2
        let a = StudyCohort.phantom(key: RandomKey(seed: 5), size: size), b = StudyCohort.phantom(key: RandomKey(seed: 5), size: size)
        XCTAssertEqual(a.test.map(\.patient.slices[0].image), b.test.map(\.patient.slices[0].image))
        XCTAssertEqual(a.test.map(\.lesions), b.test.map(\.lesions))
        XCTAssertEqual(a.test.map(\.isLesioned), [false, true, true])
        for entry in a.test where entry.isLesioned {
            let truth = entry.lesions[0]
            XCTAssertTrue(size.lesions.contrast.contains(truth.contrast))
            XCTAssertEqual(truth.area, entry.patient.slices[0].labels.filter { $0 == 6 }.count)
        }
        XCTAssertTrue(a.test[0].patient.slices[0].labels.allSatisfy { $0 != 6 })
    }

    /// A folder of normal scans: a quarter held out to calibrate, lesions inserted into the asked number of test
    /// patients with exact truth, a patient with a labelled lesion of its own tested as lesioned, the same key the
    /// same cohort.
    func testFolderCohortInsertsLesionsWithTheirTruth() throws {
        let folder = try temporaryFolder(self, "cohort")
        var clean = PhantomOptions()
        clean.confounders = .none
        for i in 0..<8 {
            var options = clean
            if i == 7 { options.lesions = [CordLesion(area: 40, contrast: 1.6)] }
            let sample = Phantom.generate(key: RandomKey(seed: 40).fold(in: i), options: options)
            try NPY.write(sample.slice.channels, shape: [3, 256, 256], to: folder.appendingPathComponent("scan\(i).npy"))
        }
        let training = StudyCohort.phantomTraining(key: RandomKey(seed: 1), count: 1)
        let cohort = try StudyCohort.folder(folder, key: RandomKey(seed: 9), insert: 3, lesions: CordLesionRanges(), training: training,
                                            trainingNote: "one phantom")
        XCTAssertEqual(cohort.calibration.count, 2)
        XCTAssertEqual(cohort.test.count, 6)
        XCTAssertFalse(cohort.calibration.contains { $0.name == "scan7" }, "a scan with a lesion is never a calibration patient")
        XCTAssertEqual(cohort.test.filter(\.isLesioned).count, 4)
        for entry in cohort.test {
            let labelled = entry.patient.slices.reduce(0) { $0 + $1.labels.filter { $0 == 6 }.count }
            XCTAssertEqual(entry.lesions.reduce(0) { $0 + $1.area }, labelled, entry.patient.name)
        }
        let own = try XCTUnwrap(cohort.test.first { $0.patient.name == "scan7" })
        XCTAssertEqual(own.lesions.count, 1)
        XCTAssertGreaterThan(own.lesions[0].contrast, 1.2, "the measured contrast of a 1.6x lesion")
        let again = try StudyCohort.folder(folder, key: RandomKey(seed: 9), insert: 3, lesions: CordLesionRanges(), training: training,
                                           trainingNote: "one phantom")
        XCTAssertEqual(again.test.map(\.lesions), cohort.test.map(\.lesions))
        XCTAssertThrowsError(try StudyCohort.folder(folder, key: RandomKey(seed: 9), insert: 6, lesions: CordLesionRanges(), training: training,
                                                    trainingNote: "")) { XCTAssertTrue("\($0)".contains("--insert-lesions"), "\($0)") }
    }
}
