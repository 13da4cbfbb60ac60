/// How work is divided among the ranks: always in contiguous, ordered parts, so that concatenating the parts in rank
/// order gives back the whole in its original order.
public enum WorkShare {
    /// Rank `rank`'s part of `count` items when `size` ranks share them: contiguous, the first `count % size` ranks
    /// taking one item more (so rank 0's part is never empty while there is an item).
    public static func range(of count: Int, rank: Int, size: Int) -> Range<Int> {
        let base = count / size, extra = count % size
        let start = rank * base + min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }

    /// Cuts `weights.count` items into `size` contiguous runs of about equal total weight, cutting only before items
    /// whose `cuttable` flag is true (and at the end). Returns one run per rank, in rank order; runs may be empty.
    public static func balancedRuns(weights: [Int], cuttable: [Bool], size: Int) -> [Range<Int>] {
        precondition(weights.count == cuttable.count, "one cuttable flag per item")
        var before = [0]
        for weight in weights { before.append(before[before.count - 1] + weight) }
        let total = before[weights.count]
        let cuts = (0..<weights.count).filter { cuttable[$0] } + [weights.count]
        var bounds = [0]
        for r in 1..<max(size, 1) {
            let target = Double(total) * Double(r) / Double(size)
            let previous = bounds[bounds.count - 1]
            let candidates = cuts.filter { $0 >= previous }
            let best = candidates.min { abs(Double(before[$0]) - target) < abs(Double(before[$1]) - target) } ?? weights.count
            bounds.append(best)
        }
        bounds.append(weights.count)
        return (0..<max(size, 1)).map { bounds[$0]..<bounds[$0 + 1] }
    }
}
