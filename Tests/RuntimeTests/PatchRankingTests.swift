import XCTest
@testable import U2ADRuntime
import U2ADRandom

final class PatchRankingTests: XCTestCase {
    /// Both backends give the order of the definition: scores `u w + roi` sorted by (score, index), the first
    /// `visibleCount` visible, each list in ascending patch order.
    func testRankingMatchesTheDefinitionOnBothBackends() throws {
        var random = TestRandom(50)
        let rows = 3, patches = 300, visible = 71
        let roi = (0..<(rows * patches)).map { Float($0 % patches >= 100 && $0 % patches < 220 ? 4 : 0) }
        let weights = random.floats(rows * patches).map { abs($0) + 0.1 }
        let images: [Int32] = [5, 0, 17]
        let ranking = PatchRanking(rows: rows, patches: patches, visibleCount: visible, key: RandomKey(seed: 9), step: 3, stream: 0x4D41_534B)
        func expected(weighted: Bool) -> [Int32] {
            (0..<rows).flatMap { row -> [Int32] in
                let scores = (0..<patches).map { l -> Float in
                    let product = ranking.uniform(image: UInt32(images[row]), patch: UInt32(l)) * (weighted ? weights[row * patches + l] : 1)
                    return product + roi[row * patches + l]
                }
                let order = (0..<patches).sorted { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
                return order.prefix(visible).sorted().map(Int32.init) + order.dropFirst(visible).sorted().map(Int32.init)
            }
        }
        for backend in try backendsUnderTest() {
            for weighted in [true, false] {
                let out = try backend.makeBuffer(count: rows * patches, shape: nil, elementType: .int32)
                try backend.rankPatches(roi: try backend.makeBuffer(roi), weights: weighted ? try backend.makeBuffer(weights) : nil,
                                        images: try backend.makeIndexBuffer(images), into: out, ranking: ranking)
                XCTAssertEqual(try backend.downloadInts(out), expected(weighted: weighted), "\(label(backend)) ranking, weighted \(weighted)")
            }
        }
    }

    func testOrderListsVisibleThenHiddenPatches() throws {
        // 300 patches (not a power of two), and 3000 (beyond the kernel's 2048: the host twin runs).
        for count in [300, 3000] {
            let nonROI = count * 2 / 3, visibleCount = nonROI + (count - nonROI) / 4
            var lists: [[Int]] = []
            for backend in try backendsUnderTest() {
                let roi = (0..<count).map { Float($0 >= nonROI ? 64 : 0) }
                let images = try backend.makeIndexBuffer([7, 8])
                let order = try backend.makeBuffer(count: 2 * count, shape: [2, count], elementType: .int32)
                try backend.rankPatches(roi: try backend.makeBuffer(roi + roi), weights: nil, images: images, into: order,
                                    ranking: PatchRanking(rows: 2, patches: count, visibleCount: visibleCount, key: RandomKey(seed: 5), step: 2, stream: 1))
                let all = try backend.downloadInts(order).map(Int.init)
                for row in 0..<2 {
                    let list = Array(all[(row * count)..<((row + 1) * count)])
                    XCTAssertEqual(Set(list), Set(0..<count), backend.kind.rawValue)
                    let visible = Array(list[0..<visibleCount]), hidden = Array(list[visibleCount...])
                    XCTAssertEqual(visible, visible.sorted())
                    XCTAssertEqual(hidden, hidden.sorted())
                    XCTAssertTrue(hidden.allSatisfy { $0 >= nonROI }, "only ROI patches are hidden")
                    XCTAssertEqual(Array(visible.prefix(nonROI)), Array(0..<nonROI))
                }
                XCTAssertNotEqual(all[0..<count], all[count...], "rows draw from their own streams")
                lists.append(all)
            }
            for other in lists.dropFirst() { XCTAssertEqual(other, lists[0], "\(count) patches") }
        }
    }
}
