import XCTest
@testable import U2ADRuntime

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
                backend.layerNormForward(xb, gamma: gb, beta: bb, into: y, mean: mean, rstd: rstd, rows: rows, dim: dim, epsilon: 1e-5)
                let xd = x.map(Double.init), gd = gamma.map(Double.init)
                assertClose(backend.download(y), Reference.layerNorm(xd, gd, beta.map(Double.init), rows: rows, dim: dim), 2e-6, "\(label(backend)) layernorm fwd")
                let (dx, dg, db) = Reference.layerNormBackward(xd, gd, dy.map(Double.init), rows: rows, dim: dim)
                let initial = random.floats(rows * dim)
                let dxb = try backend.makeBuffer(initial), dgb = try backend.makeBuffer([dim]), dbb = try backend.makeBuffer([dim])
                backend.layerNormBackward(try backend.makeBuffer(dy), x: xb, gamma: gb, mean: mean, rstd: rstd,
                                          dx: dxb, dgamma: dgb, dbeta: dbb, rows: rows, dim: dim, accumulate: true)
                assertClose(backend.download(dxb), zip(dx, initial).map { $0 + Double($1) }, 1e-5, "\(label(backend)) layernorm dx (accumulated)")
                assertClose(backend.download(dgb), dg, 1e-5, "\(label(backend)) layernorm dgamma")
                assertClose(backend.download(dbb), db, 1e-5, "\(label(backend)) layernorm dbeta")
            }
        }
    }
}

final class AttentionTests: XCTestCase {
    func testReferenceBackwardMatchesFiniteDifferences() {
        var random = TestRandom(30)
        let (B, T, H, hd) = (1, 5, 2, 4)
        let qkv = random.floats(B * T * 3 * H * hd).map(Double.init), dout = random.floats(B * T * H * hd).map(Double.init)
        let keep: (Int, Int, Int, Int) -> Double = { _, h, i, j in (h + i * 3 + j) % 4 == 0 ? 0 : 1 / 0.75 }
        for mask in [nil, keep] as [((Int, Int, Int, Int) -> Double)?] {
            let k = mask ?? { _, _, _, _ in 1 }
            let analytic = Reference.attentionBackward(qkv, dout, batch: B, tokens: T, heads: H, headDim: hd, keep: k)
            let numeric = Reference.attentionGradientByDifferences(qkv, dout, batch: B, tokens: T, heads: H, headDim: hd, keep: k)
            for (a, n) in zip(analytic, numeric) { XCTAssertEqual(a, n, accuracy: 1e-7) }
        }
    }

    private func run(_ backend: Backend, batch: Int, tokens: Int, heads: Int, headDim: Int, dropout: DropoutSpec?, seed: UInt64) throws {
        var random = TestRandom(seed)
        let shape = AttentionShape(batch: batch, tokens: tokens, heads: heads, headDim: headDim)
        let qkv = random.floats(batch * tokens * 3 * shape.width), dout = random.floats(batch * tokens * shape.width)
        let qkvBuffer = try backend.makeBuffer(qkv), out = try backend.makeBuffer([batch * tokens, shape.width])
        let lse = try backend.makeBuffer([batch * heads * tokens])
        backend.attentionForward(qkv: qkvBuffer, into: out, logSumExp: lse, shape: shape, dropout: dropout)
        let keep: (Int, Int, Int, Int) -> Double = { b, h, i, j in
            guard let spec = dropout else { return 1 }
            return Philox.keeps(spec, pass: spec.firstPass + UInt32(b), element: UInt32((h * tokens + i) * tokens + j)) ? 1 / Double(1 - spec.rate) : 0
        }
        let qd = qkv.map(Double.init)
        let name = "\(label(backend)) attention B\(batch) T\(tokens) H\(heads) d\(headDim) dropout \(dropout?.rate ?? 0)"
        assertClose(backend.download(out), Reference.attention(qd, batch: batch, tokens: tokens, heads: heads, headDim: headDim, keep: keep), 1e-5, name + " forward")
        let dqkv = try backend.makeBuffer([qkv.count])
        backend.attentionBackward(qkv: qkvBuffer, out: out, gradOut: try backend.makeBuffer(dout), logSumExp: lse, into: dqkv, shape: shape, dropout: dropout)
        assertClose(backend.download(dqkv), Reference.attentionBackward(qd, dout.map(Double.init), batch: batch, tokens: tokens, heads: heads, headDim: headDim, keep: keep),
                    1e-5, name + " backward")
    }

    func testAttentionMatchesFloat64() throws {
        for backend in try backendsUnderTest() {
            try run(backend, batch: 2, tokens: 37, heads: 3, headDim: 8, dropout: nil, seed: 31)
            try run(backend, batch: 1, tokens: 70, heads: 2, headDim: 16, dropout: nil, seed: 32)
            try run(backend, batch: 1, tokens: 33, heads: 1, headDim: 64, dropout: nil, seed: 33)
            try run(backend, batch: 2, tokens: 29, heads: 2, headDim: 8, dropout: DropoutSpec(rate: 0.25, seed: 77, step: 3, layer: 5, firstPass: 4), seed: 34)
            // An odd head dim (the CPU kernels pair head-dim columns) and fewer tokens than one vector.
            try run(backend, batch: 1, tokens: 6, heads: 2, headDim: 5, dropout: nil, seed: 36)
            try run(backend, batch: 1, tokens: 19, heads: 1, headDim: 3, dropout: DropoutSpec(rate: 0.5, seed: 78), seed: 37)
        }
    }

    /// The model's sequence length (cls + 1024 patches), which is not a tile multiple.
    func testAttentionAtModelLength() throws {
        for backend in try backendsUnderTest() {
            try run(backend, batch: 1, tokens: 1025, heads: 1, headDim: 8, dropout: nil, seed: 35)
        }
    }
}

final class DropoutAndAdamTests: XCTestCase {
    /// Known-answer vectors of Philox4x32-10 from the Random123 distribution.
    func testPhiloxKnownAnswers() {
        let zero = Philox.block((0, 0, 0, 0), key: (0, 0))
        XCTAssertEqual([zero.0, zero.1, zero.2, zero.3], [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
        let ones = Philox.block((.max, .max, .max, .max), key: (.max, .max))
        XCTAssertEqual([ones.0, ones.1, ones.2, ones.3], [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
        let pi = Philox.block((0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), key: (0xa409_3822, 0x299f_31d0))
        XCTAssertEqual([pi.0, pi.1, pi.2, pi.3], [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
    }

    func testDropoutMasksAreIdenticalAcrossBackendsAndKeepRateIsRight() throws {
        let count = 200_000, rowLength = 50_000
        let spec = DropoutSpec(rate: 0.3, seed: 0xDEAD_BEEF_1234, step: 7, layer: 2, firstPass: 11)
        var outputs: [[Float]] = []
        for backend in try backendsUnderTest() {
            let x = try backend.makeBuffer([Float](repeating: 1, count: count)), y = try backend.makeBuffer([count])
            backend.dropout(x, into: y, count: count, rowLength: rowLength, spec: spec)
            let values = backend.download(y)
            let kept = values.filter { $0 != 0 }.count
            XCTAssertEqual(Double(kept) / Double(count), 0.7, accuracy: 0.005, "\(label(backend)) keep rate")
            XCTAssertTrue(values.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-6 })
            for i in stride(from: 0, to: count, by: 997) {
                let keep = Philox.keeps(spec, pass: spec.firstPass + UInt32(i / rowLength), element: UInt32(i % rowLength))
                XCTAssertEqual(values[i] != 0, keep)
            }
            outputs.append(values)
        }
        if outputs.count == 2 { XCTAssertEqual(outputs[0], outputs[1], "dropout masks differ between backends") }
    }

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
                backend.adam(parameters: pb, gradients: try backend.makeBuffer(g), firstMoment: mb, secondMoment: vb, count: n,
                             step: AdamStep(learningRate: Float(lr), beta1: Float(b1), beta2: Float(b2), epsilon: Float(eps), weightDecay: Float(wd), step: t + 1))
            }
            assertClose(backend.download(pb), p, 1e-6, "\(label(backend)) adam")
        }
    }
}
