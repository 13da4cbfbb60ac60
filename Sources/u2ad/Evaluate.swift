import ArgumentParser
import Foundation
import U2ADPipeline

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate detection against the lesion label: patient, segment and pixel metrics, SSIM.",
        discussion: """
        Ground truth: a patient or segment is positive when it holds a lesion-labelled pixel (label 6). \
        Decisions use --threshold, else the thresholds file beside the weights, else a threshold calibrated \
        on the lesion-free patients of --data itself (in-sample, optimistic). Writes <out>/metrics.json.
        """)

    @OptionGroup var inference: InferenceArguments
    @Option(help: "Folder of patients (subfolders of .npy slices, or loose .npy slices, one patient each).")
    var data: String
    @Option(help: "Output folder.")
    var out: String
    @Flag(name: .customLong("save-maps"), help: "Also write the per-slice maps, panels and curves.")
    var saveMaps = false

    func run() throws {
        do { try evaluate() } catch { failAndExit(error) }
    }

    private func evaluate() throws {
        try inference.checkThresholdsOption(writing: false)
        let outFolder = URL(fileURLWithPath: out)
        let (uncertainty, scoring, model, analysis) = try inference.analyse(URL(fileURLWithPath: data), label: "data", outFolder: outFolder)
        guard isRootRank else { return }

        let normal = analysis.results.indices.filter { analysis.results[$0].lesionPixels == 0 }
        let resolution = try inference.thresholds(uncertainty: uncertainty, scoring: scoring, fallback: {
            DetectionThresholds.calibrate(normal: normal.map { analysis.results[$0] }, maps: normal.flatMap { analysis.maps[$0] },
                                          falsePositiveRate: inference.fpr, level: inference.calibrationLevel, uncertainty: uncertainty, scoring: scoring)
        }, fallbackWarning: "warning: threshold calibrated in-sample on the \(normal.count) lesion-free patients of --data")
        let threshold = resolution.segment, pixelThreshold = resolution.pixel, source = resolution.source
        let decided = analysis.results.map { $0.applying(threshold: threshold) }
        if saveMaps { try analysis.writeSliceOutputs(to: outFolder, decided: decided, threshold: threshold, pixelThreshold: pixelThreshold) }
        let metrics = EvaluationMetrics(analysis: analysis, decided: decided, threshold: threshold, thresholdSource: source,
                                        backend: model.backend.kind.rawValue, device: model.backend.deviceName)
        try metrics.write(to: outFolder.appendingPathComponent("metrics.json"))
        print(metrics.table())
        log("wrote \(outFolder.appendingPathComponent("metrics.json").path)")
    }
}
