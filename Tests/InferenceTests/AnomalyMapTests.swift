import XCTest
@testable import U2ADPipeline

/// The scoring changes of docs/method.md on hand-made maps with known answers.
final class AnomalyMapTests: XCTestCase {
    /// A vertical cord region (columns 120-129, rows 20-230), image 0.5 and reconstruction 0.5 + noise-free offsets.
    private func maps(image: (Int, Int) -> Float, reconstruction: (Int, Int) -> Float = { _, _ in 0.5 }) -> SliceMaps {
        var region = [Float](repeating: 0, count: 256 * 256), img = region, rec = region, ale = region
        for y in 0..<256 {
            for x in 0..<256 {
                img[y * 256 + x] = image(y, x)
                rec[y * 256 + x] = reconstruction(y, x)
                if (20...230).contains(y) && (120..<130).contains(x) {
                    region[y * 256 + x] = 1
                    ale[y * 256 + x] = abs(img[y * 256 + x] - rec[y * 256 + x])
                }
            }
        }
        return SliceMaps(name: "s", size: 256, image: img, region: region, reconstruction: rec, epistemic: region.map { _ in 0 }, aleatoric: ale,
                         roiPatches: 30, passes: 1, hiddenPerPass: 1, samplesPerPatch: 1...1, skipped: false)
    }

    /// Pixels alternating +-0.02 (a spread of 0.02), one 3 x 3 bright spot of +0.2 at row 100.
    private func noisyCordWithSpot(dark: Bool = false) -> SliceMaps {
        maps(image: { y, x in
            let base: Float = 0.5 + ((x + y) % 2 == 0 ? 0.02 : -0.02)
            let spot = (99...101).contains(y) && (123...125).contains(x)
            return base + (spot ? (dark ? -0.2 : 0.2) : 0)
        })
    }

    func testPositiveResidualIgnoresDarkSpots() {
        var options = ScoringOptions.reference
        options.residual = .positive
        let bright = AnomalyMap.rows(noisyCordWithSpot(), options: options).values
        let dark = AnomalyMap.rows(noisyCordWithSpot(dark: true), options: options).values
        XCTAssertGreaterThan(bright[100], 3 * bright[150])
        XCTAssertLessThan(dark[100], bright[150] * 1.01, "a dark spot must not raise the positive residual")
        let absolute = AnomalyMap.rows(noisyCordWithSpot(dark: true), options: .reference).values
        XCTAssertGreaterThan(absolute[100], 3 * absolute[150], "the reference's absolute residual sees dark spots too")
    }

    /// The slice z-score is `(r - median) / (1.4826 MAD)` of the region's signed residuals, so a constant offset of the
    /// reconstruction changes nothing, and negative residuals score 0.
    func testSliceNormalisationIsARobustZScore() {
        var options = ScoringOptions.reference
        options.residual = .positive
        options.normalization = .slice
        let slice = noisyCordWithSpot()
        let pixels = AnomalyMap.pixels(slice, options: options)
        let residuals = (0..<(256 * 256)).filter { slice.region[$0] != 0 }.map { Double(slice.image[$0]) - 0.5 }
        let median = AnomalyMap.median(residuals), mad = AnomalyMap.median(residuals.map { abs($0 - median) })
        XCTAssertEqual(median, 0.02, accuracy: 1e-6, "the spot tips the balance of +-0.02 residuals")
        XCTAssertEqual(mad, 0.04, accuracy: 1e-6)
        let spot = pixels[100 * 256 + 124]  // (100 + 124) is even: residual 0.22
        XCTAssertEqual(spot, (0.22 - 0.02) / (1.4826 * 0.04), accuracy: 1e-4)
        XCTAssertEqual(pixels[150 * 256 + 125], 0, "a residual below the median scores 0")
        let shifted = maps(image: { y, x in 0.6 + ((x + y) % 2 == 0 ? 0.02 : -0.02) + ((99...101).contains(y) && (123...125).contains(x) ? 0.2 : 0) })
        XCTAssertEqual(AnomalyMap.pixels(shifted, options: options)[100 * 256 + 124], spot, accuracy: 1e-3)
    }

    /// A 3 x 3 spot in a 10-pixel-wide cord: the row mean dilutes it by the width, the local maximum keeps it.
    func testLocalMaximumKeepsASmallSpotThatTheRowMeanDilutes() {
        var options = ScoringOptions.reference
        options.residual = .positive
        let mean = AnomalyMap.rows(noisyCordWithSpot(), options: options).values
        options.aggregation = .localMaximum(sigma: 1)
        let local = AnomalyMap.rows(noisyCordWithSpot(), options: options).values
        XCTAssertGreaterThan(local[100] - local[150], 2 * (mean[100] - mean[150]))
        XCTAssertEqual(local[10], 0, "rows without region pixels stay 0")
    }

    func testAggregationParsing() throws {
        XCTAssertEqual(try RowAggregation(parsing: "mean"), .mean)
        XCTAssertEqual(try RowAggregation(parsing: "local:1.5"), .localMaximum(sigma: 1.5))
        for bad in ["local", "local:x", "local:-1", "local:99", "max"] {
            XCTAssertThrowsError(try RowAggregation(parsing: bad)) { XCTAssertTrue("\($0)".contains("--aggregate"), "\($0)") }
        }
    }

    /// Thresholds files written before the residual settings existed decode as the reference's scoring.
    func testOldThresholdFilesDecodeAsTheReferenceScoring() throws {
        let json = #"{"smoothingRows": 2, "pixelSpacingMM": 0.78125, "vertebralBodyLabel": 2, "minimumBodyPixels": 20, "firstVertebra": "C2", "fallbackSegmentMM": 16, "lesionLabel": 6, "pixelFalsePositiveRate": 0.01}"#
        XCTAssertEqual(try JSONDecoder().decode(ScoringOptions.self, from: Data(json.utf8)), .reference)
        for options in [ScoringOptions(), .reference] {
            XCTAssertEqual(try JSONDecoder().decode(ScoringOptions.self, from: JSONEncoder().encode(options)), options)
        }
        XCTAssertNotEqual(ScoringOptions(), .reference, "the default is this project's scoring, not the reference's")
    }
}
