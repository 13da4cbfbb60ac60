/// How the masks of the MC passes over one slice are drawn.
public enum PassScheduleKind: String, Codable, Sendable, CaseIterable {
    /// Seeded cyclic windows over a shuffled order of the ROI patches: every ROI patch is hidden
    /// at least `k` times in at most `ceil(k / ratio) + 1` passes.
    case balanced
    /// The reference's procedure: independent random masks until every ROI patch was hidden `k`
    /// times, at most `maxPasses` passes.
    case coverage
}
