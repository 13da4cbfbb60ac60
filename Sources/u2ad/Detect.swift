import ArgumentParser
import Foundation
import U2ADData
import U2ADModel
import U2ADPipeline
import U2ADRuntime

/// Model, MC inference and scoring options shared by `detect` and `evaluate`.
struct InferenceArguments: ParsableArguments {
    @Option(help: "Model weights (.safetensors); the configuration comes from its metadata or tensor names.")
    var weights: String
    @Option(help: "Samples wanted per ROI patch (K).")
    var k: Int = 10
    @Option(help: "Fraction of the ROI patches hidden per pass (0: no masking, dropout only).")
    var ratio: Double = 0.75
    @Option(help: "Pass schedule: balanced (every ROI patch masked K times in at most ceil(K/ratio)+1 passes) or coverage (the reference's).")
    var schedule: String = "balanced"
    @Option(name: .customLong("mc-dropout"), help: "Dropout rate in attention and MLP during inference.")
    var mcDropout: Float = 0
    @Option(help: "A fixed number of passes per slice.")
    var passes: Int?
    @Option(help: "Seed of the masks and dropout.")
    var seed: UInt64 = 0
    @Option(name: .customLong("roi-labels"), help: "Labels forming the masked region, comma-separated.")
    var roiLabels: String = "3,6"
    @Flag(name: .customLong("no-erode"), help: "Do not erode the region by a 3x3 square.")
    var noErode = false
    @Option(name: .customLong("max-batch"), help: "Most passes per batch (default: planned from the device).")
    var maxBatch: Int?
    @OptionGroup var shape: ModelShapeOptions
    @Option(name: .customLong("pixel-spacing"), help: "Pixel size in mm.")
    var pixelSpacing: Double = 200.0 / 256.0
    @Option(help: "Gaussian smoothing of the anomaly curve, in rows.")
    var smoothing: Double = 2
    @Option(name: .customLong("first-vertebra"), help: "Level of the top-most labelled vertebral body.")
    var firstVertebra: String = "C2"
    @Option(name: .customLong("segment-mm"), help: "Segment length along the cord when vertebral bodies are not labelled.")
    var segmentMM: Double = 16
    @Option(help: "Residual scored: positive (image above the reconstruction, the default) or absolute (the reference's |image - reconstruction|).")
    var residual = "positive"
    @Option(help: "Residual scale per slice: slice (robust z-score over the slice's region, the default) or none.")
    var normalize = "slice"
    @Option(help: "Row value of the curve: local:SIGMA (largest Gaussian-averaged pixel, default local:2) or mean (the reference's row mean).")
    var aggregate = "local:2"
    @Flag(name: .customLong("single-patient"), help: "Treat the slices directly in the input folder as one patient.")
    var singlePatient = false
    @Option(help: "Segment decision threshold (default: the thresholds file beside the weights).")
    var threshold: Double?
    @Option(help: "Thresholds file (default: W.thresholds.json beside weights W.safetensors).")
    var thresholds: String?
    @Option(help: "False-positive rate on normal scans for calibration.")
    var fpr: Double = 0.05
    @Option(name: .customLong("calibration-level"), help: "What --fpr counts: patient (normal patients flagged) or segment (normal segments flagged).")
    var calibrationLevelName = "patient"
    @Option(help: "With NIfTI input: label volumes (folder or file) paired with the images by name, as for preprocess.")
    var labels: String?
    @Option(name: .customLong("label-map"), help: "With NIfTI input: remap label values, e.g. 1=3 for a binary cord mask.")
    var labelMap: String?
    @OptionGroup var backendOptions: BackendOptions

    var weightsURL: URL { URL(fileURLWithPath: weights) }

    var calibrationLevel: CalibrationLevel { CalibrationLevel(rawValue: calibrationLevelName.lowercased()) ?? .patient }

    /// Creates `outFolder`, loads the model and the patients of `input`, and runs MC inference (its batches shared by
    /// the ranks under mpirun) and scoring.
    func analyse(_ input: URL, label: String, outFolder: URL) throws
        -> (uncertainty: UncertaintyOptions, scoring: ScoringOptions, model: UGMAE, analysis: DetectionAnalysis) {
        let communicator = try World.communicator()
        let uncertainty = try uncertaintyOptions(), scoring = try scoringOptions()
        try createFolder(outFolder, option: "--out")
        let model = try loadModel()
        let patients: [Patient]
        if (try? VolumeSlicing.niftiFiles(input).isEmpty) == false {
            guard let labels else { throw PipelineError.badOption("--labels", "NIfTI input needs label volumes (cord = 3, lesion = 6) for the region of interest") }
            let slicing = VolumeSlicing(labelMap: try labelMap.map(VolumeSlicing.parseLabelMap) ?? [:])
            patients = try slicing.patients(images: input, labels: URL(fileURLWithPath: labels))
        } else {
            patients = try PatientInput.load(input, singlePatient: singlePatient, expectedSize: model.configuration.imageSize)
        }
        log("\(label): \(patients.count) patients, \(patients.reduce(0) { $0 + $1.slices.count }) slices")
        let analysis = try DetectionAnalysis.analyse(model: model, patients: patients, uncertainty: uncertainty, scoring: scoring,
                                                     communicator: communicator, progress: log)
        return (uncertainty, scoring, model, analysis)
    }
    var thresholdsURL: URL { thresholds.map { URL(fileURLWithPath: $0) } ?? DetectionThresholds.url(besideWeights: weightsURL) }

    /// A `--thresholds` file to read must exist; one to write (`detect --calibrate`) needs its folder.
    func checkThresholdsOption(writing: Bool) throws {
        guard let thresholds else { return }
        let url = URL(fileURLWithPath: thresholds)
        let path = writing ? url.deletingLastPathComponent().path : url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw PipelineError.badOption("--thresholds", writing
                ? "the folder \(path) of \(thresholds) does not exist"
                : "\(thresholds) does not exist (write it with `detect --calibrate --thresholds FILE`, or leave the option out)")
        }
    }

    func uncertaintyOptions() throws -> UncertaintyOptions {
        var options = UncertaintyOptions()
        guard let kind = PassScheduleKind(rawValue: schedule.lowercased()) else {
            throw PipelineError.badOption("--schedule", "unknown schedule '\(schedule)'; use balanced or coverage")
        }
        let labels = roiLabels.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !labels.isEmpty, labels.allSatisfy({ $0 != nil }) else {
            throw PipelineError.badOption("--roi-labels", "expected comma-separated integers, got '\(roiLabels)'")
        }
        options.roiLabels = labels.compactMap { $0 }
        options.erodeROI = !noErode
        options.samplesPerPatch = k
        options.ratio = ratio
        options.schedule = kind
        options.fixedPassCount = passes
        options.seed = seed
        options.mcDropout = mcDropout
        options.maxBatch = maxBatch
        try options.validate()
        return options
    }

    func scoringOptions() throws -> ScoringOptions {
        var options = ScoringOptions()
        options.pixelSpacingMM = pixelSpacing
        options.smoothingRows = smoothing
        options.firstVertebra = firstVertebra.uppercased()
        options.fallbackSegmentMM = segmentMM
        guard let residualKind = ResidualKind(rawValue: residual.lowercased()) else {
            throw PipelineError.badOption("--residual", "unknown residual '\(residual)'; use positive or absolute")
        }
        guard let normalization = ResidualNormalization(rawValue: normalize.lowercased()) else {
            throw PipelineError.badOption("--normalize", "unknown normalisation '\(normalize)'; use slice or none")
        }
        options.residual = residualKind
        options.normalization = normalization
        options.aggregation = try RowAggregation(parsing: aggregate)
        try options.validate()
        try ThresholdResolution.validate(threshold: threshold, falsePositiveRate: fpr)
        guard CalibrationLevel(rawValue: calibrationLevelName.lowercased()) != nil else {
            throw PipelineError.badOption("--calibration-level", "unknown level '\(calibrationLevelName)'; use patient or segment")
        }
        return options
    }

    /// Backend and model, with a line on stderr for each.
    func loadModel() throws -> UGMAE {
        let backend = try backendOptions.makeBackend()
        let model = try InferenceModel.load(weights: weightsURL, backend: backend, depth: shape.depth, decoderDepth: shape.decoderDepth)
        let c = model.configuration
        log("model: \(weightsURL.lastPathComponent), encoder depth \(c.depth), decoder depth \(c.decoderDepth), \(c.imageSize) px, patch \(c.patchSize)")
        return model
    }

    /// The thresholds of this run (see ``ThresholdResolution``); `fallback` calibrates when none is given or stored.
    func thresholds(uncertainty: UncertaintyOptions, scoring: ScoringOptions, fallback: () -> DetectionThresholds?,
                    fallbackWarning: String? = nil) throws -> ThresholdResolution {
        let resolution = try ThresholdResolution.resolve(option: threshold, file: thresholdsURL, uncertainty: uncertainty, scoring: scoring,
                                                         fallback: fallback, fallbackWarning: fallbackWarning)
        resolution.warnings.forEach(log)
        return resolution
    }
}

/// A progress line on standard error, from rank 0 only under mpirun.
func log(_ line: String) {
    guard isRootRank else { return }
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Creates `folder` (and its parents), with a one-line error naming it.
func createFolder(_ folder: URL, option: String) throws {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), !isFolder.boolValue {
        throw PipelineError.badOption(option, "\(folder.path) is a file, not a folder")
    }
    do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
        throw PipelineError.badOption(option, "cannot create folder \(folder.path): \(fileErrorReason(error, path: folder.path))")
    }
}

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect T2 hyperintensities: MC inference maps, anomaly curve along the cord, segment and patient decisions.",
        discussion: """
        Writes per slice <out>/<patient>/<slice>.{reconstruction,epistemic,aleatoric}.npy, .panel.png and .curve.svg, \
        and <out>/report.json. A .npy file is one patient; in a folder, each subfolder of slices is a patient and each \
        loose .npy file its own patient. With --calibrate, every input scan is taken as normal and the thresholds are \
        written beside the weights (or to --thresholds). Under `mpirun -n N` the N ranks share the MC passes and rank 0 \
        writes the outputs (docs/distributed.md).
        """)

    @OptionGroup var inference: InferenceArguments
    @Option(help: "A .npy slice (3, 256, 256) or a folder of them.")
    var input: String
    @Option(help: "Output folder.")
    var out: String
    @Flag(help: "Calibrate the thresholds on the input, taken as normal, and store them.")
    var calibrate = false

    func run() throws {
        do { try detect() } catch { failAndExit(error) }
    }

    private func detect() throws {
        let started = Date()
        try inference.checkThresholdsOption(writing: calibrate)
        let outFolder = URL(fileURLWithPath: out)
        let (uncertainty, scoring, model, analysis) = try inference.analyse(URL(fileURLWithPath: input), label: "input", outFolder: outFolder)
        guard isRootRank else { return }

        let resolution: ThresholdResolution
        if calibrate {
            guard let calibrated = analysis.calibrate(falsePositiveRate: inference.fpr, level: inference.calibrationLevel) else {
                throw PipelineError.badOption("--calibrate", "no slice of \(input) has a scored cord segment")
            }
            try calibrated.save(to: inference.thresholdsURL)
            log(String(format: "calibrated threshold %.6g on %d segments of %d slices (%@ false-positive rate %.3f); wrote %@",
                       calibrated.segment, calibrated.calibrationSegments, calibrated.calibrationSlices, inference.calibrationLevel.rawValue,
                       calibrated.achievedFalsePositiveRate, inference.thresholdsURL.path))
            resolution = ThresholdResolution.calibrated(calibrated, option: inference.threshold)
        } else {
            resolution = try inference.thresholds(uncertainty: uncertainty, scoring: scoring, fallback: { nil })
        }
        let threshold = resolution.segment, pixelThreshold = resolution.pixel, source = resolution.source

        let decided = analysis.results.map { $0.applying(threshold: threshold) }
        try analysis.writeSliceOutputs(to: outFolder, decided: decided, threshold: threshold, pixelThreshold: pixelThreshold)
        for file in try analysis.writeVolumeMaps(to: outFolder) { log("wrote \(file.path) in the scan's geometry") }
        let backend = model.backend
        let report = DetectionReport(weights: inference.weightsURL.path, backend: backend.kind.rawValue, device: backend.deviceName,
                                     analysis: analysis, threshold: threshold, thresholdSource: source, pixelThreshold: pixelThreshold,
                                     seconds: Date().timeIntervalSince(started), patients: decided)
        try report.write(to: outFolder.appendingPathComponent("report.json"))
        for patient in decided {
            let positives = patient.segments.filter { $0.isPositive == true }.map(\.name)
            let verdict = patient.isPositive.map { $0 ? "POSITIVE" : "negative" } ?? "undecided"
            let score = patient.score.map { String(format: "%.5g", $0) } ?? "-"
            print("\(patient.name): \(verdict), score \(score)" + (positives.isEmpty ? "" : ", segments \(positives.joined(separator: " "))"))
        }
        let traffic = analysis.traffic
        log(String(format: "%d passes in %.1f s (inference %.1f s; %.2f MB to the device, %.2f MB back, %d launches); wrote %@", analysis.passes,
                   report.seconds, analysis.inferenceSeconds, Double(traffic.hostToDeviceBytes) / 1e6, Double(traffic.deviceToHostBytes) / 1e6,
                   traffic.launches, outFolder.appendingPathComponent("report.json").path))
    }
}
