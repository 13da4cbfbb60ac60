import XCTest
@testable import U2ADRuntime
import U2ADRandom

final class ReduceTests: XCTestCase {
    func testReductionsAlongEachAxis() throws {
        var random = TestRandom(11)
        for backend in try backendsUnderTest() {
            for (outer, length, inner) in [(1, 2050, 128), (3, 7, 5), (4, 600, 1)] {
                let x = random.floats(outer * length * inner)
                let input = try backend.makeBuffer(x), out = try backend.makeBuffer([outer * inner])
                for operation in [Reduction.sum, .mean, .max] {
                    try backend.reduce(input, into: out, outer: outer, length: length, inner: inner, operation: operation)
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
                    assertClose(try backend.download(out), expected, 1e-5, "\(label(backend)) reduce \(operation) \((outer, length, inner))")
                }
            }
        }
    }
}
