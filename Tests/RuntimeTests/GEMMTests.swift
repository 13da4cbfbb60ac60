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
}
