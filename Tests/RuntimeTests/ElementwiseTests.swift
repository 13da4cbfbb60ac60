import XCTest
@testable import U2ADRuntime

final class ElementwiseTests: XCTestCase {
    func testFillCopyAddScale() throws {
        var random = TestRandom(10)
        for backend in try backendsUnderTest() {
            let n = 1000
            let a = random.floats(n), b = random.floats(n)
            let x = try backend.makeBuffer(a), y = try backend.makeBuffer(b), out = try backend.makeBuffer([n])
            backend.add(x, y, into: out, count: n)
            assertClose(backend.download(out), zip(a, b).map { Double($0) + Double($1) }, 1e-7, "\(label(backend)) add")
            backend.scale(out, by: -2.5, count: n)
            assertClose(backend.download(out), zip(a, b).map { (Double($0) + Double($1)) * -2.5 }, 1e-7, "\(label(backend)) scale")
            backend.copy(x, into: out, count: n)
            XCTAssertEqual(backend.download(out), a)
            backend.fill(out, with: 3.25, count: n)
            XCTAssertEqual(backend.download(out), [Float](repeating: 3.25, count: n))
        }
    }

    func testReductionsAlongEachAxis() throws {
        var random = TestRandom(11)
        for backend in try backendsUnderTest() {
            for (outer, length, inner) in [(1, 2050, 128), (3, 7, 5), (4, 600, 1)] {
                let x = random.floats(outer * length * inner)
                let input = try backend.makeBuffer(x), out = try backend.makeBuffer([outer * inner])
                for operation in [Reduction.sum, .mean, .max] {
                    backend.reduce(input, into: out, outer: outer, length: length, inner: inner, operation: operation)
                    var expected = [Double](repeating: 0, count: outer * inner)
                    for o in 0..<outer {
                        for i in 0..<inner {
                            let values = (0..<length).map { Double(x[(o * length + $0) * inner + i]) }
                            switch operation {
                            case .sum: expected[o * inner + i] = values.reduce(0, +)
                            case .mean: expected[o * inner + i] = values.reduce(0, +) / Double(length)
                            case .max: expected[o * inner + i] = values.max()!
                            }
                        }
                    }
                    assertClose(backend.download(out), expected, 1e-5, "\(label(backend)) reduce \(operation) \((outer, length, inner))")
                }
            }
        }
    }

    func testActivationBackward() throws {
        var random = TestRandom(12)
        for backend in try backendsUnderTest() {
            let n = 777
            let x = random.floats(n, scale: 2), g = random.floats(n)
            let pre = try backend.makeBuffer(x), grad = try backend.makeBuffer(g), out = try backend.makeBuffer([n])
            backend.activationBackward(.gelu, pre: pre, gradOutput: grad, into: out, count: n)
            assertClose(backend.download(out), zip(x, g).map { Reference.geluDerivative(Double($0)) * Double($1) }, 2e-6, "\(label(backend)) gelu'")
            backend.activationBackward(.sigmoid, pre: pre, gradOutput: grad, into: out, count: n)
            assertClose(backend.download(out), zip(x, g).map { Double($0) * (1 - Double($0)) * Double($1) }, 1e-6, "\(label(backend)) sigmoid'")
            // In place (the gradient buffer receives the result), with a length that is not a multiple of 8.
            backend.activationBackward(.gelu, pre: pre, gradOutput: grad, into: grad, count: n)
            assertClose(backend.download(grad), zip(x, g).map { Reference.geluDerivative(Double($0)) * Double($1) }, 2e-6, "\(label(backend)) gelu' in place")
        }
    }

    func testGatherScatterAndBroadcast() throws {
        var random = TestRandom(13)
        for backend in try backendsUnderTest() {
            let source = random.floats(50)
            let index: [Int32] = (0..<60).map { $0 % 7 == 3 ? -1 : Int32(($0 * 13) % 50) }
            let fill: [Float] = [9, 8, 7, 6]
            let out = try backend.makeBuffer([60])
            backend.gather(try backend.makeBuffer(source), index: try backend.makeIndexBuffer(index), into: out, count: 60,
                           fill: try backend.makeBuffer(fill), fillPeriod: 4)
            XCTAssertEqual(backend.download(out), (0..<60).map { index[$0] >= 0 ? source[Int(index[$0])] : fill[$0 % 4] })

            let permutation: [Int32] = (0..<50).map { Int32(($0 * 7) % 50) }
            let base = random.floats(50), add = random.floats(50)
            let target = try backend.makeBuffer(base)
            backend.scatterAdd(try backend.makeBuffer(add), index: try backend.makeIndexBuffer(permutation), into: target, count: 50)
            var expected = base.map(Double.init)
            for i in 0..<50 { expected[Int(permutation[i])] += Double(add[i]) }
            assertClose(backend.download(target), expected, 1e-7, "\(label(backend)) scatterAdd")

            let x = random.floats(6 * 5), table = random.floats(3 * 5)
            let sum = try backend.makeBuffer([30])
            backend.addBroadcastRows(try backend.makeBuffer(x), table: try backend.makeBuffer(table), into: sum, rows: 6, cols: 5, period: 3)
            assertClose(backend.download(sum), (0..<30).map { Double(x[$0]) + Double(table[(($0 / 5) % 3) * 5 + $0 % 5]) }, 1e-7, "\(label(backend)) broadcast")
        }
    }
}
