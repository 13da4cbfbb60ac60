import XCTest
import U2ADPipeline

final class WorkShareTests: XCTestCase {
    /// Contiguous parts in rank order that cover every item once; the first ranks take the remainder.
    func testRangesCoverEveryItemOnceInOrder() {
        for size in 1...5 {
            for count in 0...12 {
                let ranges = (0..<size).map { WorkShare.range(of: count, rank: $0, size: size) }
                XCTAssertEqual(ranges.flatMap { Array($0) }, Array(0..<count), "\(count) items over \(size) ranks")
                XCTAssertLessThanOrEqual((ranges.map(\.count).max() ?? 0) - (ranges.map(\.count).min() ?? 0), 1)
                if count > 0 { XCTAssertFalse(ranges[0].isEmpty, "rank 0 always has work") }
            }
        }
    }

    /// Runs of about equal weight, cut only where allowed.
    func testBalancedRunsCutOnlyWhereAllowed() {
        let weights = [4, 4, 4, 4, 1, 1, 1, 1]
        let cuttable = [true, false, true, true, true, false, true, true]
        let runs = WorkShare.balancedRuns(weights: weights, cuttable: cuttable, size: 2)
        XCTAssertEqual(runs, [0..<2, 2..<8], "weights 8 and 12 either side of half; the tie goes to the earlier cut")
        for size in 1...6 {
            let runs = WorkShare.balancedRuns(weights: weights, cuttable: cuttable, size: size)
            XCTAssertEqual(runs.count, size)
            XCTAssertEqual(runs.flatMap { Array($0) }, Array(0..<weights.count))
            for run in runs.dropFirst() where !run.isEmpty && run.lowerBound < weights.count {
                XCTAssertTrue(cuttable[run.lowerBound], "\(size) ranks: cut before item \(run.lowerBound)")
            }
        }
        XCTAssertEqual(WorkShare.balancedRuns(weights: [], cuttable: [], size: 3), [0..<0, 0..<0, 0..<0])
    }
}
