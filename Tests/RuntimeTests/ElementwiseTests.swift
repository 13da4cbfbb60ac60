import XCTest
@testable import U2ADRuntime
import U2ADRandom

final class ElementwiseTests: XCTestCase {
    func testFillCopyAddScale() throws {
        var random = TestRandom(10)
        for backend in try backendsUnderTest() {
            let n = 1000
            let a = random.floats(n), b = random.floats(n)
            let x = try backend.makeBuffer(a), y = try backend.makeBuffer(b), out = try backend.makeBuffer([n])
            try backend.add(x, y, into: out, count: n)
            assertClose(try backend.download(out), zip(a, b).map { Double($0) + Double($1) }, 1e-7, "\(label(backend)) add")
            try backend.scale(out, by: -2.5, count: n)
            assertClose(try backend.download(out), zip(a, b).map { (Double($0) + Double($1)) * -2.5 }, 1e-7, "\(label(backend)) scale")
            try backend.copy(x, into: out, count: n)
            XCTAssertEqual(try backend.download(out), a)
            try backend.fill(out, with: 3.25, count: n)
            XCTAssertEqual(try backend.download(out), [Float](repeating: 3.25, count: n))
        }
    }
}
