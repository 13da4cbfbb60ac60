/// Which patches each image of a batch hides from the encoder, and the index maps derived from it.
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

    /// Encoder input rows: `index[b, t, d]` into patch tokens `[B * L, width]`; -1 for the cls row.
    func encoderGatherIndex(width: Int) -> [Int32] {
        let tokens = 1 + visibleCount
        var index = [Int32](repeating: -1, count: batch * tokens * width)
        for b in 0..<batch {
            for (j, l) in visible[b].enumerated() {
                let destination = (b * tokens + 1 + j) * width, source = (b * patchCount + l) * width
                for d in 0..<width { index[destination + d] = Int32(source + d) }
            }
        }
        return index
    }

    /// Inverse of ``encoderGatherIndex(width:)``: for every patch token, the encoder row holding it, or -1 if hidden.
    func patchTokenGatherIndex(width: Int) -> [Int32] {
        let tokens = 1 + visibleCount
        var index = [Int32](repeating: -1, count: batch * patchCount * width)
        for b in 0..<batch {
            for (j, l) in visible[b].enumerated() {
                let destination = (b * patchCount + l) * width, source = (b * tokens + 1 + j) * width
                for d in 0..<width { index[destination + d] = Int32(source + d) }
            }
        }
        return index
    }

    /// Index of each image's cls row in the encoder sequence, `[B, width]`.
    func clsRowIndex(width: Int) -> [Int32] {
        let tokens = 1 + visibleCount
        return (0..<(batch * width)).map { Int32(($0 / width) * tokens * width + $0 % width) }
    }

    /// Decoder input rows `[B, 1 + L, width]` from the embedded encoder output `[B, 1 + V, width]`; -1 = mask token.
    func decoderGatherIndex(width: Int) -> [Int32] {
        let tokens = 1 + visibleCount
        var index = [Int32](repeating: -1, count: batch * (1 + patchCount) * width)
        for b in 0..<batch {
            for d in 0..<width { index[b * (1 + patchCount) * width + d] = Int32(b * tokens * width + d) }
            for (j, l) in visible[b].enumerated() {
                let destination = (b * (1 + patchCount) + 1 + l) * width, source = (b * tokens + 1 + j) * width
                for d in 0..<width { index[destination + d] = Int32(source + d) }
            }
        }
        return index
    }

    /// Inverse of ``decoderGatherIndex(width:)``: for each embedded encoder row, its decoder row.
    func embeddedGatherIndex(width: Int) -> [Int32] {
        let tokens = 1 + visibleCount
        var index = [Int32](repeating: 0, count: batch * tokens * width)
        for b in 0..<batch {
            for d in 0..<width { index[b * tokens * width + d] = Int32(b * (1 + patchCount) * width + d) }
            for (j, l) in visible[b].enumerated() {
                let destination = (b * tokens + 1 + j) * width, source = (b * (1 + patchCount) + 1 + l) * width
                for d in 0..<width { index[destination + d] = Int32(source + d) }
            }
        }
        return index
    }

    /// Decoder rows that hold the mask token, `[B * (L - V), width]`.
    func maskTokenRowIndex(width: Int) -> [Int32] {
        var index: [Int32] = []
        index.reserveCapacity(batch * maskedCount * width)
        for b in 0..<batch {
            for l in masked[b] {
                let source = (b * (1 + patchCount) + 1 + l) * width
                for d in 0..<width { index.append(Int32(source + d)) }
            }
        }
        return index
    }
}
