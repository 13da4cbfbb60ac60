import Foundation
import U2ADData
import U2ADModel

/// Everything that determines a training run. Saved in every checkpoint (`state.json`), so that
/// `--resume` continues with exactly the options the run started with.
public struct TrainingOptions: Codable, Equatable, Sendable {
    /// Pretraining (random masking on healthy scans) or uncertainty-guided adaptation.
    public enum Mode: String, Codable, Sendable { case pretrain, adapt }

    public var mode: Mode = .pretrain
    /// Folder of `.npy` slices `(3, S, S)`: image in [0, 1], ROI mask, label map.
    public var dataFolder: String = ""
    /// Weights to start from (required for adaptation; random initialisation from `seed` when nil).
    public var initialWeights: String?
    public var model = UGMAEConfiguration()

    public var epochs = 200
    public var batchSize = 10
    /// Seeds every random choice: initial weights, shuffling, augmentation, masks, MC inference.
    public var seed: UInt64 = 0

    /// Adam: `lr = learningRate * decayRate^(epoch / decayEvery)`, betas, epsilon, no weight decay.
    public var learningRate = 3e-3
    public var decayRate = 0.1
    public var decayEvery = 50
    public var beta1 = 0.9
    public var beta2 = 0.95
    public var epsilon = 1e-8
    public var masking = MaskingSettings()
    /// Augmentation as the reference's loader (`nil`: none).
    public var augmentation: Augmentation? = Augmentation()
    /// Labels forming the training ROI; empty = the slice's ROI mask channel (the reference).
    public var roiLabels: [Int] = []

    /// A snapshot PNG every this many steps (0: never).
    public var snapshotEvery = 200
    /// A checkpoint every this many epochs (0: only at the end and on interruption).
    public var checkpointEvery = 10

    public var adaptation = AdaptationOptions()

    public init() {}

    /// The learning rate of `epoch` (0-based).
    public func learningRate(epoch: Int) -> Double {
        learningRate * pow(decayRate, Double(epoch / max(decayEvery, 1)))
    }

    /// Masking strategy of `epoch`: random for pretraining; EU before `aleatoricFrom`, EU+AU after.
    public func maskingStrategy(epoch: Int) -> MaskingStrategy {
        guard mode == .adapt else { return .random }
        return epoch >= adaptation.aleatoricFrom ? .epistemicAleatoric : .epistemic
    }

    /// Most epochs, and most epochs between decays, checkpoints or regenerations.
    public static let maximumEpochs = 1_000_000
    /// Most slices per batch.
    public static let maximumBatch = 4096

    /// Throws a one-line error naming the first invalid option.
    public func validate() throws {
        func check(_ condition: Bool, _ option: String, _ why: String) throws {
            if !condition { throw PipelineError.badOption(option, why) }
        }
        let epochLimit = Self.maximumEpochs
        try check((1...epochLimit).contains(epochs), "--epochs", "must be in 1...\(epochLimit), got \(epochs)")
        try check((1...Self.maximumBatch).contains(batchSize), "--batch", "must be in 1...\(Self.maximumBatch), got \(batchSize)")
        try check(learningRate.isFinite && learningRate > 0 && learningRate <= 10, "--lr", "must be in (0, 10], got \(learningRate)")
        try check(decayRate.isFinite && decayRate > 0 && decayRate <= 10, "--decay-rate", "must be in (0, 10], got \(decayRate)")
        try check((1...epochLimit).contains(decayEvery), "--decay-every", "must be in 1...\(epochLimit), got \(decayEvery)")
        try check(masking.ratio > 0 && masking.ratio < 1, "--mask-ratio", "must be in (0, 1), got \(masking.ratio)")
        try check(masking.tau.isFinite && masking.tau >= 1e-3 && masking.tau <= 1e3, "--tau", "must be in [0.001, 1000], got \(masking.tau)")
        try check((0...1_000_000_000).contains(snapshotEvery), "--snapshot-every", "must be in 0...1000000000, got \(snapshotEvery)")
        try check((0...epochLimit).contains(checkpointEvery), "--checkpoint-every", "must be in 0...\(epochLimit), got \(checkpointEvery)")
        try checkLabels(roiLabels, option: "--roi-labels")
        if let problem = model.problem {
            let options = ["depth": "--depth", "decoderDepth": "--decoder-depth", "patchSize": "--patch-size"]
            throw PipelineError.badOption(options[problem.field] ?? "model", "\(problem)")
        }
        if let augmentation { try augmentation.validate() }
        if mode == .adapt {
            try check(initialWeights != nil, "--init", "adaptation starts from pretrained weights; pass --init FILE")
            try adaptation.validate()
        }
    }
}

/// Throws when a label given on the command line is not a label (``LabelRule``: magnitude below 2^31).
func checkLabels(_ labels: [Int], option: String) throws {
    if let bad = labels.first(where: { abs($0) >= Int(LabelRule.limit) }) {
        throw PipelineError.badOption(option, "label \(bad) is out of range (labels are of magnitude below 2^31)")
    }
}

/// Options of uncertainty-guided adaptation, defaults as `ada-train.py`.
public struct AdaptationOptions: Codable, Equatable, Sendable {
    /// Maps are regenerated before epoch 0 and then every this many epochs (10).
    public var regenerateEvery = 10
    /// First epoch of EU+AU masking (150); earlier epochs use EU masking.
    public var aleatoricFrom = 150
    /// MC inference of the maps (``UncertaintyOptions/adaptation``: K = 10, ratio 0.75, the coverage schedule,
    /// labels {3, 4, 6} not eroded). Its seed is derived from the run's seed at each regeneration.
    public var maps = UncertaintyOptions.adaptation
    /// Error-map mask and `process_error` settings (labels {3, 6} eroded by 3x3; 90th percentile; >= 2 px; top 3).
    public var errorFiltering = ErrorFiltering.Settings()

    public init() {}

    func validate() throws {
        let epochs = 1...TrainingOptions.maximumEpochs
        if !epochs.contains(regenerateEvery) { throw PipelineError.badOption("--regenerate-every", "must be in 1...\(epochs.upperBound), got \(regenerateEvery)") }
        if !(0...epochs.upperBound).contains(aleatoricFrom) { throw PipelineError.badOption("--au-from", "must be in 0...\(epochs.upperBound), got \(aleatoricFrom)") }
        try maps.validate()
        if !(maps.ratio > 0 && maps.ratio < 1) { throw PipelineError.badOption("--mc-ratio", "must be in (0, 1), got \(maps.ratio)") }
        if errorFiltering.labels.isEmpty { throw PipelineError.badOption("--error-labels", "needs at least one label") }
        try checkLabels(errorFiltering.labels, option: "--error-labels")
        if !(errorFiltering.percentile >= 0 && errorFiltering.percentile <= 100) {
            throw PipelineError.badOption("--error-percentile", "must be in [0, 100]")
        }
    }
}
