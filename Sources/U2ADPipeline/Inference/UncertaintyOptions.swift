import U2ADRandom

/// Settings of MC inference (``UncertaintyMaps``).
public struct UncertaintyOptions: Codable, Equatable, Sendable {
    /// Labels whose pixels form the masked region (`{3, 6}` cord and lesion at inference, `{3, 4, 6}` for adaptation maps).
    public var roiLabels: [Int] = [3, 6]
    /// Erode the region by a 3x3 square, as the reference's `infer.py`.
    public var erodeROI = true
    /// K of the paper: samples wanted per ROI patch (`--k`). The schedule hides each ROI patch in at least K passes
    /// and keeps its first K reconstructions.
    public var samplesPerPatch = 10
    /// Fraction of the ROI patches hidden per pass.
    public var ratio = 0.75
    public var schedule: PassScheduleKind = .balanced
    /// A fixed number of passes per slice instead of the schedule's own count (`--passes`).
    public var fixedPassCount: Int?
    /// Cap of the coverage schedule (the reference's 400).
    public var maxPasses = 400
    /// Seed of the pass schedules and dropout (each slice derives its keys from it and its name).
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

    /// The reference's inference (`infer.py`) region, with this project's defaults K = 10, ratio 0.75.
    public static var inference: UncertaintyOptions { UncertaintyOptions() }

    /// The reference's training-time maps (`variance_generate.py`): labels `{3, 4, 6}`, not eroded, independent
    /// random masks until every ROI patch was hidden K times (the coverage schedule).
    public static var adaptation: UncertaintyOptions {
        var options = UncertaintyOptions()
        options.roiLabels = [3, 4, 6]
        options.erodeROI = false
        options.schedule = .coverage
        return options
    }

    /// Most samples per ROI patch (`--k`): the reference's cap of 400 passes.
    public static let maximumSamplesPerPatch = 400
    /// Most passes per slice (`--passes` and the coverage schedule's cap).
    public static let maximumPasses = 10_000
    /// Most passes in one batch (`--max-batch`).
    public static let maximumBatch = 4096

    /// Throws a one-line error naming the first invalid option.
    public func validate() throws {
        let k = 1...Self.maximumSamplesPerPatch, passes = 1...Self.maximumPasses
        guard k.contains(samplesPerPatch) else { throw PipelineError.badOption("--k", "must be in 1...\(k.upperBound), got \(samplesPerPatch)") }
        guard ratio.isFinite, ratio >= 0, ratio <= 1 else { throw PipelineError.badOption("--ratio", "must be in [0, 1], got \(ratio)") }
        if let fixedPassCount, !passes.contains(fixedPassCount) {
            throw PipelineError.badOption("--passes", "must be in 1...\(passes.upperBound), got \(fixedPassCount)")
        }
        guard passes.contains(maxPasses) else { throw PipelineError.badOption("max passes", "must be in 1...\(passes.upperBound), got \(maxPasses)") }
        guard mcDropout.isFinite, mcDropout >= 0, mcDropout < 1 else {
            throw PipelineError.badOption("--mc-dropout", "must be in [0, 1), got \(mcDropout)")
        }
        if let maxBatch, !(1...Self.maximumBatch).contains(maxBatch) {
            throw PipelineError.badOption("--max-batch", "must be in 1...\(Self.maximumBatch), got \(maxBatch)")
        }
        guard !roiLabels.isEmpty else { throw PipelineError.badOption("--roi-labels", "needs at least one label") }
        try checkLabels(roiLabels, option: "--roi-labels")
        guard (1...1_000_000).contains(minimumROIPatches) else { throw PipelineError.badOption("minimum ROI patches", "must be in 1...1000000") }
    }

    /// The keys of one slice: its draws depend on the seed and its name only, not on the slices beside it.
    public func keys(slice name: String) -> (schedule: RandomKey, dropout: RandomKey) {
        let slice = RandomKey(seed: seed).fold(in: name)
        return (slice.split(.passSchedule), slice.split(.dropout))
    }

    /// The schedule for one slice with these ROI patches.
    public func schedule(roiPatches: [Int], patchCount: Int, key: RandomKey) -> PassSchedule {
        switch schedule {
        case .balanced:
            return PassSchedule.balanced(roiPatches: roiPatches, patchCount: patchCount, samplesPerPatch: samplesPerPatch, ratio: ratio,
                                         key: key, fixedPassCount: fixedPassCount)
        case .coverage:
            return PassSchedule.coverage(roiPatches: roiPatches, patchCount: patchCount, samplesPerPatch: samplesPerPatch, ratio: ratio,
                                         key: key, maxPasses: maxPasses, fixedPassCount: fixedPassCount)
        }
    }
}
