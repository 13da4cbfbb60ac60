import ArgumentParser
import Foundation
import U2ADModel
import U2ADPipeline
import U2ADRuntime

struct Adapt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Adapt a pretrained UGMAE to a target set with uncertainty-guided masking.",
        discussion: """
        Before the first epoch and every --regenerate-every epochs, MC inference (every ROI patch hidden --k times, ratio --mc-ratio, ROI = \
        --uncertainty-labels) recomputes the variance (epistemic) and error (aleatoric) maps of the whole training set. \
        Epochs before --au-from mask by variance (EU); later epochs also keep patches with filtered error visible (EU+AU). \
        Outputs, Ctrl-C and --resume as `u2ad pretrain`.
        """)

    @OptionGroup var training: TrainingArguments
    @Option(name: .customLong("init"), help: "Pretrained weights (.safetensors) to start from.")
    var initialWeights: String?
    @Option(name: .customLong("regenerate-every"), help: "Epochs between uncertainty-map regenerations (default 10).")
    var regenerateEvery: Int?
    @Option(name: .customLong("au-from"), help: "First epoch of EU+AU masking (default 150).")
    var aleatoricFrom: Int?
    @Option(help: "MC inference: samples per ROI patch, K (default 10).")
    var k: Int?
    @Option(name: .customLong("mc-ratio"), help: "MC inference masking ratio (default 0.75).")
    var ratio: Double?
    @Option(name: .customLong("mc-schedule"), help: "MC inference masks: coverage (the reference's, default) or balanced (fewer passes).")
    var schedule: String?
    @Option(name: .customLong("uncertainty-labels"), help: "Labels forming the MC inference ROI (default 3,4,6).")
    var uncertaintyLabels: String?
    @Option(name: .customLong("error-labels"), help: "Labels whose eroded region keeps the error map (default 3,6).")
    var errorLabels: String?
    @Option(help: "Temperature of the variance softmax (default 1).")
    var tau: Float?
    @Option(name: .customLong("variance-direction"), help: "reference (high variance slightly more often visible, default) or mask-high-variance.")
    var direction: String?
    @OptionGroup var backendOptions: BackendOptions

    var modeOptions: [String] {
        let given: [(Bool, String)] = [
            (initialWeights != nil, "--init"), (regenerateEvery != nil, "--regenerate-every"), (aleatoricFrom != nil, "--au-from"),
            (k != nil, "--k"), (ratio != nil, "--mc-ratio"), (schedule != nil, "--mc-schedule"),
            (uncertaintyLabels != nil, "--uncertainty-labels"), (errorLabels != nil, "--error-labels"), (tau != nil, "--tau"),
            (direction != nil, "--variance-direction"),
        ]
        return given.filter(\.0).map(\.1)
    }

    func run() {
        do {
            try training.run(mode: .adapt, backendOptions: backendOptions, modeOptions: modeOptions) { options in
                guard let initialWeights else { throw PipelineError.badOption("--init", "required: the pretrained weights to adapt") }
                // Adaptation keeps the pretrained model's shape: a shape option that disagrees with it is an error, not ignored.
                let pretrained = try InferenceModel.configuration(weights: URL(fileURLWithPath: initialWeights))
                let shape = [("--depth", training.depth, pretrained.depth), ("--decoder-depth", training.decoderDepth, pretrained.decoderDepth),
                             ("--patch-size", training.patchSize, pretrained.patchSize)]
                for case let (option, given?, stored) in shape where given != stored {
                    throw PipelineError.badOption(option, "\(given) differs from the \(stored) of the pretrained weights \(initialWeights); adaptation keeps their shape (drop \(option))")
                }
                options.initialWeights = URL(fileURLWithPath: initialWeights).standardizedFileURL.path
                if let regenerateEvery { options.adaptation.regenerateEvery = regenerateEvery }
                if let aleatoricFrom { options.adaptation.aleatoricFrom = aleatoricFrom }
                if let k { options.adaptation.maps.samplesPerPatch = k }
                if let ratio { options.adaptation.maps.ratio = ratio }
                if let schedule {
                    guard let kind = PassScheduleKind(rawValue: schedule.lowercased()) else {
                        throw PipelineError.badOption("--mc-schedule", "unknown schedule '\(schedule)'; use coverage or balanced")
                    }
                    options.adaptation.maps.schedule = kind
                }
                if let uncertaintyLabels { options.adaptation.maps.roiLabels = try parseLabels(uncertaintyLabels, option: "--uncertainty-labels") }
                if let errorLabels { options.adaptation.errorFiltering.labels = try parseLabels(errorLabels, option: "--error-labels") }
                if let tau { options.masking.tau = tau }
                if let direction {
                    guard let value = VarianceDirection(rawValue: direction.lowercased()) else {
                        throw PipelineError.badOption("--variance-direction", "unknown direction '\(direction)'; use reference or mask-high-variance")
                    }
                    options.masking.direction = value
                }
            }
        } catch {
            failAndExit(error)
        }
    }
}
