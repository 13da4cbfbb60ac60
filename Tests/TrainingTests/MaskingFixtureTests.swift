import Foundation
import XCTest
import U2ADData
import U2ADModel
import U2ADPipeline

/// The reference's masking rules on the draws stored in `Tests/Fixtures/model/masking.safetensors`.
final class MaskingFixtureTests: XCTestCase {
    var file: SafeTensorsFile!

    override func setUpWithError() throws {
        file = try SafeTensorsFile.read(fixtureURL("model/masking.safetensors"))
    }

    func rows(_ name: String) throws -> [[Float]] {
        let shape = try XCTUnwrap(file.shape(name), name)
        let values = try file.floats(name)
        let width = shape.last ?? 0
        return (0..<(values.count / max(width, 1))).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
    }

    func hidden(_ name: String) throws -> [[Bool]] { try rows(name).map { $0.map { $0 != 0 } } }

    func testRandomMaskingBatchOfTwo() throws {
        let roi = try rows("m_sum"), noise = try rows("noise")
        XCTAssertEqual(ReferenceMasking.visibleCount(roiPixels: roi, ratio: 0.75), Int(try file.floats("random_b2.len_keep")[0]))
        let mask = try RandomMasking.mask(roiPixels: roi, draws: noise)
        XCTAssertEqual(mask.hidden, try hidden("random_b2.mask"))
        XCTAssertEqual(mask.visibleCount, 995)
        // The stable order matches the fixture's (stable) argsort.
        let scores = RandomMasking.scores(roiPixels: roi, draws: noise)
        let expectedOrder = try rows("random_b2.ids_shuffle").map { $0.map { Int($0) } }
        XCTAssertEqual(scores.map(ReferenceMasking.ascendingOrder), expectedOrder)
    }

    func testRandomMaskingEachImageAlone() throws {
        let roi = try rows("m_sum"), noise = try rows("noise"), expected = try hidden("random_b1.mask")
        let counts = try file.floats("random_b1.len_keep").map { Int($0) }
        for b in 0..<2 {
            XCTAssertEqual(ReferenceMasking.visibleCount(roiPixels: [roi[b]], ratio: 0.75), counts[b])
            let mask = try RandomMasking.mask(roiPixels: [roi[b]], draws: [noise[b]])
            XCTAssertEqual(mask.hidden[0], expected[b], "image \(b)")
        }
    }

    func testVarianceMasking() throws {
        let roi = [try rows("m_sum")[0]], variance = try rows("variance.var_p"), draws = try rows("variance.rand")
        let weights = UncertaintyMasking.weights(roiPixels: roi, variance: variance)
        let expected = try rows("variance.weight")
        for (w, e) in zip(weights[0], expected[0]) { XCTAssertEqual(w, e, accuracy: 2e-6 * max(1, abs(e))) }
        XCTAssertEqual(ReferenceMasking.visibleCount(roiPixels: roi, ratio: 0.75), Int(try file.floats("variance.len_keep")[0]))
        let mask = try UncertaintyMasking.mask(roiPixels: roi, variance: variance, draws: draws)
        XCTAssertEqual(mask.hidden, try hidden("variance.mask"))
    }

    func testVarianceErrorMasking() throws {
        let roi = [try rows("m_sum")[0]], variance = try rows("variance.var_p"), error = try rows("variance.err_p")
        let draws = try rows("variance.rand")
        let weights = UncertaintyMasking.weights(roiPixels: roi, variance: variance, error: error)
        for (w, e) in zip(weights[0], try rows("variance_error.weight")[0]) { XCTAssertEqual(w, e, accuracy: 2e-6 * max(1, abs(e))) }
        let mask = try UncertaintyMasking.mask(roiPixels: roi, variance: variance, error: error, draws: draws)
        XCTAssertEqual(mask.hidden, try hidden("variance_error.mask"))
        // Patches with error are never hidden.
        for l in 0..<1024 where error[0][l] > 0 { XCTAssertFalse(mask.hidden[0][l], "patch \(l) has error but is hidden") }
    }
}
