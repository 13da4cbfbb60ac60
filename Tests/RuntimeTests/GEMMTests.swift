import XCTest
@testable import U2ADRuntime

final class GEMMTests: XCTestCase {
    /// Every layout and epilogue on shapes that are not tile multiples, against float64.
    func testGEMMMatchesFloat64OnBothBackends() throws {
        var random = TestRandom(1)
        let shapes = [(m: 31, n: 45, k: 17), (m: 1025, n: 64, k: 128), (m: 2050, n: 130, k: 64), (m: 7, n: 384, k: 128)]
        for backend in try backendsUnderTest() {
            for shape in shapes {
                for (transposeA, transposeB) in [(false, false), (false, true), (true, false), (true, true)] {
                    let a = random.floats(shape.m * shape.k), b = random.floats(shape.k * shape.n)
                    let bias = random.floats(shape.n), residual = random.floats(shape.m * shape.n)
                    let activation: Activation = (transposeA ? 1 : 0) + (transposeB ? 2 : 0) == 1 ? .gelu : ((transposeA && transposeB) ? .sigmoid : .none)
                    let useEpilogue = transposeA || transposeB
                    let aBuffer = try backend.makeBuffer(a), bBuffer = try backend.makeBuffer(b)
                    let cBuffer = try backend.makeBuffer([shape.m, shape.n])
                    let biasBuffer = try backend.makeBuffer(bias), residualBuffer = try backend.makeBuffer(residual)
                    try backend.gemm(aBuffer, bBuffer, into: cBuffer, m: shape.m, n: shape.n, k: shape.k,
                                 transposeA: transposeA, transposeB: transposeB,
                                 bias: useEpilogue ? biasBuffer : nil, activation: activation, residual: useEpilogue ? residualBuffer : nil)
                    let expected = Reference.gemm(a, b, m: shape.m, n: shape.n, k: shape.k, transposeA: transposeA, transposeB: transposeB,
                                                  bias: useEpilogue ? bias : nil, activation: activation.rawValue, residual: useEpilogue ? residual : nil)
                    assertClose(try backend.download(cBuffer), expected, 2e-6, "\(label(backend)) gemm \(shape) tA=\(transposeA) tB=\(transposeB) \(activation)")
                }
            }
        }
    }

    /// Accumulating into C itself (residual === c), as gradient accumulation does.
    func testGEMMAccumulatesInPlace() throws {
        var random = TestRandom(2)
        for backend in try backendsUnderTest() {
            let (m, n, k) = (33, 20, 9)
            let a = random.floats(m * k), b = random.floats(k * n), c0 = random.floats(m * n)
            let c = try backend.makeBuffer(c0)
            try backend.gemm(try backend.makeBuffer(a), try backend.makeBuffer(b), into: c, m: m, n: n, k: k,
                         transposeA: false, transposeB: false, bias: nil, activation: .none, residual: c)
            assertClose(try backend.download(c), Reference.gemm(a, b, m: m, n: n, k: k, transposeA: false, transposeB: false, residual: c0), 2e-6,
                        "\(label(backend)) in-place accumulate")
        }
    }

    func testGEMMIsDeterministic() throws {
        var random = TestRandom(3)
        for backend in try backendsUnderTest() {
            let a = try backend.makeBuffer(random.floats(300 * 128)), b = try backend.makeBuffer(random.floats(128 * 96))
            let c1 = try backend.makeBuffer([300, 96]), c2 = try backend.makeBuffer([300, 96])
            try backend.gemm(a, b, into: c1, m: 300, n: 96, k: 128)
            try backend.gemm(a, b, into: c2, m: 300, n: 96, k: 128)
            XCTAssertEqual(try backend.download(c1), try backend.download(c2), "\(label(backend)) gemm not bitwise repeatable")
        }
    }

    /// A LayerNorm of A's rows on the way in, saved or not, with bias and GELU, against LayerNorm then GEMM in float64.
    func testLayerNormPrologue() throws {
        var random = TestRandom(4)
        for backend in try backendsUnderTest() {
            for (m, n, k, saved) in [(1025, 384, 128, true), (70, 64, 64, false), (9, 20, 13, true)] {
                let x = random.floats(m * k, scale: 2).map { $0 + 0.3 }, w = random.floats(n * k), bias = random.floats(n)
                let gamma = random.floats(k).map { 1 + 0.1 * $0 }, beta = random.floats(k, scale: 0.1)
                let normalized = try backend.makeBuffer([m, k]), mean = try backend.makeBuffer([m]), rstd = try backend.makeBuffer([m])
                let c = try backend.makeBuffer([m, n])
                let norm = LayerNormInput(gamma: try backend.makeBuffer(gamma), beta: try backend.makeBuffer(beta), epsilon: 1e-5,
                                          normalized: normalized, mean: mean, rstd: rstd, saved: saved)
                try backend.gemm(try backend.makeBuffer(x), try backend.makeBuffer(w), into: c, m: m, n: n, k: k, transposeA: false, transposeB: true,
                                 fusion: GEMMFusion(bias: try backend.makeBuffer(bias), activation: .gelu, layerNorm: norm))
                let reference = Reference.layerNorm(x.map(Double.init), gamma.map(Double.init), beta.map(Double.init), rows: m, dim: k)
                let expected = Reference.gemm(reference.map { Float($0) }, w, m: m, n: n, k: k, transposeA: false, transposeB: true, bias: bias, activation: 1)
                let message = "\(label(backend)) layernorm prologue \(m)x\(n)x\(k)"
                assertClose(try backend.download(c), expected, 1e-5, message)
                if saved {
                    assertClose(try backend.download(normalized), reference, 2e-6, message + " normalized")
                    let means = (0..<m).map { r in x[(r * k)..<((r + 1) * k)].reduce(0.0) { $0 + Double($1) } / Double(k) }
                    assertClose(try backend.download(mean), means, 2e-6, message + " mean")
                }
            }
        }
    }

    /// Pre-activation saved beside GELU, the backward through GELU, row-periodic residuals and the split-k weight gradient
    /// with its bias gradient (row sums of op(A)), on shapes with and without four-wide loads.
    func testEpilogueFusionsAndSplitK() throws {
        var random = TestRandom(5)
        for backend in try backendsUnderTest() {
            let (m, n, k) = (66, 45, 30)
            let a = random.floats(m * k), b = random.floats(n * k), bias = random.floats(n), table = random.floats(11 * n)
            let aBuffer = try backend.makeBuffer(a), bBuffer = try backend.makeBuffer(b)
            let pre = try backend.makeBuffer([m, n]), post = try backend.makeBuffer([m, n])
            try backend.gemm(aBuffer, bBuffer, into: post, m: m, n: n, k: k, transposeA: false, transposeB: true,
                             fusion: GEMMFusion(bias: try backend.makeBuffer(bias), activation: .gelu, preActivation: pre))
            let preExpected = Reference.gemm(a, b, m: m, n: n, k: k, transposeA: false, transposeB: true, bias: bias)
            assertClose(try backend.download(pre), preExpected, 2e-6, "\(label(backend)) pre-activation")
            assertClose(try backend.download(post), preExpected.map(Reference.gelu), 2e-6, "\(label(backend)) GELU beside it")

            let derivative = try backend.makeBuffer([m, n])
            try backend.gemm(aBuffer, bBuffer, into: derivative, m: m, n: n, k: k, transposeA: false, transposeB: true,
                             fusion: GEMMFusion(activation: .gelu, derivativeAt: pre))
            let plain = Reference.gemm(a, b, m: m, n: n, k: k, transposeA: false, transposeB: true)
            assertClose(try backend.download(derivative), zip(plain, preExpected).map { $0 * Reference.geluDerivative($1) }, 2e-6,
                        "\(label(backend)) backward through GELU")

            let periodic = try backend.makeBuffer([m, n])
            try backend.gemm(aBuffer, bBuffer, into: periodic, m: m, n: n, k: k, transposeA: false, transposeB: true,
                             fusion: GEMMFusion(residual: try backend.makeBuffer(table), residualRows: 11))
            assertClose(try backend.download(periodic), plain.enumerated().map { $0.element + Double(table[(($0.offset / n) % 11) * n + $0.offset % n]) }, 2e-6,
                        "\(label(backend)) row-periodic residual")

            for (rows, outFeatures, inFeatures) in [(5000, 36, 20), (4100, 33, 7), (300, 12, 8)] {
                let dy = random.floats(rows * outFeatures), x = random.floats(rows * inFeatures)
                let dw = try backend.makeBuffer([outFeatures, inFeatures]), db = try backend.makeBuffer([outFeatures])
                try backend.gemm(try backend.makeBuffer(dy), try backend.makeBuffer(x), into: dw, m: outFeatures, n: inFeatures, k: rows,
                                 transposeA: true, transposeB: false, fusion: GEMMFusion(rowSums: db))
                let message = "\(label(backend)) weight gradient over \(rows) rows (\(GEMM.splits(m: outFeatures, n: inFeatures, k: rows, transposeA: true, fusion: GEMMFusion(rowSums: db))) splits)"
                assertClose(try backend.download(dw), Reference.gemm(dy, x, m: outFeatures, n: inFeatures, k: rows, transposeA: true, transposeB: false), 1e-5, message)
                assertClose(try backend.download(db), (0..<outFeatures).map { o in (0..<rows).reduce(0.0) { $0 + Double(dy[$1 * outFeatures + o]) } }, 1e-5,
                            message + " bias")
            }
        }
    }

    /// The split-k sums are added in a fixed order: repeated calls agree bit for bit.
    func testSplitKIsDeterministic() throws {
        var random = TestRandom(6)
        for backend in try backendsUnderTest() {
            let rows = 9000, dy = try backend.makeBuffer(random.floats(rows * 64)), x = try backend.makeBuffer(random.floats(rows * 32))
            var results: [[Float]] = []
            for _ in 0..<2 {
                let dw = try backend.makeBuffer([64, 32]), db = try backend.makeBuffer([64])
                try backend.gemm(dy, x, into: dw, m: 64, n: 32, k: rows, transposeA: true, transposeB: false, fusion: GEMMFusion(rowSums: db))
                results.append(try backend.download(dw) + backend.download(db))
            }
            XCTAssertEqual(results[0], results[1], label(backend))
        }
    }
}
