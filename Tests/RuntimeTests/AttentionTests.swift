import XCTest
@testable import U2ADRuntime
import U2ADRandom

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
        try backend.attentionForward(qkv: qkvBuffer, into: out, logSumExp: lse, shape: shape, dropout: dropout)
        let keep: (Int, Int, Int, Int) -> Double = { b, h, i, j in
            guard let spec = dropout else { return 1 }
            return spec.keeps(pass: spec.firstPass + UInt32(b), element: UInt32((h * tokens + i) * tokens + j)) ? 1 / Double(1 - spec.rate) : 0
        }
        let qd = qkv.map(Double.init)
        let name = "\(label(backend)) attention B\(batch) T\(tokens) H\(heads) d\(headDim) dropout \(dropout?.rate ?? 0)"
        assertClose(try backend.download(out), Reference.attention(qd, batch: batch, tokens: tokens, heads: heads, headDim: headDim, keep: keep), 1e-5, name + " forward")
        let dqkv = try backend.makeBuffer([qkv.count])
        try backend.attentionBackward(qkv: qkvBuffer, out: out, gradOut: try backend.makeBuffer(dout), logSumExp: lse, into: dqkv, shape: shape, dropout: dropout)
        assertClose(try backend.download(dqkv), Reference.attentionBackward(qd, dout.map(Double.init), batch: batch, tokens: tokens, heads: heads, headDim: headDim, keep: keep),
                    1e-5, name + " backward")
    }

    func testAttentionMatchesFloat64() throws {
        for backend in try backendsUnderTest() {
            try run(backend, batch: 2, tokens: 37, heads: 3, headDim: 8, dropout: nil, seed: 31)
            try run(backend, batch: 1, tokens: 70, heads: 2, headDim: 16, dropout: nil, seed: 32)
            try run(backend, batch: 1, tokens: 33, heads: 1, headDim: 64, dropout: nil, seed: 33)
            try run(backend, batch: 2, tokens: 29, heads: 2, headDim: 8, dropout: DropoutSpec(rate: 0.25, key: RandomKey(seed: 77), step: 3, layer: 5, firstPass: 4), seed: 34)
            // An odd head dim (the CPU kernels pair head-dim columns) and fewer tokens than one vector.
            try run(backend, batch: 1, tokens: 6, heads: 2, headDim: 5, dropout: nil, seed: 36)
            try run(backend, batch: 1, tokens: 19, heads: 1, headDim: 3, dropout: DropoutSpec(rate: 0.5, key: RandomKey(seed: 78)), seed: 37)
        }
    }

    /// The model's sequence length (cls + 1024 patches), which is not a tile multiple.
    func testAttentionAtModelLength() throws {
        for backend in try backendsUnderTest() {
            try run(backend, batch: 1, tokens: 1025, heads: 1, headDim: 8, dropout: nil, seed: 35)
        }
    }
}
