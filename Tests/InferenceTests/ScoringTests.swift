import XCTest
@testable import U2ADPipeline

final class ScoringTests: XCTestCase {
    /// Labels with a vertical cord (label 3, columns 120-129, rows 20-230) and square vertebral bodies.
    private func spineLabels(bodyRows: [Int], fragment: Bool = true) -> [Float] {
        var labels = [Float](repeating: 0, count: 256 * 256)
        for y in 20...230 { for x in 120..<130 { labels[y * 256 + x] = 3 } }
        for row in bodyRows { for y in (row - 5)...(row + 5) { for x in 60..<75 { labels[y * 256 + x] = 2 } } }
        if fragment { for y in 10..<12 { for x in 60..<65 { labels[y * 256 + x] = 2 } } }
        return labels
    }

    private func maps(labels: [Float], aleatoric: (Int, Int) -> Float = { _, _ in 0 }) -> SliceMaps {
        let region = MaskingRegion(labels: labels, size: 256, patchSize: 8, roiLabels: [3, 6], erode: true).pixels
        var map = [Float](repeating: 0, count: 256 * 256)
        for y in 0..<256 { for x in 0..<256 where region[y * 256 + x] != 0 { map[y * 256 + x] = aleatoric(y, x) } }
        let zeros = [Float](repeating: 0, count: 256 * 256)
        return SliceMaps(name: "s", size: 256, image: zeros, region: region, reconstruction: zeros, epistemic: zeros, aleatoric: map,
                         roiPatches: 30, passes: 1, hiddenPerPass: 1, samplesPerPatch: 1...1, skipped: false)
    }

    func testSegmentsRunBetweenVertebralBodyCentroids() {
        let labels = spineLabels(bodyRows: [40, 80, 120, 160, 200])
        let bodies = SpinalSegmentation.vertebralBodies(labels: labels, size: 256, options: ScoringOptions.reference)
        XCTAssertEqual(bodies.map(\.row), [40, 80, 120, 160, 200], "the 10-pixel fragment is ignored")
        let (result, curve) = AnomalyScoring.score(maps: maps(labels: labels), labels: labels, source: "s", options: ScoringOptions.reference)
        XCTAssertEqual(curve.cordRows, 21...229)
        XCTAssertEqual(result.segments.map(\.name), ["C1-2", "C2-3", "C3-4", "C4-5", "C5-6", "C6-7"])
        XCTAssertEqual(result.segments.map(\.startRow), [21, 40, 80, 120, 160, 200])
        XCTAssertEqual(result.segments.map(\.endRow), [40, 80, 120, 160, 200, 230])
        var lower = ScoringOptions.reference
        lower.firstVertebra = "C6"
        let names = AnomalyScoring.score(maps: maps(labels: labels), labels: labels, source: "s", options: lower).result.segments.map(\.name)
        XCTAssertEqual(names, ["C5-6", "C6-7", "C7-T1", "T1-2", "T2-3", "T3-4"])
    }

    func testSegmentScoreIsTheCurvePeakInsideTheSegment() {
        var labels = spineLabels(bodyRows: [40, 80, 120, 160, 200])
        for y in 130..<134 { for x in 123..<127 { labels[y * 256 + x] = 6 } }
        var options = ScoringOptions.reference
        options.smoothingRows = 0
        let slice = maps(labels: labels) { y, _ in y == 132 ? 0.8 : 0.1 }
        let result = AnomalyScoring.score(maps: slice, labels: labels, source: "s", options: options).result
        let c45 = result.segments[3]
        XCTAssertEqual(c45.name, "C4-5")
        XCTAssertEqual(c45.score!, 0.8, accuracy: 1e-6)
        XCTAssertEqual(c45.peakRow, 132)
        XCTAssertEqual(c45.lesionPixels, 16)
        XCTAssertEqual(result.segments[0].score!, 0.1, accuracy: 1e-6)
        XCTAssertEqual(result.score!, 0.8, accuracy: 1e-6)
        XCTAssertEqual(result.lesionPixels, 16)
    }

    func testCurveIsTheCrossSectionMeanSmoothedAlongTheCord() {
        let labels = spineLabels(bodyRows: [])
        // Eroded cord: columns 121-128 (8 pixels); half of row 100's pixels at 1.
        let slice = maps(labels: labels) { y, x in y == 100 && x < 125 ? 1 : 0 }
        var options = ScoringOptions.reference
        options.smoothingRows = 0
        let raw = AnomalyCurve(maps: slice, options: options)
        XCTAssertEqual(raw.regionPixels[100], 8)
        XCTAssertEqual(raw.aleatoric[100], 0.5, accuracy: 1e-12)
        XCTAssertEqual(raw.aleatoric[99], 0)
        options.smoothingRows = 2
        let smooth = AnomalyCurve(maps: slice, options: options)
        let g = (-6...6).map { exp(-Double($0 * $0) / 8) }
        XCTAssertEqual(smooth.aleatoric[100], 0.5 * g[6] / g.reduce(0, +), accuracy: 1e-12)
        XCTAssertEqual(smooth.aleatoric[99], smooth.aleatoric[101], accuracy: 1e-12)
        XCTAssertEqual(smooth.aleatoric[10], 0, "outside the cord")
    }

    func testPositionsFollowATiltedCordAndFallbackSegmentsUseThem() {
        var labels = [Float](repeating: 0, count: 256 * 256)
        for y in 20..<220 { for x in (y / 2 + 20)..<(y / 2 + 30) { labels[y * 256 + x] = 3 } }
        var options = ScoringOptions.reference
        options.pixelSpacingMM = 1
        options.fallbackSegmentMM = 20
        let (result, curve) = AnomalyScoring.score(maps: maps(labels: labels), labels: labels, source: "s", options: options)
        let cord = curve.cordRows!
        XCTAssertEqual(curve.positionMM[cord.lowerBound], 0)
        let length = curve.positionMM[cord.upperBound]
        let expected = Double(cord.count - 1) * (1.25).squareRoot()
        XCTAssertEqual(length, expected, accuracy: 0.03 * expected)
        XCTAssertEqual(result.segments.first?.name, "0-20 mm")
        XCTAssertEqual(result.segments.first?.kind, .distance)
        XCTAssertEqual(result.segments.count, Int((length / 20).rounded(.down)) + 1)
        XCTAssertEqual(result.segments.first!.startRow, cord.lowerBound)
        XCTAssertEqual(result.segments.last!.endRow, cord.upperBound + 1)
        for (a, b) in zip(result.segments, result.segments.dropFirst()) { XCTAssertEqual(a.endRow, b.startRow) }
    }

    func testNoCordNoSegments() {
        let labels = [Float](repeating: 0, count: 256 * 256)
        let result = AnomalyScoring.score(maps: maps(labels: labels), labels: labels, source: "s", options: ScoringOptions.reference).result
        XCTAssertTrue(result.segments.isEmpty)
        XCTAssertNil(result.score)
        XCTAssertNil(PatientResult(name: "p", slices: [result]).applying(threshold: 0.1).isPositive)
    }

    func testPatientIsPositiveWhenAnySegmentIs() {
        func segment(_ name: String, _ score: Double?, lesion: Int = 0) -> SegmentResult {
            SegmentResult(name: name, kind: .vertebral, startRow: 0, endRow: 1, startMM: 0, endMM: 1, score: score, epistemicScore: nil,
                          peakRow: nil, lesionPixels: lesion, isPositive: nil)
        }
        func slice(_ segments: [SegmentResult]) -> SliceResult {
            SliceResult(name: "s", source: "s", roiPatches: 10, passes: 1, hiddenPerPass: 1, skipped: false, segments: segments,
                        score: segments.reduce(nil) { maxOptional($0, $1.score) }, lesionPixels: segments.reduce(0) { $0 + $1.lesionPixels },
                        isPositive: nil)
        }
        let patient = PatientResult(name: "p", slices: [slice([segment("C2-3", 0.2), segment("C3-4", nil)]),
                                                        slice([segment("C2-3", 0.4, lesion: 3), segment("C3-4", 0.1)])])
        XCTAssertEqual(patient.segments.map(\.name), ["C2-3", "C3-4"])
        XCTAssertEqual(patient.segments.map(\.score), [0.4, 0.1])
        XCTAssertEqual(patient.segments.map(\.lesionPixels), [3, 0])
        XCTAssertEqual(patient.score, 0.4)
        XCTAssertNil(patient.isPositive)
        let positive = patient.applying(threshold: 0.3)
        XCTAssertEqual(positive.isPositive, true)
        XCTAssertEqual(positive.segments.map(\.isPositive), [true, false])
        XCTAssertEqual(positive.slices.map(\.isPositive), [false, true])
        XCTAssertNil(positive.slices[0].segments[1].isPositive)
        XCTAssertEqual(patient.applying(threshold: 0.4).isPositive, false, "a score equal to the threshold is negative")
    }

    func testVertebralLevelNames() {
        XCTAssertEqual(VertebralLevels.segmentName(upper: 1), "C2-3")
        XCTAssertEqual(VertebralLevels.segmentName(upper: 6), "C7-T1")
        XCTAssertEqual(VertebralLevels.segmentName(upper: 18), "T12-L1")
        XCTAssertEqual(VertebralLevels.segmentName(upper: 23), "L5-S1")
        XCTAssertEqual(VertebralLevels.index(of: "c2"), 1)
    }
}
