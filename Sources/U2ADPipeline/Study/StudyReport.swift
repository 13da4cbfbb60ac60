import Foundation
import U2ADData

extension StudyResult {
    /// `study.json`, `study.md` and `detectability.svg` in `folder`, atomically.
    public func write(to folder: URL) throws {
        try AtomicFile.write(try JSONEncoding.encode(self), to: folder.appendingPathComponent("study.json"))
        try AtomicFile.write(Data(markdown.utf8), to: folder.appendingPathComponent("study.md"))
        try AtomicFile.write(Data(DetectabilityPlot.svg(self).utf8), to: folder.appendingPathComponent("detectability.svg"))
    }

    /// The tables of `study.md`: the headline per method, detectability by contrast and by area, and the scoring
    /// ablation. Intervals are bootstrap 95% over patients.
    public var markdown: String {
        var lines: [String] = []
        lines.append("# Study: \(cohort) cohort, budget \(budget.name), seed \(seed)")
        lines.append("")
        lines += notes.map { "- " + $0 }
        lines.append("- \(testPatients) test patients, \(lesionedPatients) with lesions; threshold calibrated at a false-positive rate of "
                     + String(format: "%.2f", falsePositiveRate) + " on held-out healthy patients")
        lines.append("- model: depth \(budget.model.depth) + \(budget.model.decoderDepth), patch \(budget.model.patchSize), "
                     + "pretraining \(budget.pretrainEpochs) epochs, adaptation \(budget.adaptEpochs) epochs, K = \(budget.inferenceSamplesPerPatch) at inference")
        lines.append("- machine: \(machine), backend \(backend); whole study " + String(format: "%.0f s", seconds))
        lines.append("- intervals: bootstrap 95% over patients")
        guard let primary = methods.first?.evaluations.first?.scoring else { return lines.joined(separator: "\n") + "\n" }
        lines.append("")
        lines.append("## Detection (scoring: \(primary))")
        lines.append("")
        lines.append("| method | patient AUROC | patient AP | segment AUROC | segment AP | pixel AUROC | patient F1 | precision | recall | specificity | subtle-half AUROC | train s | inference s |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for method in methods {
            let e = method.evaluations[0]
            lines.append("| \(method.method.rawValue) | \(e.patient.auroc.text) | \(e.patient.averagePrecision.text) | \(e.segment.auroc.text) | "
                         + "\(e.segment.averagePrecision.text) | \(e.pixelAUROC.text) | \(e.patient.f1.text) | \(e.patient.precision.text) | "
                         + "\(e.patient.recall.text) | \(e.patient.specificity.text) | \(e.subtleHalfAUROC.text) | "
                         + String(format: "%.0f | %.1f |", method.trainSeconds, method.inferenceSeconds))
        }
        lines.append("")
        lines.append("Healthy-cord residual spread (median over healthy test patients of the SD of image - reconstruction over the region; "
                     + "Gaussian-averaged at 2 px as the scoring sees it): "
                     + methods.map { m in
                         let e = m.evaluations[0]
                         return "\(m.method.rawValue) " + (e.healthyResidualSpread.map { String(format: "%.4f", $0) } ?? "-") + " / "
                             + (e.healthyResidualSpreadSmoothed.map { String(format: "%.4f", $0) } ?? "-")
                     }.joined(separator: ", "))
        for variable in ["contrast", "area"] {
            lines.append("")
            lines.append("## Detectability by lesion \(variable) (patient AUROC against every healthy test patient; detectability.svg)")
            lines.append("")
            let bins = methods[0].evaluations[0].detectability.filter { $0.variable == variable }
            let unit = variable == "contrast" ? "x" : " px"
            lines.append("| method | " + bins.map { String(format: "%g-%g%@ (n=%d)", $0.low, $0.high, unit, $0.lesioned) }.joined(separator: " | ") + " |")
            lines.append("|---|" + String(repeating: "---|", count: bins.count))
            for method in methods {
                let row = method.evaluations[0].detectability.filter { $0.variable == variable }.map(\.auroc.text)
                lines.append("| \(method.method.rawValue) | " + row.joined(separator: " | ") + " |")
            }
        }
        lines.append("")
        lines.append("## Scoring ablation (same maps, threshold recalibrated for each scoring)")
        lines.append("")
        lines.append("| method | scoring | patient AUROC | segment AUROC | subtle-half AUROC | patient F1 |")
        lines.append("|---|---|---|---|---|---|")
        for method in methods {
            for e in method.evaluations {
                lines.append("| \(method.method.rawValue) | \(e.scoring) | \(e.patient.auroc.text) | \(e.segment.auroc.text) | \(e.subtleHalfAUROC.text) | \(e.patient.f1.text) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
