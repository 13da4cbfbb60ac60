import Foundation
import XCTest
import U2ADPipeline

final class ErrorFilteringTests: XCTestCase {
    func testPercentileMatchesNumpy() {
        // numpy.percentile(a, 90) of each array.
        XCTAssertEqual(ErrorFiltering.percentile([0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8], 90), 0.8400000000000001)
        XCTAssertEqual(ErrorFiltering.percentile((1...11).map { Double($0) * 0.1 }, 90), 1.0, accuracy: 1e-15)
        XCTAssertEqual(ErrorFiltering.percentile([3.0], 90), 3.0)
        XCTAssertEqual(ErrorFiltering.percentile([1.0, 2.0], 90), 1.9)
    }

    func testKeepsTheThreeBestComponents() {
        let size = 32
        var map = [Float](repeating: 0, count: size * size)
        func set(_ r: Int, _ c: Int, _ v: Float) { map[r * size + c] = v }
        // 200 isolated low values set the 90th percentile of the nonzero values to 0.01.
        var placed = 0
        for r in stride(from: 16, to: 32, by: 2) { for c in stride(from: 0, to: 32, by: 2) where placed < 200 { set(r, c, 0.01); placed += 1 } }
        for r in stride(from: 17, to: 32, by: 2) { for c in stride(from: 1, to: 32, by: 2) where placed < 200 { set(r, c, 0.01); placed += 1 } }
        // A: 4 px of 1.0 joined only diagonally (one component with 8-connectivity): score 1 x 4 = 4.
        set(1, 1, 1); set(2, 2, 1); set(3, 3, 1); set(4, 4, 1)
        // B: 3 px of 2.0: score 2 x 6 = 12.
        set(1, 10, 2); set(1, 11, 2); set(1, 12, 2)
        // C: 2 px of 0.9: score 1.62 (fourth, dropped).
        set(8, 20, 0.9); set(9, 20, 0.9)
        // D: 1 px of 5.0: too small.
        set(10, 5, 5)
        // E: 5 px of 0.8: score 3.2.
        for c in 25..<30 { set(6, c, 0.8) }
        let filtered = ErrorFiltering.filter(map, size: size)
        var expected = [Float](repeating: 0, count: size * size)
        for (r, c) in [(1, 1), (2, 2), (3, 3), (4, 4)] { expected[r * size + c] = 1 }
        for c in 10...12 { expected[1 * size + c] = 2 }
        for c in 25..<30 { expected[6 * size + c] = 0.8 }
        XCTAssertEqual(filtered, expected)
        XCTAssertEqual(ErrorFiltering.filter([Float](repeating: 0, count: 16), size: 4), [Float](repeating: 0, count: 16))
    }

    func testStructureMaskErodesTheCordLabels() {
        let size = 8
        var labels = [Float](repeating: 0, count: size * size)
        for r in 1..<6 { for c in 1..<6 { labels[r * size + c] = r == 3 ? 6 : 3 } }
        labels[3 * size + 3] = 4  // not in {3, 6}: a hole
        let error = [Float](repeating: 1, count: size * size)
        let masked = ErrorFiltering.structureMasked(error, labels: labels, size: size)
        var expected = [Float](repeating: 0, count: size * size)
        // The 5x5 block erodes to its 3x3 centre, then the hole removes itself and its neighbours.
        for r in 2..<5 { for c in 2..<5 { expected[r * size + c] = 0 } }
        XCTAssertEqual(masked, expected)
        labels[3 * size + 3] = 3
        let full = ErrorFiltering.structureMasked(error, labels: labels, size: size)
        for r in 0..<size { for c in 0..<size { XCTAssertEqual(full[r * size + c], (2..<5).contains(r) && (2..<5).contains(c) ? 1 : 0) } }
    }
}
