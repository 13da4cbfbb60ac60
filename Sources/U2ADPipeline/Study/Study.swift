import Foundation
import U2ADData
import U2ADModel
import U2ADRandom
import U2ADRuntime

/// Settings of one study run.
public struct StudyOptions: Sendable {
    public var methods: [StudyMethod] = [.u2ad, .mae, .intensity]
    public var budget = StudyBudget.small
    public var seed: UInt64 = 0
    /// False-positive rate of the threshold on the calibration patients.
    public var falsePositiveRate = 0.05
    /// Every scoring evaluated on the same maps (the ablation); the first is the one the headline table uses.
    public var scorings: [(name: String, options: ScoringOptions)] = StudyOptions.scoringLadder
    public var contrastBins: [ClosedRange<Double>] = [1.1...1.2, 1.2...1.35, 1.35...1.55, 1.55...1.8]
    public var areaBins: [ClosedRange<Double>] = [10...30, 30...80, 80...200]
    public var bootstrapReplicates = 1000

    public init() {}

    /// The scoring changes of this project, one step at a time, the method's scoring first.
    public static var scoringLadder: [(name: String, options: ScoringOptions)] {
        var positive = ScoringOptions.reference
        positive.residual = .positive
        var normalized = positive
        normalized.normalization = .slice
        var local = normalized
        local.aggregation = .localMaximum(sigma: 2)
        return [("positive + slice z + local max", local), ("reference (row mean |residual|)", .reference),
                ("positive residual", positive), ("positive + slice z", normalized)]
    }
}

/// What one method did and how it scored, with every scoring of the ladder.
public struct StudyMethodResult: Codable, Sendable {
    public var method: StudyMethod
    public var summary: String
    public var trainSeconds: Double
    public var inferenceSeconds: Double
    public var evaluations: [MethodEvaluation]
}

/// `study.json`.
public struct StudyResult: Codable, Sendable {
    public var cohort: String
    public var notes: [String]
    public var budget: StudyBudget
    public var seed: UInt64
    public var machine: String
    public var backend: String
    public var testPatients: Int
    public var lesionedPatients: Int
    public var falsePositiveRate: Double
    public var methods: [StudyMethodResult]
    public var seconds: Double
}

/// Runs the study protocol on one cohort: for each method on the same patients, training (pretraining shared by the
/// network methods), calibration on the held-out healthy patients, detection on the test patients, and every metric
/// with a bootstrap interval over patients.
public struct Study {
    public var options: StudyOptions
    public var backend: Backend
    public var progress: (String) -> Void

    public init(options: StudyOptions, backend: Backend, progress: @escaping (String) -> Void) {
        self.options = options
        self.backend = backend
        self.progress = progress
    }

    public func run(cohort: StudyCohort, folder: URL) throws -> StudyResult {
        let started = Date()
        let root = RandomKey(seed: options.seed)
        let budget = options.budget
        let cohortFolder = folder.appendingPathComponent("cohort")
        progress("study: writing the \(cohort.name) cohort to \(cohortFolder.path)")
        try cohort.write(to: cohortFolder)

        var pretrained: URL?
        var pretrainSeconds = 0.0
        if options.methods.contains(where: \.usesNetwork) {
            let run = folder.appendingPathComponent("pretrain")
            progress("study: pretraining on \(cohort.training.count) healthy slices (\(budget.pretrainEpochs) epochs)")
            let t0 = Date()
            pretrained = try train(mode: .pretrain, data: cohortFolder.appendingPathComponent("training"), initial: nil,
                                   epochs: budget.pretrainEpochs, aleatoricFrom: nil, run: run, seed: options.seed)
            pretrainSeconds = Date().timeIntervalSince(t0)
        }
        var uncertainty = UncertaintyOptions.inference
        uncertainty.samplesPerPatch = budget.inferenceSamplesPerPatch
        uncertainty.seed = root.split(.uncertaintyMaps).value
        let calibrationPatients = cohort.calibration, testPatients = cohort.test.map(\.patient)
        let evaluator: StudyEvaluator = {
            var evaluator = StudyEvaluator(key: root.split(.bootstrap))
            evaluator.replicates = options.bootstrapReplicates
            evaluator.pixelReplicates = min(evaluator.pixelReplicates, options.bootstrapReplicates)
            return evaluator
        }()

        var results: [StudyMethodResult] = []
        for method in options.methods {
            var trainSeconds = 0.0, inferenceSeconds = 0.0
            let calibrationMaps: DetectionAnalysis, testMaps: DetectionAnalysis
            let t0 = Date()
            if method.usesNetwork, let pretrained {
                let run = folder.appendingPathComponent(method.rawValue)
                progress("study: \(method.rawValue): adapting on the \(cohort.test.count) test patients' slices, without labels (\(budget.adaptEpochs) epochs)")
                let weights: URL
                switch method {
                case .mae: weights = try train(mode: .pretrain, data: cohortFolder.appendingPathComponent("adaptation"), initial: pretrained,
                                               epochs: budget.adaptEpochs, aleatoricFrom: nil, run: run, seed: options.seed &+ 1)
                case .eu: weights = try train(mode: .adapt, data: cohortFolder.appendingPathComponent("adaptation"), initial: pretrained,
                                              epochs: budget.adaptEpochs, aleatoricFrom: budget.adaptEpochs, run: run, seed: options.seed &+ 1)
                default: weights = try train(mode: .adapt, data: cohortFolder.appendingPathComponent("adaptation"), initial: pretrained,
                                             epochs: budget.adaptEpochs, aleatoricFrom: budget.adaptEpochs / 2, run: run, seed: options.seed &+ 1)
                }
                trainSeconds = pretrainSeconds + Date().timeIntervalSince(t0)
                let model = try InferenceModel.load(weights: weights, backend: backend)
                progress("study: \(method.rawValue): MC inference on the calibration and test patients (K = \(uncertainty.samplesPerPatch))")
                let inferenceStart = Date()
                calibrationMaps = try DetectionAnalysis.analyse(model: model, patients: calibrationPatients, uncertainty: uncertainty, scoring: .reference)
                testMaps = try DetectionAnalysis.analyse(model: model, patients: testPatients, uncertainty: uncertainty, scoring: .reference)
                inferenceSeconds = Date().timeIntervalSince(inferenceStart)
            } else {
                progress("study: \(method.rawValue): intensity maps of the calibration and test patients")
                func baseline(_ patients: [Patient]) -> DetectionAnalysis {
                    let maps = patients.flatMap(\.slices).map { IntensityBaseline.maps(of: $0, options: uncertainty, patchSize: budget.model.patchSize) }
                    return DetectionAnalysis.scored(patients: patients, maps: maps, uncertainty: uncertainty, scoring: .reference)
                }
                calibrationMaps = baseline(calibrationPatients)
                testMaps = baseline(testPatients)
                inferenceSeconds = Date().timeIntervalSince(t0)
            }
            var evaluations: [MethodEvaluation] = []
            for (name, scoring) in options.scorings {
                let threshold = calibrationMaps.rescored(with: scoring).calibrate(falsePositiveRate: options.falsePositiveRate)?.segment
                let evaluation = evaluator.evaluate(method: method.rawValue, scoringName: name, analysis: testMaps.rescored(with: scoring),
                                                    threshold: threshold, truth: cohort.test, contrastBins: options.contrastBins, areaBins: options.areaBins)
                evaluations.append(evaluation)
            }
            let headline = evaluations[0]
            progress("study: \(method.rawValue): patient AUROC \(headline.patient.auroc.text), segment AUROC \(headline.segment.auroc.text), "
                     + "patient F1 \(headline.patient.f1.text)")
            results.append(StudyMethodResult(method: method, summary: method.summary, trainSeconds: trainSeconds,
                                             inferenceSeconds: inferenceSeconds, evaluations: evaluations))
        }
        return StudyResult(cohort: cohort.name, notes: cohort.notes, budget: budget, seed: options.seed, machine: CPUInfo.modelName,
                           backend: "\(backend.kind.rawValue) on \(backend.deviceName)", testPatients: cohort.test.count,
                           lesionedPatients: cohort.test.filter(\.isLesioned).count, falsePositiveRate: options.falsePositiveRate,
                           methods: results, seconds: Date().timeIntervalSince(started))
    }

    /// One training run in `run` (started afresh); returns the final weights.
    private func train(mode: TrainingOptions.Mode, data: URL, initial: URL?, epochs: Int, aleatoricFrom: Int?, run: URL, seed: UInt64) throws -> URL {
        try? FileManager.default.removeItem(at: run)
        var training = TrainingOptions()
        training.mode = mode
        training.dataFolder = data.path
        training.initialWeights = initial?.path
        training.model = options.budget.model
        training.epochs = epochs
        training.batchSize = options.budget.batch
        training.seed = seed
        training.snapshotEvery = 0
        training.checkpointEvery = 0
        training.decayEvery = max(1, epochs * 2 / 3)
        training.adaptation.regenerateEvery = options.budget.regenerateEvery
        training.adaptation.maps.samplesPerPatch = options.budget.adaptationSamplesPerPatch
        training.adaptation.maps.schedule = .balanced
        if let aleatoricFrom { training.adaptation.aleatoricFrom = aleatoricFrom }
        let trainer = try Trainer(options: training, run: run, backend: backend, reporter: ProgressReporter())
        guard case .finished(let weights) = try trainer.train() else {
            throw PipelineError.badOption("study", "training in \(run.path) stopped before its last epoch")
        }
        return weights
    }
}
