import XCTest
import U2ADRandom

/// The one random-number vocabulary: Philox4x32-10, keys split by purpose, addressed draws and sequential streams.
final class RandomTests: XCTestCase {
    /// Known-answer vectors of Philox4x32-10 from the Random123 distribution.
    func testPhiloxKnownAnswers() {
        let zero = Philox.block((0, 0, 0, 0), key: (0, 0))
        XCTAssertEqual([zero.0, zero.1, zero.2, zero.3], [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
        let ones = Philox.block((.max, .max, .max, .max), key: (.max, .max))
        XCTAssertEqual([ones.0, ones.1, ones.2, ones.3], [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
        let pi = Philox.block((0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), key: (0xa409_3822, 0x299f_31d0))
        XCTAssertEqual([pi.0, pi.1, pi.2, pi.3], [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
    }

    /// A root key's words are the seed's halves, so the kernels' (seedLo, seedHi) arguments are the key.
    func testRootKeyIsTheSeed() {
        let key = RandomKey(seed: 0x1234_5678_9ABC_DEF0)
        XCTAssertEqual(key.low, 0x9ABC_DEF0)
        XCTAssertEqual(key.high, 0x1234_5678)
        XCTAssertEqual(key.value, 0x1234_5678_9ABC_DEF0)
        let bits = key.bits(stream: 3, step: 4, row: 5, element: 6)
        XCTAssertEqual(bits, Philox.block((1, 3, 4, 5), key: (key.low, key.high)).2)
    }

    func testSubKeysAreDistinctAndStable() {
        let root = RandomKey(seed: 7)
        let purposes = RandomPurpose.allCases.map { root.split($0) }
        XCTAssertEqual(Set(purposes).count, purposes.count, "two purposes share a key")
        XCTAssertEqual(root.split(.masks), RandomKey(seed: 7).split(.masks))
        XCTAssertNotEqual(root.split(.masks), RandomKey(seed: 8).split(.masks))
        let epochs = (0..<1000).map { root.fold(in: $0) }
        XCTAssertEqual(Set(epochs).count, 1000)
        XCTAssertNotEqual(root.fold(in: "a.npy"), root.fold(in: "b.npy"))
        XCTAssertEqual(root.fold(in: "a.npy"), RandomKey(seed: 7).fold(in: "a.npy"))
        XCTAssertNotEqual(root.fold(in: -1), root.fold(in: 1))
    }

    func testStreamsAreReproducibleAndUniform() {
        var a = RandomKey(seed: 99).stream(), b = RandomKey(seed: 99).stream()
        for _ in 0..<10 { XCTAssertEqual(a.normal(), b.normal()) }
        XCTAssertEqual(a, b)
        let u = (0..<20000).map { _ in a.uniform() }
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(u.reduce(0, +) / 20000, 0.5, accuracy: 0.01)
        let normals = (0..<20000).map { _ in a.normal() }
        let mean = normals.reduce(0, +) / 20000
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000, 1, accuracy: 0.03)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70000 { counts[a.below(7)] += 1 }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 10000) < 500 }, "\(counts)")
        let shuffled = a.shuffled(Array(0..<100))
        XCTAssertEqual(shuffled.sorted(), Array(0..<100))
        XCTAssertNotEqual(shuffled, Array(0..<100))
    }

    /// The n-th word of a stream is word n % 4 of the block at counter n / 4, whatever was drawn before.
    func testStreamWordsAreAddressed() {
        let key = RandomKey(seed: 5)
        var stream = key.stream()
        let words = (0..<9).map { _ in stream.nextWord() }
        let block = key.block((2, 0, 0x5354_524D, 0))
        XCTAssertEqual(Array(words[8...]), [block.0])
        XCTAssertEqual(stream.position, 9)
    }
}
