/// Which patches each image of a batch hides from the encoder.
///
/// Every image must keep the same number of patches visible (the reference uses one `len_keep` per batch).
/// Visible patches enter the encoder in ascending patch order after the cls token.
public struct PatchMask: Equatable, Sendable {
    public let batch: Int
    public let patchCount: Int
    /// `hidden[b][l]`: patch `l` of image `b` is hidden.
    public let hidden: [[Bool]]
    public let visible: [[Int]]
    public let masked: [[Int]]
    public var visibleCount: Int { visible.first?.count ?? 0 }
    public var maskedCount: Int { patchCount - visibleCount }

    public enum Failure: Error, CustomStringConvertible {
        case unequalVisibleCounts([Int])
        case wrongPatchCount(Int, expected: Int)

        public var description: String {
            switch self {
            case .unequalVisibleCounts(let counts):
                return "masked patches: every image of a batch must keep the same number of patches visible, got \(counts)"
            case .wrongPatchCount(let count, let expected):
                return "masked patches: \(count) values, expected \(expected)"
            }
        }
    }

    public init(hidden: [[Bool]]) throws {
        batch = hidden.count
        patchCount = hidden.first?.count ?? 0
        for row in hidden where row.count != patchCount { throw Failure.wrongPatchCount(row.count, expected: patchCount) }
        self.hidden = hidden
        visible = hidden.map { row in row.indices.filter { !row[$0] } }
        masked = hidden.map { row in row.indices.filter { row[$0] } }
        let counts = visible.map(\.count)
        if Set(counts).count > 1 { throw Failure.unequalVisibleCounts(counts) }
    }

    /// Each image's visible patches in ascending order, then its hidden ones, `[batch, patchCount]` (the layout
    /// ``U2ADRuntime/PatchRankingOps`` writes): all the device needs to build the mask's row maps.
    public var order: [Int32] {
        var order: [Int32] = []
        order.reserveCapacity(batch * patchCount)
        for b in 0..<batch {
            order += visible[b].map { Int32($0) }
            order += masked[b].map { Int32($0) }
        }
        return order
    }
}
