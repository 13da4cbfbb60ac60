import Foundation
import U2ADData
import U2ADModel
import U2ADRandom
import U2ADRuntime

/// How a call to ``Trainer/train(stop:stepLimit:)`` ended.
public enum TrainingOutcome: Equatable, Sendable {
    /// Every epoch ran; the final weights are at `weights`.
    case finished(weights: URL)
    /// Stopped early (Ctrl-C, or the step limit); `checkpoint` resumes it.
    case interrupted(checkpoint: URL)
}

/// Runs pretraining or uncertainty-guided adaptation in a run folder:
///
/// * `RUN/metrics.jsonl`: every step, epoch and regeneration,
/// * `RUN/snapshots/`: a PNG every `snapshotEvery` steps,
/// * `RUN/checkpoint/`: every `checkpointEvery` epochs, at the end and on interruption (see ``Checkpoint``),
/// * `RUN/weights.safetensors`: the final weights.
///
/// Each step: augment the batch, draw the masks (``MaskingSettings``), forward, the reference loss
/// (epoch index from 0), backward, one Adam step with `lr = 3e-3 * 0.1^(epoch / 50)`.
///
/// With several ranks (`communicator`), each rank takes its share of every batch and the gradients are summed over
/// the ranks before the same Adam step on every rank (`DataParallel.swift`); rank 0 alone writes the run folder.
public final class Trainer {
    public let options: TrainingOptions
    public let run: URL
    public let backend: Backend
    public let model: UGMAE
    public let set: TrainingSet
    /// The ranks sharing every batch (one process by default).
    public let communicator: Communicator
    public private(set) var state: TrainingState
    /// The per-patch uncertainty the masks use (adaptation).
    public private(set) var uncertainty: UncertaintySums?
    /// Observes every step's mask: (epoch, slice indices, mask).
    public var maskObserver: ((Int, [Int], PatchMask) -> Void)?

    let moments: (first: Buffer, second: Buffer)
    let workspace: UGMAE.Workspace
    /// The run's root key: every draw of the run comes from a sub-key by purpose, epoch and slice.
    var random: RandomKey { RandomKey(seed: options.seed) }
    let uncertaintySource: UncertaintySource
    let reporter: ProgressReporter
    /// Nil on every rank but rank 0.
    let metrics: MetricsLog?
    private var sessionStart = ProcessInfo.processInfo.systemUptime
    private var sessionImages = 0
    private var sessionSteps = 0

    /// Starts a new run in `run` (created if needed; it must not hold a checkpoint already).
    /// `uncertaintySource` nil uses MC inference (``MonteCarloUncertainty``). For adaptation, the model shape is read from the initial weights' metadata when they record it.
    public convenience init(options: TrainingOptions, run: URL, backend: Backend, uncertaintySource: UncertaintySource? = nil,
                            reporter: ProgressReporter = ProgressReporter(), communicator: Communicator = SingleProcess()) throws {
        var options = options
        var initialWeights: SafeTensorsFile?
        if let initial = options.initialWeights {
            let url = URL(fileURLWithPath: initial)
            guard FileManager.default.fileExists(atPath: url.path) else { throw PipelineError.badOption("--init", "\(initial) does not exist") }
            let file = try InferenceModel.read(url)
            initialWeights = file
            let counted = try InferenceModel.configuration(of: file, named: url.lastPathComponent)
            if InferenceModel.recordsConfiguration(file) {
                options.model = counted
            } else {
                // Reference weights: the widths of `options.model`, the depths counted from the tensor names.
                options.model.depth = counted.depth
                options.model.decoderDepth = counted.decoderDepth
            }
        }
        try options.validate()
        let holdsRun: Bool
        do { holdsRun = try Checkpoint.recover(run: run) != nil } catch { holdsRun = true }
        if holdsRun {
            throw PipelineError.badOption("--out", "\(run.path) already holds a training run; continue it with --resume \(run.path) or choose another folder")
        }
        do { try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true) } catch {
            throw PipelineError.badOption("--out", "cannot create \(run.path): \(fileErrorReason(error, path: run.path))")
        }
        Checkpoint.removeLeftovers(run: run)
        let set = try TrainingSet.load(folder: options.dataFolder, configuration: options.model, roiLabels: options.roiLabels)
        var state = TrainingState(options: options)
        state.backend = backend.kind.rawValue
        state.device = backend.deviceName
        state.slices = set.slices.map(\.name)
        state.ranks = communicator.size > 1 ? communicator.size : nil
        try self.init(state: state, run: run, backend: backend, set: set, uncertaintySource: uncertaintySource, reporter: reporter,
                      communicator: communicator, metricsLength: 0)
        if let initialWeights, let initial = options.initialWeights {
            try model.load(initialWeights, name: URL(fileURLWithPath: initial).lastPathComponent)
        } else {
            try model.initializeRandomly(key: random.split(.initialWeights))
        }
        let ranks = communicator.size > 1 ? ", \(communicator.size) ranks of \(workspace.capacity) slices at most" : ""
        reporter.message("training: \(options.mode.rawValue), \(set.count) slices, \(options.epochs) epochs of \(batchesPerEpoch) batches (batch \(options.batchSize)\(ranks)), \(model.parameters.parameterCount) parameters, \(backend.kind.rawValue) on \(backend.deviceName)")
    }

    /// Continues the run saved in `run` with the options it started with. Resuming on the backend that
    /// wrote the checkpoint gives weights bit-identical to an uninterrupted run.
    /// Another rank count than the checkpoint's continues the same run (the batches do not depend on it), equal to
    /// float rounding rather than bit for bit.
    public convenience init(resuming run: URL, backend: Backend, uncertaintySource: UncertaintySource? = nil,
                            reporter: ProgressReporter = ProgressReporter(), communicator: Communicator = SingleProcess()) throws {
        guard let recovered = try Checkpoint.recover(run: run) else {
            throw PipelineError.badOption("--resume", "\(run.path) holds no checkpoint (expected \(run.appendingPathComponent(Checkpoint.folderName).path)/state.json)")
        }
        for problem in recovered.skipped where communicator.isRoot { reporter.message("note: passed over \(problem)") }
        var folder = recovered.folder
        if folder.lastPathComponent.hasPrefix(Checkpoint.temporaryPrefix) {
            // Killed between the renames: a single process puts the complete new checkpoint into place now; under mpirun
            // every rank reads it where it is, and the next checkpoint write replaces it.
            if communicator.size == 1 {
                try Checkpoint.install(folder, run: run)
                folder = run.appendingPathComponent(Checkpoint.folderName)
                Checkpoint.removeLeftovers(run: run)
            }
        } else if communicator.isRoot {
            Checkpoint.removeLeftovers(run: run)
        }
        var state = recovered.state
        try state.options.validate()
        let set = try TrainingSet.load(folder: state.options.dataFolder, configuration: state.options.model, roiLabels: state.options.roiLabels)
        guard set.slices.map(\.name) == state.slices else {
            throw PipelineError.badOption("--resume", "the training folder \(state.options.dataFolder) no longer holds the \(state.slices.count) slices the run started with")
        }
        let ranks = state.ranks ?? 1
        state.ranks = communicator.size > 1 ? communicator.size : nil
        try self.init(state: state, run: run, backend: backend, set: set, uncertaintySource: uncertaintySource, reporter: reporter,
                      communicator: communicator, metricsLength: state.metricsBytes)
        try model.load(from: folder.appendingPathComponent("weights.safetensors"))
        try Checkpoint.readMoments(folder, into: moments, backend: backend, count: model.parameters.capacity)
        if state.options.mode == .adapt {
            uncertainty = try Checkpoint.readUncertainty(folder, slices: set.count, patches: state.options.model.patchCount)
        }
        if state.backend != backend.kind.rawValue || state.device != backend.deviceName {
            reporter.message("note: checkpoint written by \(state.backend) on \(state.device); continuing on \(backend.kind.rawValue) on \(backend.deviceName) (not bit-identical to an uninterrupted run)")
        }
        if ranks != communicator.size {
            reporter.message("note: checkpoint written by \(ranks) rank(s); continuing on \(communicator.size) (equal to float rounding, not bit-identical)")
        }
        let source = folder.lastPathComponent == Checkpoint.folderName ? "" : " from \(folder.lastPathComponent)"
        reporter.message("resuming \(run.path)\(source) at epoch \(state.epoch + 1)/\(state.options.epochs), batch \(state.batchesDone + 1), step \(state.step)")
    }

    private init(state: TrainingState, run: URL, backend: Backend, set: TrainingSet, uncertaintySource: UncertaintySource?,
                 reporter: ProgressReporter, communicator: Communicator, metricsLength: UInt64) throws {
        self.options = state.options
        self.state = state
        self.run = run
        self.backend = backend
        self.set = set
        self.communicator = communicator
        self.uncertaintySource = uncertaintySource ?? MonteCarloUncertainty.source(communicator: communicator, progress: { reporter.update($0) })
        self.reporter = reporter
        let batch = min(state.options.batchSize, set.count), c = state.options.model
        try MemoryCheck.check(4 * 4 * c.parameterCount + UGMAE.Workspace.bytes(c, batch: batch, training: true),
                              for: "training (weights, gradients, Adam moments and the activations of a batch of \(batch))", backend: backend)
        model = try UGMAE(configuration: options.model, backend: backend)
        let capacity = model.parameters.capacity
        moments = (first: try backend.makeBuffer([capacity]), second: try backend.makeBuffer([capacity]))
        try backend.fill(moments.first, with: 0, count: capacity)
        try backend.fill(moments.second, with: 0, count: capacity)
        let largestShare = communicator.share(of: min(options.batchSize, set.count)).count
        workspace = try UGMAE.Workspace(model: model, batch: largestShare, training: true)
        metrics = communicator.isRoot ? try MetricsLog(url: run.appendingPathComponent("metrics.jsonl"), truncatingTo: metricsLength) : nil
    }

    /// Batches per epoch (the last one may be smaller, as a PyTorch loader without `drop_last`).
    public var batchesPerEpoch: Int { (set.count + options.batchSize - 1) / options.batchSize }

    // MARK: Loop

    /// Trains until the last epoch, a stop request or `stepLimit` batches in this call.
    public func train(stop: StopRequest = StopRequest(), stepLimit: Int? = nil) throws -> TrainingOutcome {
        let weightsURL = run.appendingPathComponent("weights.safetensors")
        if state.finished { return .finished(weights: weightsURL) }
        sessionStart = ProcessInfo.processInfo.systemUptime
        var batchesThisCall = 0
        while state.epoch < options.epochs {
            if options.mode == .adapt, state.epoch % options.adaptation.regenerateEvery == 0, uncertainty?.epoch != state.epoch {
                if try communicator.anyRank(stop.isRequested) { return try interrupt() }
                try regenerateUncertainty()
            }
            var shuffle = random.split(.shuffle).fold(in: state.epoch).stream()
            let order = shuffle.shuffled(Array(0..<set.count))
            while state.batchesDone < batchesPerEpoch {
                if try communicator.anyRank(stop.isRequested) || (stepLimit.map { batchesThisCall >= $0 } ?? false) { return try interrupt() }
                let start = state.batchesDone * options.batchSize
                try trainBatch(Array(order[start..<min(start + options.batchSize, set.count)]))
                batchesThisCall += 1
            }
            finishEpoch()
            if options.checkpointEvery > 0, state.epoch % options.checkpointEvery == 0, state.epoch < options.epochs {
                try writeCheckpoint()
            }
        }
        reporter.finish()
        if communicator.isRoot {
            try model.save(to: weightsURL, metadata: ["u2ad.epoch": String(state.epoch), "u2ad.step": String(state.step),
                                                      "u2ad.mode": options.mode.rawValue])
        }
        state.finished = true
        try writeCheckpoint()
        reporter.message("finished \(options.epochs) epochs, \(state.step) steps in \(ProgressReporter.duration(state.seconds)); weights: \(weightsURL.path)")
        return .finished(weights: weightsURL)
    }

    private func interrupt() throws -> TrainingOutcome {
        reporter.finish()
        try writeCheckpoint()
        let folder = run.appendingPathComponent(Checkpoint.folderName)
        reporter.message("stopped at epoch \(state.epoch + 1), batch \(state.batchesDone + 1); checkpoint \(folder.path); continue with --resume \(run.path)")
        return .interrupted(checkpoint: folder)
    }

    /// One optimizer step on the slices `indices`.
    private func trainBatch(_ indices: [Int]) throws {
        let c = options.model, epoch = state.epoch
        let stepStart = ProcessInfo.processInfo.systemUptime
        var images: [Float] = [], patchedImages: [Float] = [], patchedEdges: [Float] = [], patchedROIs: [Float] = []
        var edgeTargets: [[Float]] = []
        let share = communicator.share(of: indices.count)
        images.reserveCapacity(share.count * c.pixelCount)
        for i in indices[share] {
            var image = set.slices[i].image
            if let augmentation = options.augmentation {
                var draws = random.split(.augmentation).fold(in: epoch).fold(in: i).stream()
                image = augmentation.apply(image, random: &draws)
            }
            let edges = ReconstructionLoss.sobelEdges(image, size: c.imageSize)
            images += image
            edgeTargets.append(edges)
            patchedImages += Patchify.patchify(image, size: c.imageSize, patch: c.patchSize)
            patchedEdges += Patchify.patchify(edges, size: c.imageSize, patch: c.patchSize)
            patchedROIs += set.patchifiedROIs[i]
        }
        let strategy = options.maskingStrategy(epoch: epoch)
        let inputs = indices.map { i in
            MaskingInput(roiPixels: set.roiPixels[i], variance: uncertainty?.variance[i], error: uncertainty?.error[i])
        }
        // Drawn on the device (DeviceMasking); the tests check it against the host transcription of the reference.
        let mask = try DeviceMasking(backend: backend).mask(strategy, settings: options.masking, inputs: inputs,
                                                            key: random.split(.masks), step: epoch, images: indices)
        maskObserver?(epoch, indices, mask)
        defer { state.batchesDone += 1 }
        guard mask.maskedCount > 0 else {
            reporter.message("warning: epoch \(epoch + 1) batch \(state.batchesDone + 1): no patch to hide (no ROI in slices \(indices.map { set.slices[$0].name })); step skipped")
            return
        }

        let loss = try passOverShare(share, of: mask, images: images, patchedImages: patchedImages, patchedEdges: patchedEdges,
                                     patchedROIs: patchedROIs, epoch: epoch)
        guard loss.total.isFinite else {
            throw PipelineError.badOption("training", "loss is not finite at epoch \(epoch + 1), step \(state.step + 1) (diverged? lower --lr); the last checkpoint is intact")
        }
        state.step += 1
        let learningRate = options.learningRate(epoch: epoch)
        try model.applyAdam(AdamStep(learningRate: Float(learningRate), beta1: Float(options.beta1), beta2: Float(options.beta2),
                                 epsilon: Float(options.epsilon), weightDecay: 0, step: state.step), moments: moments)
        try backend.synchronize()

        let seconds = ProcessInfo.processInfo.systemUptime - stepStart
        state.seconds += seconds
        state.epochLoss.add(intensity: loss.intensity, edge: loss.edge)
        state.random = .init(seed: options.seed, epoch: epoch, step: state.step)
        sessionImages += indices.count
        sessionSteps += 1
        let record: KeyValuePairs<String, MetricValue> = [
            "event": .string("step"), "epoch": .int(epoch), "batch": .int(state.batchesDone), "step": .int(state.step),
            "strategy": .string(strategy.rawValue), "lr": .number(learningRate), "loss": .number(loss.total),
            "intensity": .number(loss.intensity), "edge": .number(loss.edge), "images": .int(indices.count),
            "hidden": .int(mask.maskedCount), "seconds": .number(seconds)]
        let exchange: [(key: String, value: MetricValue)] = [("wait", .number(loss.waitSeconds)), ("allreduce", .number(loss.exchangeSeconds))]
        metrics?.append(Array(record) + (communicator.size > 1 ? exchange : []))
        if communicator.isRoot, options.snapshotEvery > 0, state.step % options.snapshotEvery == 0 {
            writeSnapshot(image: Array(images[0..<c.pixelCount]), edgeTarget: edgeTargets[0], heads: loss.heads, hidden: mask.hidden[0])
        }
        reportProgress(loss: loss)
    }

    private func reportProgress(loss: SharedPass, force: Bool = false) {
        let elapsed = max(ProcessInfo.processInfo.systemUptime - sessionStart, 1e-9)
        let remaining = Double((options.epochs - state.epoch) * batchesPerEpoch - state.batchesDone - 1)
        let eta = sessionSteps > 0 ? elapsed / Double(sessionSteps) * max(remaining, 0) : .nan
        let running = state.epochLoss
        let text = String(format: "epoch %d/%d batch %d/%d | loss %.4f (intensity %.5f, edge %.4f) | epoch mean %.4f | %.1f img/s | lr %.1e | ETA %@",
                          state.epoch + 1, options.epochs, state.batchesDone + 1, batchesPerEpoch, loss.total, loss.intensity, loss.edge,
                          running.meanTotal, Double(sessionImages) / elapsed, options.learningRate(epoch: state.epoch),
                          ProgressReporter.duration(eta))
        reporter.update(text, force: force)
    }

    private func finishEpoch() {
        let sums = state.epochLoss
        metrics?.append(["event": .string("epoch"), "epoch": .int(state.epoch), "step": .int(state.step),
                        "strategy": .string(options.maskingStrategy(epoch: state.epoch).rawValue),
                        "lr": .number(options.learningRate(epoch: state.epoch)), "loss": .number(sums.meanTotal),
                        "intensity": .number(sums.meanIntensity), "edge": .number(sums.meanEdge), "batches": .int(sums.batches),
                        "seconds": .number(state.seconds)])
        if reporter.style == .plain {
            reporter.update(String(format: "epoch %d/%d done | mean loss %.4f (intensity %.5f, edge %.4f) | %@ elapsed",
                                   state.epoch + 1, options.epochs, sums.meanTotal, sums.meanIntensity, sums.meanEdge,
                                   ProgressReporter.duration(state.seconds)), force: true)
        }
        state.epoch += 1
        state.batchesDone = 0
        state.epochLoss = TrainingState.LossSums()
        state.random = .init(seed: options.seed, epoch: state.epoch, step: state.step)
    }

    // MARK: Adaptation

    /// MC inference over the whole training set with the current weights; logs the mean variance and error.
    private func regenerateUncertainty() throws {
        let source = uncertaintySource
        let a = options.adaptation
        let start = ProcessInfo.processInfo.systemUptime
        reporter.finish()
        reporter.message("epoch \(state.epoch + 1): regenerating uncertainty maps of \(set.count) slices (K = \(a.maps.samplesPerPatch), ratio \(a.maps.ratio))")
        var settings = a.maps
        settings.seed = random.split(.uncertaintyMaps).fold(in: state.epoch).value
        let maps = try source(model, set.slices, settings)
        let sums = try UncertaintySums(maps: maps, set: set, configuration: options.model, filtering: a.errorFiltering, epoch: state.epoch)
        uncertainty = sums
        state.uncertaintyEpoch = state.epoch
        let seconds = ProcessInfo.processInfo.systemUptime - start
        metrics?.append(["event": .string("uncertainty"), "epoch": .int(state.epoch), "step": .int(state.step),
                        "mean_variance": .number(sums.meanVariance), "mean_error": .number(sums.meanError), "seconds": .number(seconds)])
        reporter.message(String(format: "epoch %d: mean variance %.6g, mean error %.6g (per-slice sums, %@)",
                                state.epoch + 1, sums.meanVariance, sums.meanError, ProgressReporter.duration(seconds)))
    }

    // MARK: Files

    private func writeCheckpoint() throws {
        try communicator.checkIdentical(try backend.download(model.parameters.values), what: "weights at step \(state.step)")
        guard let metrics else { return }
        metrics.synchronize()
        state.metricsBytes = metrics.size
        try Checkpoint.write(run: run, model: model, moments: moments, state: state, uncertainty: uncertainty)
    }

    private func writeSnapshot(image: [Float], edgeTarget: [Float], heads: (intensity: [Float], edge: [Float]), hidden: [Bool]) {
        let c = options.model
        let count = c.patchCount * c.patchPixels
        let folder = run.appendingPathComponent("snapshots")
        let name = String(format: "epoch-%03d-step-%06d.png", state.epoch + 1, state.step)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try TrainingSnapshot.write(to: folder.appendingPathComponent(name), image: image, edgeTarget: edgeTarget,
                                       intensity: Array(heads.intensity.prefix(count)), edge: Array(heads.edge.prefix(count)),
                                       hidden: hidden, configuration: c)
        } catch {
            reporter.message("warning: snapshot \(name) not written: \(error)")
        }
    }
}
