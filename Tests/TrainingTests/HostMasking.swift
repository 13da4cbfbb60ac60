import U2ADModel
import U2ADRandom
@testable import U2ADPipeline

// The reference's masking rules on the host, in float32 as the reference computes them: the executable specification that
// MaskingFixtureTests checks against the PyTorch fixtures and DeviceMaskingTests checks the device path (`DeviceMasking`,
// the only masking the trainer runs) against. Only the tests use them, so they live here.

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

extension UncertaintyMasking {
    /// Scores `u * W + M` (float32).
    public static func scores(roiPixels: [[Float]], weights: [[Float]], draws: [[Float]], threshold: Float = 0) -> [[Float]] {
        let roi = ReferenceMasking.roiTerm(roiPixels, threshold: threshold)
        return (0..<roi.count).map { b in
            (0..<roi[b].count).map { l in
                let product = draws[b][l] * weights[b][l]
                return product + roi[b][l]
            }
        }
    }

    /// The mask for a batch; pass `error` for EU+AU (`variance_error_masking`), nil for EU (`variance_masking`).
    public static func mask(roiPixels: [[Float]], variance: [[Float]], error: [[Float]]? = nil, draws: [[Float]],
                            ratio: Double = 0.75, tau: Float = 1, direction: VarianceDirection = .reference,
                            threshold: Float = 0) throws -> PatchMask {
        let w = weights(roiPixels: roiPixels, variance: variance, error: error, tau: tau, direction: direction, threshold: threshold)
        return try ReferenceMasking.mask(scores: scores(roiPixels: roiPixels, weights: w, draws: draws, threshold: threshold),
                                         visibleCount: ReferenceMasking.visibleCount(roiPixels: roiPixels, ratio: ratio, threshold: threshold))
    }
}

extension ReferenceMasking {
    /// Patch indices of one row sorted by ascending score, ties by index (`argsort(score, stable=True)`).
    public static func ascendingOrder(_ scores: [Float]) -> [Int] {
        scores.indices.sorted { a, b in
            let x = scores[a], y = scores[b]
            return x < y || (x == y && a < b)
        }
    }

    /// Hides, in every row, all but the `visibleCount` lowest-scoring patches.
    public static func mask(scores: [[Float]], visibleCount: Int) throws -> PatchMask {
        let hidden: [[Bool]] = scores.map { row in
            var flags = [Bool](repeating: true, count: row.count)
            for l in ascendingOrder(row).prefix(visibleCount) { flags[l] = false }
            return flags
        }
        return try PatchMask(hidden: hidden)
    }
}

extension MaskingSettings {
    /// The mask for one batch under `strategy`, from uniform `draws[b][l]` in [0, 1).
    /// The uncertainty strategies need every input's `variance` (and `error` for EU+AU); missing maps count as zero.
    public func mask(_ strategy: MaskingStrategy, inputs: [MaskingInput], draws: [[Float]]) throws -> PatchMask {
        let roi = inputs.map(\.roiPixels)
        switch strategy {
        case .random:
            return try RandomMasking.mask(roiPixels: roi, draws: draws, ratio: ratio)
        case .epistemic, .epistemicAleatoric:
            let zeros = [Float](repeating: 0, count: roi.first?.count ?? 0)
            let variance = inputs.map { $0.variance ?? zeros }
            let error = strategy == .epistemicAleatoric ? inputs.map { $0.error ?? zeros } : nil
            return try UncertaintyMasking.mask(roiPixels: roi, variance: variance, error: error, draws: draws,
                                               ratio: ratio, tau: tau, direction: direction)
        }
    }
}

/// The uniform draws behind every mask: one value in [0, 1) per (image, patch), addressed rather than
/// sequential, so any backend, any batch split and a resumed run see the same numbers.
///
/// Draw `(b, l)` of training step `step` is Philox4x32-10 with the masks' key, counter
/// `(l / 4, stream, step, image)` (word `l % 4`), as 24-bit float32 (`Philox.uniform`).
/// `image` is the index of the image in the training set, so a slice's draw does not depend on
/// its batch neighbours.
public enum MaskNoise {
    /// One uniform draw.
    @inline(__always)
    public static func uniform(key: RandomKey, step: Int, image: Int, patch: Int, stream: UInt32 = DeviceMasking.maskStream) -> Float {
        Philox.uniform(key.bits(stream: stream, step: UInt32(truncatingIfNeeded: step), row: UInt32(truncatingIfNeeded: image),
                                element: UInt32(truncatingIfNeeded: patch)))
    }

    /// `patches` draws for each of `images`, `[images.count][patches]`.
    public static func draws(key: RandomKey, step: Int, images: [Int], patches: Int, stream: UInt32 = DeviceMasking.maskStream) -> [[Float]] {
        images.map { image in (0..<patches).map { uniform(key: key, step: step, image: image, patch: $0, stream: stream) } }
    }
}
