import XCTest
@testable import U2ADRuntime
import U2ADRandom

final class DropoutTests: XCTestCase {
    func testDropoutMasksAreIdenticalAcrossBackendsAndKeepRateIsRight() throws {
        let count = 200_000, rowLength = 50_000
        let spec = DropoutSpec(rate: 0.3, key: RandomKey(seed: 0xDEAD_BEEF_1234), step: 7, layer: 2, firstPass: 11)
        var outputs: [[Float]] = []
        for backend in try backendsUnderTest() {
            let x = try backend.makeBuffer([Float](repeating: 1, count: count)), y = try backend.makeBuffer([count])
            try backend.dropout(x, into: y, count: count, rowLength: rowLength, spec: spec)
            let values = try backend.download(y)
            let kept = values.filter { $0 != 0 }.count
            XCTAssertEqual(Double(kept) / Double(count), 0.7, accuracy: 0.005, "\(label(backend)) keep rate")
            XCTAssertTrue(values.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-6 })
            for i in stride(from: 0, to: count, by: 997) {
                let keep = spec.keeps(pass: spec.firstPass + UInt32(i / rowLength), element: UInt32(i % rowLength))
                XCTAssertEqual(values[i] != 0, keep)
            }
            outputs.append(values)
        }
        if outputs.count == 2 { XCTAssertEqual(outputs[0], outputs[1], "dropout masks differ between backends") }
    }
}
