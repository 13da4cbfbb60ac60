import ArgumentParser
import Foundation
import U2ADModel
import U2ADPipeline
import U2ADRuntime

struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pretrain the UGMAE on healthy slices with ROI-guided random masking.",
        discussion: """
        Writes RUN/metrics.jsonl, RUN/snapshots/*.png, RUN/checkpoint/ (weights, Adam state, state.json with the options) \
        and, at the end, RUN/weights.safetensors. Ctrl-C writes a checkpoint and exits with status 130; \
        `u2ad pretrain --resume RUN` continues it (bit-identical on the same backend). Under `mpirun -n N` the N ranks \
        share every batch, one rank per GPU, and rank 0 writes the run folder (docs/distributed.md).
        """)

    @OptionGroup var training: TrainingArguments
    @OptionGroup var backendOptions: BackendOptions

    func run() {
        do {
            try training.run(mode: .pretrain, backendOptions: backendOptions) { _ in }
        } catch {
            failAndExit(error)
        }
    }
}

/// Options shared by `pretrain` and `adapt`.
struct TrainingArguments: ParsableArguments {
    @Option(help: "Folder of .npy slices (3, 256, 256): image in [0, 1], ROI mask, label map.")
    var data: String?
    @Option(help: "Run folder to create.")
    var out: String?
    @Option(help: "Continue the run in this folder with its saved options.")
    var resume: String?
    @Option(help: "Epochs (default 200).")
    var epochs: Int?
    @Option(help: "Slices per batch (default 10).")
    var batch: Int?
    @Option(help: "Seed of initial weights, shuffling, augmentation, masks and MC inference (default 0).")
    var seed: UInt64?
    @Option(help: "Learning rate (default 3e-3), multiplied by --decay-rate every --decay-every epochs.")
    var lr: Double?
    @Option(name: .customLong("decay-every"), help: "Epochs between learning-rate decays (default 50).")
    var decayEvery: Int?
    @Option(name: .customLong("decay-rate"), help: "Learning-rate decay factor (default 0.1).")
    var decayRate: Double?
    @Option(name: .customLong("mask-ratio"), help: "Fraction of ROI patches hidden (default 0.75).")
    var maskRatio: Double?
    @Option(name: .customLong("roi-labels"), help: "Labels forming the training ROI, comma-separated (default: the slices' ROI channel).")
    var roiLabels: String?
    @Flag(name: .customLong("no-augment"), help: "Turn off brightness/contrast/noise augmentation.")
    var noAugment = false
    @Option(help: "Encoder depth of a new model (default 12).")
    var depth: Int?
    @Option(name: .customLong("decoder-depth"), help: "Decoder depth of a new model (default 8).")
    var decoderDepth: Int?
    @Option(name: .customLong("patch-size"), help: "Patch side of a new model in pixels (default 8; 16 trains about 5x faster, for quick experiments).")
    var patchSize: Int?
    @Option(name: .customLong("snapshot-every"), help: "A snapshot PNG every N steps (default 200, 0: none).")
    var snapshotEvery: Int?
    @Option(name: .customLong("checkpoint-every"), help: "A checkpoint every N epochs (default 10, 0: only at the end).")
    var checkpointEvery: Int?

    /// Options given explicitly, which `--resume` does not accept (the run keeps its saved options).
    var explicitOptions: [String] {
        var names: [String] = []
        if data != nil { names.append("--data") }
        if out != nil { names.append("--out") }
        if epochs != nil { names.append("--epochs") }
        if batch != nil { names.append("--batch") }
        if seed != nil { names.append("--seed") }
        if lr != nil { names.append("--lr") }
        if decayEvery != nil { names.append("--decay-every") }
        if decayRate != nil { names.append("--decay-rate") }
        if maskRatio != nil { names.append("--mask-ratio") }
        if roiLabels != nil { names.append("--roi-labels") }
        if noAugment { names.append("--no-augment") }
        if depth != nil { names.append("--depth") }
        if decoderDepth != nil { names.append("--decoder-depth") }
        if snapshotEvery != nil { names.append("--snapshot-every") }
        if checkpointEvery != nil { names.append("--checkpoint-every") }
        if patchSize != nil { names.append("--patch-size") }
        return names
    }

    /// The options of a new run; `customize` adds the mode's own.
    func options(mode: TrainingOptions.Mode) throws -> TrainingOptions {
        guard let data else { throw PipelineError.badOption("--data", "required (or --resume RUN)") }
        var options = TrainingOptions()
        options.mode = mode
        options.dataFolder = URL(fileURLWithPath: data).standardizedFileURL.path
        if let epochs { options.epochs = epochs }
        if let batch { options.batchSize = batch }
        if let seed { options.seed = seed }
        if let lr { options.learningRate = lr }
        if let decayEvery { options.decayEvery = decayEvery }
        if let decayRate { options.decayRate = decayRate }
        if let maskRatio { options.masking.ratio = maskRatio }
        if let roiLabels { options.roiLabels = try parseLabels(roiLabels, option: "--roi-labels") }
        if noAugment { options.augmentation = nil }
        if let depth { options.model.depth = depth }
        if let decoderDepth { options.model.decoderDepth = decoderDepth }
        if let patchSize { options.model.patchSize = patchSize }
        if let snapshotEvery { options.snapshotEvery = snapshotEvery }
        if let checkpointEvery { options.checkpointEvery = checkpointEvery }
        return options
    }

    /// Starts or resumes a run and trains it; `customize` sets the mode's own options of a new run.
    func run(mode: TrainingOptions.Mode, backendOptions: BackendOptions, modeOptions: [String] = [],
             customize: (inout TrainingOptions) throws -> Void) throws {
        if resume != nil {
            let given = explicitOptions + modeOptions
            guard given.isEmpty else {
                throw PipelineError.badOption(given[0], "--resume continues with the run's saved options; drop \(given.joined(separator: ", "))")
            }
        } else if out == nil {
            throw PipelineError.badOption("--out", "required (the run folder to create), or --resume RUN")
        }
        let communicator = try World.communicator()
        let backend = try backendOptions.makeBackend()
        let reporter = communicator.isRoot ? ProgressReporter() : ProgressReporter(style: .silent)
        let trainer: Trainer
        if let resume {
            trainer = try Trainer(resuming: URL(fileURLWithPath: resume), backend: backend, reporter: reporter, communicator: communicator)
            guard trainer.options.mode == mode else {
                throw PipelineError.badOption("--resume", "\(resume) is a \(trainer.options.mode.rawValue) run; use u2ad \(trainer.options.mode.rawValue) --resume")
            }
            guard !trainer.state.finished else {
                let weights = trainer.run.appendingPathComponent("weights.safetensors").path
                throw PipelineError.badOption("--resume", "\(resume) has already finished (\(trainer.options.epochs) of \(trainer.options.epochs) epochs; weights: \(weights)); nothing to resume")
            }
        } else {
            guard let out else { throw PipelineError.badOption("--out", "required (the run folder to create)") }
            var options = try options(mode: mode)
            try customize(&options)
            trainer = try Trainer(options: options, run: URL(fileURLWithPath: out), backend: backend, reporter: reporter, communicator: communicator)
        }
        let stop = StopRequest()
        stop.stopOnInterrupt {
            FileHandle.standardError.write(Data("\ninterrupt: writing a checkpoint after this step (Ctrl-C again to quit at once)\n".utf8))
        }
        if case .interrupted = try trainer.train(stop: stop) { Foundation.exit(130) }
    }
}

/// `"3,4,6"` as integers.
func parseLabels(_ text: String, option: String) throws -> [Int] {
    let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
        throw PipelineError.badOption(option, "expected comma-separated integer labels, got '\(text)'")
    }
    return parts.compactMap { $0 }
}
