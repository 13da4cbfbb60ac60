import U2ADModel

/// The reference's `random_masking`: ROI-guided uniform masking.
///
/// `score[b][l] = u[b][l] + M[b][l]` with `u` uniform in [0, 1) and `M` the ROI term of
/// ``ReferenceMasking/roiTerm(_:threshold:)``: every ROI patch sorts after every non-ROI patch, so the
/// hidden patches are a uniformly random subset of the ROI patches (in a batch of one: all but
/// `floor(n_roi * (1 - ratio))` of them). With a batch, one visible count serves all images
/// (see ``ReferenceMasking``).
public enum RandomMasking {
    /// Scores `u + M` (float32).
    public static func scores(roiPixels: [[Float]], draws: [[Float]], threshold: Float = 0) -> [[Float]] {
        let roi = ReferenceMasking.roiTerm(roiPixels, threshold: threshold)
        return zip(roi, draws).map { row, noise in zip(row, noise).map { $1 + $0 } }
    }

    /// The mask for a batch: `roiPixels[b][l]` ROI pixels per patch, `draws[b][l]` uniform in [0, 1).
    public static func mask(roiPixels: [[Float]], draws: [[Float]], ratio: Double = 0.75, threshold: Float = 0) throws -> PatchMask {
        try ReferenceMasking.mask(scores: scores(roiPixels: roiPixels, draws: draws, threshold: threshold),
                                  visibleCount: ReferenceMasking.visibleCount(roiPixels: roiPixels, ratio: ratio, threshold: threshold))
    }
}
