import XCTest
@testable import U2ADRuntime
import U2ADRandom

final class AdamTests: XCTestCase {
    func testAdamMatchesTorchSemantics() throws {
        var random = TestRandom(40)
        let n = 1000
        let p0 = random.floats(n), grads = (0..<3).map { _ in random.floats(n) }
        let lr = 3e-3, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.05
        var p = p0.map(Double.init), m = [Double](repeating: 0, count: n), v = m
        for (t, g) in grads.enumerated() {
            for i in 0..<n {
                let gi = Double(g[i])
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let mhat = m[i] / (1 - pow(b1, Double(t + 1))), vhat = v[i] / (1 - pow(b2, Double(t + 1)))
                p[i] = p[i] * (1 - lr * wd) - lr * mhat / (vhat.squareRoot() + eps)
            }
        }
        for backend in try backendsUnderTest() {
            let pb = try backend.makeBuffer(p0), mb = try backend.makeBuffer([Float](repeating: 0, count: n)), vb = try backend.makeBuffer([Float](repeating: 0, count: n))
            for (t, g) in grads.enumerated() {
                try backend.adam(parameters: pb, gradients: try backend.makeBuffer(g), firstMoment: mb, secondMoment: vb, count: n,
                             step: AdamStep(learningRate: Float(lr), beta1: Float(b1), beta2: Float(b2), epsilon: Float(eps), weightDecay: Float(wd), step: t + 1))
            }
            assertClose(try backend.download(pb), p, 1e-6, "\(label(backend)) adam")
        }
    }
}
