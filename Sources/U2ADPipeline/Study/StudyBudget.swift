import U2ADModel

/// How much network and training a study spends per method.
public struct StudyBudget: Codable, Equatable, Sendable {
    public var name: String
    public var model: UGMAEConfiguration
    public var pretrainEpochs: Int
    public var adaptEpochs: Int
    public var batch: Int
    /// Adaptation regenerates its maps before epoch 0 and every this many epochs.
    public var regenerateEvery: Int
    /// K of the maps during adaptation.
    public var adaptationSamplesPerPatch: Int
    /// K of inference (calibration and test).
    public var inferenceSamplesPerPatch: Int
    /// The phantom cohort's size at this budget.
    public var phantomCohort = PhantomCohortSize()

    /// Small enough for a 2-core CPU in minutes: 2 encoder and 1 decoder block of the reference widths with 16-pixel
    /// patches (257 tokens instead of 1025), pretrained for 1800 steps on 240 healthy phantoms (fewer slices overfit:
    /// 24 slices trained to a tenth of the loss reconstructed new patients' cords three times worse, see
    /// docs/detection.md).
    public static let small: StudyBudget = {
        var budget = StudyBudget(name: "small", model: UGMAEConfiguration(patchSize: 16, depth: 2, decoderDepth: 1),
                                 pretrainEpochs: 60, adaptEpochs: 20, batch: 8, regenerateEvery: 5, adaptationSamplesPerPatch: 4,
                                 inferenceSamplesPerPatch: 6)
        budget.phantomCohort.training = 240
        return budget
    }()

    /// The reference configuration (12 + 8 blocks, 8-pixel patches) and schedule: meant for a GPU.
    public static let full = StudyBudget(
        name: "full", model: UGMAEConfiguration(), pretrainEpochs: 200, adaptEpochs: 200, batch: 10, regenerateEvery: 10,
        adaptationSamplesPerPatch: 10, inferenceSamplesPerPatch: 10)

    /// Seconds on any machine: a plumbing check of the whole protocol (the tests run it), not a measurement.
    public static let tiny: StudyBudget = {
        var budget = StudyBudget(name: "tiny", model: UGMAEConfiguration(patchSize: 16, embedDim: 32, depth: 1, heads: 4, decoderEmbedDim: 32,
                                                                         decoderDepth: 1, decoderHeads: 4),
                                 pretrainEpochs: 2, adaptEpochs: 2, batch: 2, regenerateEvery: 1, adaptationSamplesPerPatch: 2, inferenceSamplesPerPatch: 2)
        budget.phantomCohort.training = 2
        budget.phantomCohort.calibration = 3
        budget.phantomCohort.healthyTest = 3
        budget.phantomCohort.lesionedTest = 3
        return budget
    }()

    public static func named(_ name: String) throws -> StudyBudget {
        switch name.lowercased() {
        case "small": return .small
        case "full": return .full
        case "tiny": return .tiny
        default: throw PipelineError.badOption("--budget", "unknown budget '\(name)'; use small or full (or tiny, a plumbing check)")
        }
    }
}
