import XCTest
@testable import U2ADRuntime
import U2ADRandom

final class IndexingTests: XCTestCase {
    func testGatherScatterAndBroadcast() throws {
        var random = TestRandom(13)
        for backend in try backendsUnderTest() {
            let source = random.floats(50)
            let index: [Int32] = (0..<60).map { $0 % 7 == 3 ? -1 : Int32(($0 * 13) % 50) }
            let fill: [Float] = [9, 8, 7, 6]
            let out = try backend.makeBuffer([60])
            try backend.gather(try backend.makeBuffer(source), index: try backend.makeIndexBuffer(index), into: out, count: 60,
                           fill: try backend.makeBuffer(fill), fillPeriod: 4)
            XCTAssertEqual(try backend.download(out), (0..<60).map { index[$0] >= 0 ? source[Int(index[$0])] : fill[$0 % 4] })

            let permutation: [Int32] = (0..<50).map { Int32(($0 * 7) % 50) }
            let base = random.floats(50), add = random.floats(50)
            let target = try backend.makeBuffer(base)
            try backend.scatterAdd(try backend.makeBuffer(add), index: try backend.makeIndexBuffer(permutation), into: target, count: 50)
            var expected = base.map(Double.init)
            for i in 0..<50 { expected[Int(permutation[i])] += Double(add[i]) }
            assertClose(try backend.download(target), expected, 1e-7, "\(label(backend)) scatterAdd")

            let x = random.floats(6 * 5), table = random.floats(3 * 5)
            let sum = try backend.makeBuffer([30])
            try backend.addBroadcastRows(try backend.makeBuffer(x), table: try backend.makeBuffer(table), into: sum, rows: 6, cols: 5, period: 3)
            assertClose(try backend.download(sum), (0..<30).map { Double(x[$0]) + Double(table[(($0 / 5) % 3) * 5 + $0 % 5]) }, 1e-7, "\(label(backend)) broadcast")
        }
    }
}
