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

    func testScalarExp() {
        var worst = 0.0
        for i in 0...20_000 {
            let x = -87 + Float(i) * 0.008_75
            worst = max(worst, abs(Double(fastExp(x)) - Foundation.exp(Double(x))) / Foundation.exp(Double(x)))
        }
        XCTAssertLessThan(worst, 5e-7)
        XCTAssertEqual(fastExp(-100), 0)
    }

    func testGELUAndItsDerivativeOnEightLanes() {
        var worstErf = 0.0, worstGELU = 0.0, worstDerivative = 0.0
        var x: Float = -9
        while x < 9 {
            var lanes = SIMD8<Float>()
            for lane in 0..<8 { lanes[lane] = x + Float(lane) * 1e-3 }
            let erfs = erf8(lanes, gaussian: exp2NonPositive8(-lanes * lanes * 1.442_695_04))
            let gelus = gelu8(lanes), derivatives = geluDerivative8(lanes)
            for lane in 0..<8 {
                let v = Double(lanes[lane])
                let cdf = 0.5 * (1 + Foundation.erf(v / 2.0.squareRoot()))
                worstErf = max(worstErf, abs(Double(erfs[lane]) - Foundation.erf(v)))
                worstGELU = max(worstGELU, abs(Double(gelus[lane]) - v * cdf) / max(1, abs(v)))
                let derivative = cdf + v * Foundation.exp(-v * v / 2) / (2 * Double.pi).squareRoot()
                worstDerivative = max(worstDerivative, abs(Double(derivatives[lane]) - derivative))
            }
            x += 0.011
        }
        XCTAssertLessThan(worstErf, 5e-7, "erf8, absolute")
        XCTAssertLessThan(worstGELU, 5e-7, "gelu8, relative to max(1, |x|)")
        XCTAssertLessThan(worstDerivative, 1e-6, "geluDerivative8, absolute")
    }
}
