import U2ADModel

/// The steps shared by the reference's three masking functions (`random_masking`, `variance_masking`,
/// `variance_error_masking`), in float32 as the reference computes them.
///
/// * ROI term: `M[M > 0] = max(M)` with the maximum over the **whole batch**, so every ROI patch scores
///   at least `max(M)` and sorts after every non-ROI patch (whose scores stay below 1).
/// * Visible count: `keep[b] = n_roi[b] * (1 - ratio) + n_non[b]`, one `len_keep = trunc(mean_b keep[b])`
///   for the batch (`trunc(keep[0])` for a batch of one).
/// * Selection: patches sorted by ascending score; the first `len_keep` stay visible, the rest are hidden.
///   Ties break by patch index (a stable sort; the reference's `argsort` is unstable, which only
///   matters among exactly equal scores).
public enum ReferenceMasking {
    /// `M` after `M[M > 0] = max(M)`: every patch with more than `threshold` ROI pixels gets the batch maximum.
    public static func roiTerm(_ roiPixels: [[Float]], threshold: Float = 0) -> [[Float]] {
        let maximum = roiPixels.lazy.flatMap { $0 }.filter { $0.isFinite }.max() ?? 0
        return roiPixels.map { row in row.map { $0 > threshold ? maximum : 0 } }
    }

    /// The reference's `len_keep` for a batch with `roiPixels[b][l]` ROI pixels in patch `l` of image `b`.
    public static func visibleCount(roiPixels: [[Float]], ratio: Double, threshold: Float = 0) -> Int {
        guard !roiPixels.isEmpty else { return 0 }
        let kept = Float(1 - ratio)
        let keeps: [Float] = roiPixels.map { row in
            let roi = row.reduce(0) { $0 + ($1 > threshold ? 1 : 0) }
            return Float(roi) * kept + Float(row.count - roi)
        }
        let value = keeps.count > 1 ? keeps.reduce(0, +) / Float(keeps.count) : keeps[0]
        guard value.isFinite else { return 0 }
        return max(0, min(Int(value.rounded(.towardZero)), roiPixels[0].count))
    }

}
