import ArgumentParser
import Foundation
import U2ADData
import U2ADPipeline
import U2ADRandom

struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Compare detection methods on the same patients: u2ad, mae (random masking only), eu, and an intensity baseline.",
        discussion: """
        Builds the cohort (the graded phantom, or a folder of normal scans with inserted lesions), pretrains once, adapts \
        each network method on the test patients without their labels, calibrates each method's threshold on held-out \
        healthy patients, detects, and writes <out>/study.json and <out>/study.md: patient, segment and pixel AUROC and \
        AP, F1, precision, recall and specificity at the calibrated threshold, each with a bootstrap 95% interval over \
        patients, AUROC by lesion contrast and size, and every scoring change on the same maps. The same seed gives the \
        same tables.
        """)

    @Option(help: "phantom, or a folder of normal scans (see docs/detection.md).")
    var cohort = "phantom"
    @Option(help: "Output folder.")
    var out: String
    @Option(help: "Methods, comma-separated: u2ad, eu, mae, intensity.")
    var methods = "u2ad,mae,intensity"
    @Option(help: "small (minutes on a 2-core CPU) or full (the reference model and schedule, for a GPU).")
    var budget = "small"
    @Option(help: "Seed of the cohort, the training and the bootstrap.")
    var seed: UInt64 = 0
    @Option(help: "Bootstrap replicates per interval.")
    var replicates = 1000
    @Option(name: .customLong("training-slices"), help: "Healthy phantom slices to pretrain on (default: the budget's).")
    var trainingSlices: Int?
    @Option(name: .customLong("insert-lesions"), help: "With --cohort DIR: test patients that get an inserted lesion (default: half).")
    var insertLesions: Int?
    @Option(help: "With --cohort DIR: what to pretrain on, phantom (healthy phantoms) or a folder of healthy .npy slices.")
    var pretrain = "phantom"
    @Option(name: .customLong("patch-size"), help: "Patch side of the budget's model (8 is the reference's; 16 trains about 9x faster).")
    var patchSize: Int?
    @Option(name: .customLong("pretrain-epochs"), help: "Pretraining epochs (default: the budget's).")
    var pretrainEpochs: Int?
    @Option(name: .customLong("adapt-epochs"), help: "Adaptation epochs (default: the budget's).")
    var adaptEpochs: Int?
    @OptionGroup var backendOptions: BackendOptions

    func run() {
        do {
            try World.requireSingleProcess("u2ad study")
            var options = StudyOptions()
            options.methods = try StudyMethod.parse(methods)
            options.budget = try StudyBudget.named(budget)
            if let patchSize {
                guard [4, 8, 16, 32].contains(patchSize) else { throw PipelineError.badOption("--patch-size", "must be 4, 8, 16 or 32, got \(patchSize)") }
                options.budget.model.patchSize = patchSize
            }
            for (value, name) in [(pretrainEpochs, "--pretrain-epochs"), (adaptEpochs, "--adapt-epochs")] {
                if let value, !(1...100_000).contains(value) { throw PipelineError.badOption(name, "must be in 1...100000, got \(value)") }
            }
            options.budget.pretrainEpochs = pretrainEpochs ?? options.budget.pretrainEpochs
            options.budget.adaptEpochs = adaptEpochs ?? options.budget.adaptEpochs
            options.seed = seed
            guard (0...100_000).contains(replicates) else { throw PipelineError.badOption("--replicates", "must be in 0...100000, got \(replicates)") }
            options.bootstrapReplicates = replicates
            var size = options.budget.phantomCohort
            if let trainingSlices {
                guard (1...10_000).contains(trainingSlices) else { throw PipelineError.badOption("--training-slices", "must be in 1...10000, got \(trainingSlices)") }
                size.training = trainingSlices
            }
            let phantomKey = RandomKey(seed: seed).split(.phantomCohort)
            let studyCohort: StudyCohort
            if cohort.lowercased() == "phantom" {
                if insertLesions != nil { throw PipelineError.badOption("--insert-lesions", "only with --cohort DIR (phantom patients draw their own lesions)") }
                studyCohort = StudyCohort.phantom(key: phantomKey, size: size)
            } else {
                let scans = URL(fileURLWithPath: cohort)
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: scans.path, isDirectory: &isFolder), isFolder.boolValue else {
                    throw PipelineError.badOption("--cohort", "'\(cohort)' is not phantom or a folder of normal scans")
                }
                let training: [SliceSample], note: String
                if pretrain.lowercased() == "phantom" {
                    training = StudyCohort.phantomTraining(key: phantomKey, count: size.training)
                    note = "pretrained on \(size.training) healthy phantoms"
                } else {
                    training = try SliceSample.loadAll(URL(fileURLWithPath: pretrain))
                    note = "pretrained on the \(training.count) slices of \(pretrain)"
                }
                studyCohort = try StudyCohort.folder(scans, key: RandomKey(seed: seed).split(.lesionInsertion), insert: insertLesions,
                                                     lesions: size.lesions, training: training, trainingNote: note)
            }
            let folder = URL(fileURLWithPath: out)
            try createFolder(folder, option: "--out")
            let backend = try backendOptions.makeBackend()
            let result = try Study(options: options, backend: backend, progress: log).run(cohort: studyCohort, folder: folder)
            try result.write(to: folder)
            print(result.markdown)
            log("wrote \(folder.appendingPathComponent("study.json").path) and study.md")
        } catch { failAndExit(error) }
    }
}
