import Foundation
import U2ADData

/// Decision and ranking metrics at one level (patient or segment).
public struct LevelMetrics: Codable, Equatable, Sendable {
    /// Items with a score (the others had no cord region and are left out).
    public var count: Int
    public var positives: Int
    public var excluded: Int
    public var truePositives: Int?
    public var falsePositives: Int?
    public var trueNegatives: Int?
    public var falseNegatives: Int?
    public var precision: Double?
    public var recall: Double?
    public var specificity: Double?
    public var f1: Double?
    public var auroc: Double?
    public var averagePrecision: Double?

    /// `scores[i]` against `truth[i]`, decided at `threshold` (no decision metrics without one); nil scores are excluded.
    public init(scores: [Double?], truth: [Bool], threshold: Double?) {
        let kept = zip(scores, truth).compactMap { score, actual in score.map { ($0, actual) } }
        count = kept.count
        excluded = scores.count - kept.count
        positives = kept.filter(\.1).count
        auroc = RankingMetrics.auroc(scores: kept.map(\.0), labels: kept.map(\.1))
        averagePrecision = RankingMetrics.averagePrecision(scores: kept.map(\.0), labels: kept.map(\.1))
        if let threshold {
            let decisions = DecisionMetrics(kept.map { (predicted: $0.0 > threshold, actual: $0.1) })
            truePositives = decisions.truePositives; falsePositives = decisions.falsePositives
            trueNegatives = decisions.trueNegatives; falseNegatives = decisions.falseNegatives
            precision = decisions.precision; recall = decisions.recall; specificity = decisions.specificity; f1 = decisions.f1
        }
    }
}

/// Pixel-level ranking of the aleatoric map against the lesion label.
public struct PixelMetrics: Codable, Equatable, Sendable {
    /// Pixels evaluated: the cord (labels 3 and lesion, not eroded) and the masked region of every slice.
    public var pixels: Int
    public var lesionPixels: Int
    public var auroc: Double?
    public var averagePrecision: Double?
    public var bestDice: Double?
    public var bestDiceThreshold: Double?
}

/// Similarity of the mean reconstruction to the image.
public struct ReconstructionMetrics: Codable, Equatable, Sendable {
    /// Mean over slices of the whole-image mean SSIM.
    public var ssim: Double?
    /// Mean over slices of the mean SSIM over the masked region.
    public var regionSSIM: Double?
    public var slices: Int
}

/// `metrics.json` of `u2ad evaluate`.
public struct EvaluationMetrics: Codable, Sendable {
    public var patient: LevelMetrics
    public var segment: LevelMetrics
    /// Nil when no slice holds a lesion pixel.
    public var pixel: PixelMetrics?
    public var reconstruction: ReconstructionMetrics
    public var threshold: Double?
    public var thresholdSource: ThresholdSource
    public var passes: Int
    public var inferenceSeconds: Double
    public var backend: String
    public var device: String
    public var patients: [PatientResult]

    /// Metrics of `analysis` with decisions from `decided`; ground truth is any lesion pixel in the patient or segment.
    public init(analysis: DetectionAnalysis, decided: [PatientResult], threshold: Double?, thresholdSource: ThresholdSource,
                backend: String, device: String) {
        patient = LevelMetrics(scores: decided.map(\.score), truth: decided.map { $0.lesionPixels > 0 }, threshold: threshold)
        let segments = decided.flatMap(\.segments)
        segment = LevelMetrics(scores: segments.map(\.score), truth: segments.map { $0.lesionPixels > 0 }, threshold: threshold)
        pixel = EvaluationMetrics.pixelMetrics(analysis)
        reconstruction = EvaluationMetrics.reconstructionMetrics(analysis)
        self.threshold = threshold
        self.thresholdSource = thresholdSource
        passes = analysis.passes
        inferenceSeconds = analysis.inferenceSeconds
        self.backend = backend
        self.device = device
        patients = decided
    }

    static func pixelMetrics(_ analysis: DetectionAnalysis) -> PixelMetrics? {
        let lesion = analysis.scoring.lesionLabel
        let cordLabels: Set<Int> = [3, lesion]
        var scores: [Double] = [], truth: [Bool] = []
        for (patient, maps) in zip(analysis.inputs, analysis.maps) {
            for (slice, map) in zip(patient.slices, maps) {
                for i in slice.labels.indices {
                    let label = labelValue(slice.labels[i])
                    guard label.map(cordLabels.contains) ?? false || map.region[i] != 0 else { continue }
                    scores.append(Double(map.aleatoric[i]))
                    truth.append(label == lesion)
                }
            }
        }
        let lesionPixels = truth.filter { $0 }.count
        guard lesionPixels > 0 else { return nil }
        let dice = RankingMetrics.bestDice(scores: scores, labels: truth)
        return PixelMetrics(pixels: scores.count, lesionPixels: lesionPixels, auroc: RankingMetrics.auroc(scores: scores, labels: truth),
                            averagePrecision: RankingMetrics.averagePrecision(scores: scores, labels: truth),
                            bestDice: dice?.dice, bestDiceThreshold: dice?.threshold)
    }

    static func reconstructionMetrics(_ analysis: DetectionAnalysis) -> ReconstructionMetrics {
        var whole: [Double] = [], region: [Double] = []
        for map in analysis.maps.flatMap({ $0 }) where !map.skipped {
            let ssim = StructuralSimilarity.map(map.reconstruction, map.image, rows: map.size, cols: map.size)
            whole.append(ssim.reduce(0, +) / Double(ssim.count))
            let inside = ssim.indices.filter { map.region[$0] != 0 }
            if !inside.isEmpty { region.append(inside.reduce(0.0) { $0 + ssim[$1] } / Double(inside.count)) }
        }
        func mean(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.reduce(0, +) / Double(v.count) }
        return ReconstructionMetrics(ssim: mean(whole), regionSSIM: mean(region), slices: whole.count)
    }

    /// A short fixed-width table of the main metrics.
    public func table() -> String {
        func cell(_ v: Double?) -> String { v.map { String(format: "%6.3f", $0) } ?? "     -" }
        func row(_ name: String, _ m: LevelMetrics) -> String {
            name.padding(toLength: 9, withPad: " ", startingAt: 0) + String(format: " %5d %5d ", m.count, m.positives)
                + [m.precision, m.recall, m.specificity, m.f1, m.auroc, m.averagePrecision].map(cell).joined(separator: " ")
        }
        var lines = ["level         n   pos  prec recall  spec     F1  AUROC     AP",
                     row("patient", patient), row("segment", segment)]
        if let pixel {
            lines.append(String(format: "pixel     %5d %5d ", pixel.pixels, pixel.lesionPixels)
                         + "     -      -      -      -" + " " + cell(pixel.auroc) + " " + cell(pixel.averagePrecision)
                         + "   best Dice " + cell(pixel.bestDice))
        }
        lines.append("SSIM (reconstruction vs image): whole \(cell(reconstruction.ssim)), region \(cell(reconstruction.regionSSIM)) over \(reconstruction.slices) slices")
        lines.append("threshold: " + (threshold.map { String(format: "%.6g", $0) } ?? "none") + " (\(thresholdSource.rawValue))")
        return lines.joined(separator: "\n")
    }

    public func write(to url: URL) throws {
        try AtomicFile.write(try JSONEncoding.encode(self), to: url)
    }
}
