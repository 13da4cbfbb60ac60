import XCTest
@testable import U2ADRuntime
import U2ADRandom

final class LayerNormTests: XCTestCase {
    func testReferenceBackwardMatchesFiniteDifferences() {
        var random = TestRandom(20)
        let (rows, dim) = (3, 6)
        let x = random.floats(rows * dim).map(Double.init), gamma = random.floats(dim).map { 1 + 0.2 * Double($0) }
        let beta = random.floats(dim).map(Double.init), dy = random.floats(rows * dim).map(Double.init)
        let (dx, dgamma, _) = Reference.layerNormBackward(x, gamma, dy, rows: rows, dim: dim)
        func loss(_ x: [Double], _ gamma: [Double]) -> Double { zip(Reference.layerNorm(x, gamma, beta, rows: rows, dim: dim), dy).map(*).reduce(0, +) }
        let h = 1e-6
        for i in 0..<x.count {
            var plus = x, minus = x
            plus[i] += h; minus[i] -= h
            XCTAssertEqual((loss(plus, gamma) - loss(minus, gamma)) / (2 * h), dx[i], accuracy: 1e-7)
        }
        for i in 0..<dim {
            var plus = gamma, minus = gamma
            plus[i] += h; minus[i] -= h
            XCTAssertEqual((loss(x, plus) - loss(x, minus)) / (2 * h), dgamma[i], accuracy: 1e-7)
        }
    }

    func testForwardAndBackwardOnBothBackends() throws {
        var random = TestRandom(21)
        for backend in try backendsUnderTest() {
            for (rows, dim) in [(1025, 128), (37, 64), (5, 24)] {
                let x = random.floats(rows * dim, scale: 3).map { $0 + 0.5 }
                let gamma = random.floats(dim).map { 1 + 0.1 * $0 }, beta = random.floats(dim, scale: 0.1), dy = random.floats(rows * dim)
                let xb = try backend.makeBuffer(x), y = try backend.makeBuffer([rows, dim])
                let mean = try backend.makeBuffer([rows]), rstd = try backend.makeBuffer([rows])
                let gb = try backend.makeBuffer(gamma), bb = try backend.makeBuffer(beta)
                try backend.layerNormForward(xb, gamma: gb, beta: bb, into: y, mean: mean, rstd: rstd, rows: rows, dim: dim, epsilon: 1e-5)
                let xd = x.map(Double.init), gd = gamma.map(Double.init)
                assertClose(try backend.download(y), Reference.layerNorm(xd, gd, beta.map(Double.init), rows: rows, dim: dim), 2e-6, "\(label(backend)) layernorm fwd")
                let (dx, dg, db) = Reference.layerNormBackward(xd, gd, dy.map(Double.init), rows: rows, dim: dim)
                let initial = random.floats(rows * dim)
                let dxb = try backend.makeBuffer(initial), dgb = try backend.makeBuffer([dim]), dbb = try backend.makeBuffer([dim])
                try backend.layerNormBackward(try backend.makeBuffer(dy), x: xb, gamma: gb, mean: mean, rstd: rstd,
                                          dx: dxb, adding: dxb, dgamma: dgb, dbeta: dbb, rows: rows, dim: dim)
                assertClose(try backend.download(dxb), zip(dx, initial).map { $0 + Double($1) }, 1e-5, "\(label(backend)) layernorm dx (accumulated)")
                let addend = random.floats(rows * dim), sum = try backend.makeBuffer([rows * dim])
                try backend.layerNormBackward(try backend.makeBuffer(dy), x: xb, gamma: gb, mean: mean, rstd: rstd,
                                          dx: sum, adding: try backend.makeBuffer(addend), dgamma: dgb, dbeta: dbb, rows: rows, dim: dim)
                assertClose(try backend.download(sum), zip(dx, addend).map { $0 + Double($1) }, 1e-5, "\(label(backend)) layernorm dx plus an addend")
                try backend.layerNormBackward(try backend.makeBuffer(dy), x: xb, gamma: gb, mean: mean, rstd: rstd,
                                          dx: sum, adding: nil, dgamma: dgb, dbeta: dbb, rows: rows, dim: dim)
                assertClose(try backend.download(sum), dx, 1e-5, "\(label(backend)) layernorm dx")
                assertClose(try backend.download(dgb), dg, 1e-5, "\(label(backend)) layernorm dgamma")
                assertClose(try backend.download(dbb), db, 1e-5, "\(label(backend)) layernorm dbeta")
            }
        }
    }
}
