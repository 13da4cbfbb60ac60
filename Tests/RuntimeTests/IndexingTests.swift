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

    func testGatherRowsWithFillAndPeriodicTable() throws {
        var random = TestRandom(14)
        let width = 5, count = 12, period = 4
        let source = random.floats(7 * width), fill = random.floats(width), table = random.floats(period * width)
        let rows: [Int32] = (0..<count).map { $0 % 5 == 1 ? -1 : Int32(($0 * 3) % 7) }
        for backend in try backendsUnderTest() {
            let out = try backend.makeBuffer([count * width])
            try backend.gatherRows(try backend.makeBuffer(source), rows: try backend.makeIndexBuffer(rows), into: out, count: count, width: width,
                                   fill: try backend.makeBuffer(fill), table: try backend.makeBuffer(table), period: period)
            let expected = (0..<(count * width)).map { i -> Float in
                let r = i / width, c = i % width
                return (rows[r] >= 0 ? source[Int(rows[r]) * width + c] : fill[c]) + table[(r % period) * width + c]
            }
            XCTAssertEqual(try backend.download(out), expected, label(backend))
            try backend.gatherRows(try backend.makeBuffer(source), rows: try backend.makeIndexBuffer(rows), into: out, count: count, width: width,
                                   fill: nil, table: nil, period: 1)
            XCTAssertEqual(try backend.download(out), (0..<(count * width)).map { rows[$0 / width] >= 0 ? source[Int(rows[$0 / width]) * width + $0 % width] : 0 },
                           "\(label(backend)) without fill or table")
        }
    }

    /// The row maps of a mask, against their definitions written out on the host.
    func testMaskRowsFromThePatchOrder() throws {
        let patches = 6, visible = 2
        let hidden: [[Int]] = [[0, 2, 3, 5], [1, 2, 4, 5], [0, 1, 2, 3]]
        let batch = hidden.count
        var order: [Int32] = [], visibleLists: [[Int]] = []
        for row in hidden {
            let kept = (0..<patches).filter { !row.contains($0) }
            visibleLists.append(kept)
            order += (kept + row).map { Int32($0) }
        }
        var encoder: [Int32] = [], decoder: [Int32] = [], tokens = [Int32](repeating: -1, count: batch * patches)
        var cls: [Int32] = [], embedded: [Int32] = [], maskTokens: [Int32] = []
        for b in 0..<batch {
            let encoderBase = Int32(b * (1 + visible)), decoderBase = Int32(b * (1 + patches))
            encoder.append(-1)
            encoder += visibleLists[b].map { Int32(b * patches + $0) }
            decoder.append(encoderBase)
            decoder += (0..<patches).map { l in visibleLists[b].firstIndex(of: l).map { encoderBase + 1 + Int32($0) } ?? -1 }
            for (j, l) in visibleLists[b].enumerated() { tokens[b * patches + l] = encoderBase + 1 + Int32(j) }
            cls.append(encoderBase)
            embedded.append(decoderBase)
            embedded += visibleLists[b].map { decoderBase + 1 + Int32($0) }
            maskTokens += hidden[b].map { decoderBase + 1 + Int32($0) }
        }
        for backend in try backendsUnderTest() {
            func buffer(_ count: Int) throws -> Buffer { try backend.makeBuffer(count: count, shape: nil, elementType: .int32) }
            let rows = MaskRows(encoder: try buffer(encoder.count), decoder: try buffer(decoder.count), patchTokens: try buffer(tokens.count),
                                cls: try buffer(batch), embedded: try buffer(embedded.count), maskTokens: try buffer(maskTokens.count))
            try backend.buildMaskRows(order: try backend.makeIndexBuffer(order), batch: batch, patches: patches, visible: visible, into: rows)
            XCTAssertEqual(try backend.downloadInts(rows.encoder), encoder, label(backend))
            XCTAssertEqual(try backend.downloadInts(rows.decoder), decoder, label(backend))
            XCTAssertEqual(try backend.downloadInts(rows.patchTokens!), tokens, label(backend))
            XCTAssertEqual(try backend.downloadInts(rows.cls!), cls, label(backend))
            XCTAssertEqual(try backend.downloadInts(rows.embedded!), embedded, label(backend))
            XCTAssertEqual(try backend.downloadInts(rows.maskTokens!), maskTokens, label(backend))
        }
    }

    /// Patchify reads each batch row's image by slot, in the layout of the host `Patchify`.
    func testPatchifyReadsImagesBySlot() throws {
        var random = TestRandom(15)
        let size = 16, patch = 4, images = random.floats(3 * size * size)
        let slots: [Int32] = [2, 0, 2]
        for backend in try backendsUnderTest() {
            let out = try backend.makeBuffer([slots.count * size * size])
            try backend.patchify(try backend.makeBuffer(images), slots: try backend.makeIndexBuffer(slots), into: out, batch: slots.count, size: size, patch: patch)
            var expected: [Float] = []
            for slot in slots {
                let image = Array(images[(Int(slot) * size * size)..<((Int(slot) + 1) * size * size)])
                var patched = [Float](repeating: 0, count: size * size)
                let grid = size / patch
                for i in 0..<(size * size) {
                    let l = i / (patch * patch), k = i % (patch * patch)
                    patched[i] = image[((l / grid) * patch + k / patch) * size + (l % grid) * patch + k % patch]
                }
                expected += patched
            }
            XCTAssertEqual(try backend.download(out), expected, label(backend))
        }
    }
}
