/// Settings of MC inference (``UncertaintyMaps``).
public struct UncertaintyOptions: Codable, Equatable, Sendable {
    /// Labels whose pixels form the masked region (`{3, 6}` cord and lesion at inference, `{3, 4, 6}` for adaptation maps).
    public var roiLabels: [Int] = [3, 6]
    /// Erode the region by a 3x3 square, as the reference's `infer.py`.
    public var erodeROI = true
    /// Samples wanted per ROI patch.
    public var k = 10
    /// Fraction of the ROI patches hidden per pass.
    public var ratio = 0.75
    public var schedule: PassScheduleKind = .balanced
    /// A fixed number of passes per slice instead of the schedule's own count.
    public var passes: Int?
    /// Cap of the coverage schedule (the reference's 400).
    public var maxPasses = 400
    public var seed: UInt64 = 0
    /// Dropout rate in attention and MLP during inference (0: off).
    public var mcDropout: Float = 0
    /// Slices with fewer ROI patches get zero maps (the reference's 3).
    public var minimumROIPatches = 3
    /// Min-max normalise each image before inference, as the reference's loaders do.
    public var normalizeImage = true
    /// Most passes in one batch; nil plans it from the device.
    public var maxBatch: Int?

    public init() {}

    /// The reference's inference (`infer.py`) region, with this project's defaults `k` 10, ratio 0.75.
    public static var inference: UncertaintyOptions { UncertaintyOptions() }

    /// The reference's training-time maps (`variance_generate.py`): labels `{3, 4, 6}`, not eroded.
    public static var adaptation: UncertaintyOptions {
        var options = UncertaintyOptions()
        options.roiLabels = [3, 4, 6]
        options.erodeROI = false
        return options
    }

    /// Throws a one-line error naming the first invalid option.
    public func validate() throws {
        guard k >= 1 else { throw PipelineError.badOption("--k", "must be at least 1, got \(k)") }
        guard ratio.isFinite, ratio >= 0, ratio <= 1 else { throw PipelineError.badOption("--ratio", "must be in [0, 1], got \(ratio)") }
        if let passes, passes < 1 { throw PipelineError.badOption("--passes", "must be at least 1, got \(passes)") }
        guard maxPasses >= 1 else { throw PipelineError.badOption("max passes", "must be at least 1, got \(maxPasses)") }
        guard mcDropout.isFinite, mcDropout >= 0, mcDropout < 1 else {
            throw PipelineError.badOption("--mc-dropout", "must be in [0, 1), got \(mcDropout)")
        }
        if let maxBatch, maxBatch < 1 { throw PipelineError.badOption("--max-batch", "must be at least 1, got \(maxBatch)") }
        guard !roiLabels.isEmpty else { throw PipelineError.badOption("--roi-labels", "needs at least one label") }
        guard minimumROIPatches >= 1 else { throw PipelineError.badOption("minimum ROI patches", "must be at least 1") }
    }

    /// The schedule for one slice with these ROI patches.
    public func schedule(roiPatches: [Int], patchCount: Int, seed: UInt64) -> PassSchedule {
        switch schedule {
        case .balanced:
            return PassSchedule.balanced(roiPatches: roiPatches, patchCount: patchCount, k: k, ratio: ratio, seed: seed, passes: passes)
        case .coverage:
            return PassSchedule.coverage(roiPatches: roiPatches, patchCount: patchCount, k: k, ratio: ratio, seed: seed,
                                         maxPasses: maxPasses, passes: passes)
        }
    }
}
