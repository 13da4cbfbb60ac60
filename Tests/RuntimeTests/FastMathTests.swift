import XCTest
@testable import U2ADRuntime

/// The CPU backend's own transcendental functions against Foundation's, in float64.
final class FastMathTests: XCTestCase {
    func testExp2NonPositiveIsAccurateOverTheWholeRange() {
        var worst = 0.0
        var y: Float = 0
        while y > -126 {
            var lanes = SIMD8<Float>()
            for lane in 0..<8 { lanes[lane] = max(-126, y - Float(lane) * 1.37e-3) }
            let result = exp2NonPositive8(lanes)
            for lane in 0..<8 {
                let exact = Foundation.exp2(Double(lanes[lane]))
                worst = max(worst, abs(Double(result[lane]) - exact) / exact)
            }
            y -= 0.010_3
        }
        XCTAssertLessThan(worst, 2e-7, "worst relative error of exp2NonPositive8 on [-126, 0]")
        let edges = exp2NonPositive8(SIMD8(0, -0.5, 0.5 - 1, -1, -126.5, -200, -.infinity, -1e30))
        XCTAssertEqual(edges[0], 1)
        XCTAssertEqual(edges[3], 0.5)
        XCTAssertEqual(Double(edges[1]), 0.5.squareRoot(), accuracy: 1e-7)
        for lane in 4..<8 { XCTAssertEqual(edges[lane], 0, "2^y below -126 flushes to zero (lane \(lane))") }
    }

    func testScalarExpAndErf() {
        var worstExp = 0.0, worstErf = 0.0
        for i in 0...20_000 {
            let x = -87 + Float(i) * 0.008_75
            worstExp = max(worstExp, abs(Double(fastExp(x)) - Foundation.exp(Double(x))) / Foundation.exp(Double(x)))
            let z = -6 + Float(i) * 0.000_6
            worstErf = max(worstErf, abs(Double(fastErf(z)) - Foundation.erf(Double(z))))
        }
        XCTAssertLessThan(worstExp, 5e-7)
        XCTAssertLessThan(worstErf, 5e-7)
        XCTAssertEqual(fastExp(-100), 0)
    }
}
