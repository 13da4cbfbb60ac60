import Foundation
import U2ADData

/// The per-patient figure of `u2ad diagnose`, in the style of detect's panels: the slice with its labels | the slice with
/// the indicators drawn (C2 and C7 endplates for the Cobb angle, the K-line, the three MSCC diameters, posterior
/// vertebral lines, herniated and T2-positive levels marked, vertebrae named), and the figures written underneath.
public enum DiagnosisPicture {
    static let endplateColor = RGB(0, 220, 255), kLineColor = RGB(255, 225, 0), compressedColor = RGB(255, 60, 60)
    static let normalColor = RGB(80, 255, 80), vertebralLineColor = RGB(255, 150, 40), herniationColor = RGB(255, 70, 255)
    static let t2Color = RGB(255, 255, 255)

    /// `image`, when given, is the slice's signal (`rows * columns` values, shown from 0 to its 99.5th percentile);
    /// without it the labels are drawn on black.
    public static func render(report: DiagnosisReport, map: LabelMap, image: [Float]?) throws -> RGBImage {
        let scale = max(1, Int((512 / Double(max(map.rows, map.columns))).rounded()))
        let gray = grayImage(image, rows: map.rows, columns: map.columns)
        let labels = Image2D(rows: map.rows, cols: map.columns, pixels: map.labels.map(Float.init))
        let labelled = try Colormap.labelOverlay(image: gray, labels: labels).upscaled(by: scale)
        var annotated = RGBImage(gray: gray).upscaled(by: scale)
        annotate(&annotated, report: report, scale: scale)
        let tiles = RGBImage.hstack([labelled, annotated], gap: DetectionPanel.gap, background: RGB(255, 255, 255))
        return RGBImage.vstack([tiles, textPanel(report, width: tiles.cols)], gap: 0, background: RGB(255, 255, 255))
    }

    private static func grayImage(_ image: [Float]?, rows: Int, columns: Int) -> Image2D {
        guard let image, image.count == rows * columns else { return Image2D(rows: rows, cols: columns) }
        let finite = image.filter(\.isFinite).sorted()
        let top = finite.isEmpty ? 1 : max(finite[min(finite.count - 1, Int(0.995 * Double(finite.count)))], 1e-12)
        let bottom = min(finite.first ?? 0, 0)
        return Image2D(rows: rows, cols: columns, pixels: image.map { $0.isFinite ? ($0 - bottom) / (top - bottom) : 0 })
    }

    private static func annotate(_ picture: inout RGBImage, report: DiagnosisReport, scale: Int) {
        let k = Double(scale)
        func at(_ p: PixelPoint) -> (row: Double, column: Double) { ((p.row + 0.5) * k - 0.5, (p.column + 0.5) * k - 0.5) }
        func line(_ s: PixelSegment, _ color: RGB, width: Double = 2, extend: Double = 0, dash: Double = 0) {
            let a = at(s.start), b = at(s.end)
            let dr = b.row - a.row, dc = b.column - a.column, length = max((dr * dr + dc * dc).squareRoot(), 1e-9)
            let e = extend * k / length
            picture.drawLine(from: (a.row - e * dr, a.column - e * dc), to: (b.row + e * dr, b.column + e * dc), color: color, width: width, dash: dash)
        }
        let anteriorLeft = report.anteriorSide == "left"
        func label(_ text: String, near p: PixelPoint, color: RGB, offset: Double) {
            let q = at(p), width = Double(RGBImage.textWidth(text, scale: 1))
            let column = anteriorLeft ? q.column - offset * k - width : q.column + offset * k
            picture.drawText(text, row: Int(q.row) - 3, column: Int(column), color: color, background: RGB(0, 0, 0))
        }

        for vertebra in report.vertebrae where vertebra.named {
            label(vertebra.name, near: vertebra.centroid, color: RGB(255, 255, 255), offset: 16)
        }
        if let herniation = report.herniation.value {
            for level in herniation.levels {
                guard let segment = level.posteriorLine else { continue }
                line(segment, vertebralLineColor, width: 1)
                if level.present == true {
                    let middle = PixelPoint(row: (segment.start.row + segment.end.row) / 2, column: (segment.start.column + segment.end.column) / 2)
                    picture.fillCircle(row: at(middle).row, column: at(middle).column, radius: 1.5 * k, color: herniationColor)
                }
            }
        }
        if let cobb = report.cobbAngle.value {
            for endplate in [cobb.upperEndplate, cobb.lowerEndplate] { line(endplate.segment, endplateColor, extend: 12) }
            let q = at(cobb.lowerEndplate.segment.end)
            picture.drawText(String(format: "COBB %.1f°", cobb.angleDegrees), row: Int(q.row) + 6, column: Int(q.column) - 20,
                             color: endplateColor, background: RGB(0, 0, 0))
        }
        if let kLine = report.kLine.value {
            line(kLine.line, kLineColor, width: 1.5, extend: 4, dash: 5)
            for end in [kLine.line.start, kLine.line.end] { picture.fillCircle(row: at(end).row, column: at(end).column, radius: 1.5 * k, color: kLineColor) }
            if let mass = kLine.closestMass {
                picture.fillCircle(row: at(mass).row, column: at(mass).column, radius: k, color: kLine.status == .negative ? compressedColor : normalColor)
            }
        }
        if let mscc = report.mscc.value, let worst = mscc.levels.first(where: { $0.level == mscc.level }) {
            for chord in [worst.chordAbove, worst.chordBelow].compactMap({ $0 }) { line(chord, normalColor) }
            if let chord = worst.compressedChord {
                line(chord, compressedColor)
                label(String(format: "MSCC %.0f%%", mscc.msccPercent), near: chord.end, color: compressedColor, offset: -6)
            }
        }
        if let t2 = report.t2Hyperintensity.value {
            // A bar on the posterior margin along each positive segment's rows.
            let column = anteriorLeft ? Double(picture.cols) - 6 : 5
            for level in t2.levels where level.present == true {
                let top = Double(level.startRow) * k, bottom = Double(level.endRow) * k - 1
                picture.drawLine(from: (top, column), to: (bottom, column), color: t2Color, width: 3)
                let text = "T2 \(level.level)"
                let left = anteriorLeft ? Int(column) - 6 - RGBImage.textWidth(text) : Int(column) + 6
                picture.drawText(text, row: Int((top + bottom) / 2) - 3, column: left, color: t2Color, background: RGB(0, 0, 0))
            }
        }
    }

    /// The figures as text under the tiles.
    private static func textPanel(_ report: DiagnosisReport, width: Int) -> RGBImage {
        let scale = width >= 900 ? 2 : 1
        let perLine = max(20, (width - 16) / (BitmapFont.advance * scale))
        var lines = ["\(report.patient): \(report.rows) x \(report.columns) px of " +
                     String(format: "%.2f x %.2f mm", report.rowSpacingMM, report.columnSpacingMM)]
        lines += DiagnosisPicture.lines(report).flatMap { wrap($0, width: perLine) }
        let lineHeight = (BitmapFont.height + 4) * scale
        var panel = RGBImage(rows: lines.count * lineHeight + 12, cols: width, color: RGB(255, 255, 255))
        for (n, text) in lines.enumerated() { panel.drawText(text, row: 8 + n * lineHeight, column: 8, color: RGB(0, 0, 0), scale: scale) }
        return panel
    }

    /// One line per indicator.
    static func lines(_ report: DiagnosisReport) -> [String] {
        func text<V>(_ name: String, _ indicator: Indicator<V>, _ describe: (V) -> String) -> String {
            name + ": " + (indicator.value.map(describe) ?? "not computable: \(indicator.reason ?? "")")
        }
        return [
            text("Cobb C2-C7", report.cobbAngle) { String(format: "%.1f° %@", $0.angleDegrees, $0.alignment) },
            text("MSCC", report.mscc) { result in
                let worst = result.levels.first { $0.level == result.level }
                return String(format: "%.1f%% at %@ (Di %.2f, Da %.2f, Db %.2f mm)", result.msccPercent, result.level,
                              worst?.compressedDiameterMM ?? .nan, worst?.diameterAboveMM ?? .nan, worst?.diameterBelowMM ?? .nan)
            },
            text("K-line", report.kLine) { result in
                (result.status == .negative ? "- (negative)" : "+ (positive)") +
                    (result.clearanceMM.map { String(format: ", nearest mass %.1f mm %@ it", abs($0), $0 < 0 ? "beyond" : "anterior of") + (result.closestMassLevel.map { " at \($0)" } ?? "") }
                        ?? ", no compressive mass")
            },
            text("Herniation", report.herniation) { result in
                result.herniatedLevels.isEmpty ? "none" : result.levels.filter { $0.present == true }.map {
                    String(format: "%@ (%.0f mm², %.1f mm)", $0.level, $0.areaMM2 ?? 0, $0.depthMM ?? 0)
                }.joined(separator: ", ")
            },
            text("T2 hyperintensity", report.t2Hyperintensity) { result in
                "from \(result.source): " + (result.positiveLevels.isEmpty ? "none" : result.positiveLevels.joined(separator: ", "))
            },
        ] + report.notes.map { "Note: \($0)" }
    }

    private static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = [], current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count > width {
                lines.append(current)
                current = "  "
            }
            current += (current.isEmpty || current == "  " ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
