import U2ADModel
import U2ADRandom
import U2ADRuntime

/// Masks drawn on the backend (``Backend/rankPatches(roi:weights:images:into:ranking:)``): the draws, scores and the
/// per-row sort run on the device; the host computes only the batch-wide terms (ROI maximum, visible count,
/// uncertainty softmax). Gives exactly the masks of the reference's masking functions with the draws of
/// ``PatchRanking/uniform(image:patch:)`` for the same (key, step, images), on every backend (the tests hold the
/// host transcription of the reference they are checked against).
public struct DeviceMasking {
    public let backend: Backend
    /// Counter word that separates mask draws from dropout draws (which put the layer index there).
    public static let maskStream: UInt32 = 0x4D41_534B  // "MASK"

    public init(backend: Backend) {
        self.backend = backend
    }

    /// The mask of a batch: `images[b]` is the training-set index of image `b` (its Philox stream), `step` the
    /// draw counter (the trainer passes the epoch).
    public func mask(_ strategy: MaskingStrategy, settings: MaskingSettings, inputs: [MaskingInput], key: RandomKey, step: Int,
                     images: [Int], stream: UInt32 = DeviceMasking.maskStream) throws -> PatchMask {
        let roiPixels = inputs.map(\.roiPixels)
        let rows = roiPixels.count, patches = roiPixels.first?.count ?? 0
        guard rows > 0, patches > 0 else { return try PatchMask(hidden: roiPixels.map { $0.map { _ in false } }) }
        let roiTerm = ReferenceMasking.roiTerm(roiPixels)
        var weights: [[Float]]?
        if strategy != .random {
            let zeros = [Float](repeating: 0, count: patches)
            weights = UncertaintyMasking.weights(roiPixels: roiPixels, variance: inputs.map { $0.variance ?? zeros },
                                                 error: strategy == .epistemicAleatoric ? inputs.map { $0.error ?? zeros } : nil,
                                                 tau: settings.tau, direction: settings.direction)
        }
        let visibleCount = ReferenceMasking.visibleCount(roiPixels: roiPixels, ratio: settings.ratio)
        let roiBuffer = try backend.makeBuffer(roiTerm.flatMap { $0 })
        let weightBuffer = try weights.map { try backend.makeBuffer($0.flatMap { $0 }) }
        let imageBuffer = try backend.makeIndexBuffer(images.map { Int32(truncatingIfNeeded: $0) })
        let orderBuffer = try backend.makeBuffer(count: rows * patches, shape: [rows, patches], elementType: .int32)
        try backend.rankPatches(roi: roiBuffer, weights: weightBuffer, images: imageBuffer, into: orderBuffer,
                            ranking: PatchRanking(rows: rows, patches: patches, visibleCount: visibleCount, key: key,
                                                  step: UInt32(truncatingIfNeeded: step), stream: stream))
        let order = try backend.downloadInts(orderBuffer)
        let hidden: [[Bool]] = (0..<rows).map { b in
            var flags = [Bool](repeating: false, count: patches)
            for j in visibleCount..<patches { flags[Int(order[b * patches + j])] = true }
            return flags
        }
        return try PatchMask(hidden: hidden)
    }
}
