import Foundation

/// The detectability curves of a study as a hand-written SVG: for each method, patient AUROC with its 95% interval
/// against lesion contrast (left panel) and lesion area (right panel), chance marked at 0.5.
public enum DetectabilityPlot {
    static let colors = ["#c0392b", "#1f5fbf", "#2e8b57", "#8e44ad", "#d68910"]

    public static func svg(_ result: StudyResult) -> String {
        let panelWidth = 380.0, height = 320.0, left = 56.0, top = 44.0, bottom = 56.0, gap = 40.0
        let plotWidth = panelWidth - left - 10, plotHeight = height - top - bottom
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(2 * panelWidth + gap))" height="\(Int(height + 24))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Int(panelWidth + gap / 2))" y="18" text-anchor="middle" font-size="13">Where each method stops seeing: patient AUROC (95% interval) by lesion, \(result.cohort) cohort</text>

        """
        for (panel, variable) in ["contrast", "area"].enumerated() {
            let x0 = Double(panel) * (panelWidth + gap) + left
            func y(_ value: Double) -> Double { top + plotHeight - (value - 0.3) / 0.7 * plotHeight }
            svg += "<rect x=\"\(Int(x0))\" y=\"\(Int(top))\" width=\"\(Int(plotWidth))\" height=\"\(Int(plotHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
            for tick in [0.3, 0.5, 0.7, 0.9, 1.0] {
                svg += "<text x=\"\(Int(x0 - 6))\" y=\"\(Int(y(tick) + 4))\" text-anchor=\"end\">\(String(format: "%.1f", tick))</text>"
                svg += "<line x1=\"\(Int(x0))\" y1=\"\(Int(y(tick)))\" x2=\"\(Int(x0 + plotWidth))\" y2=\"\(Int(y(tick)))\" stroke=\"\(tick == 0.5 ? "#999" : "#eee")\"\(tick == 0.5 ? " stroke-dasharray=\"4 3\"" : "")/>\n"
            }
            let bins = result.methods.first?.evaluations.first?.detectability.filter { $0.variable == variable } ?? []
            guard !bins.isEmpty else { continue }
            func x(_ index: Int) -> Double { x0 + (Double(index) + 0.5) / Double(bins.count) * plotWidth }
            for (index, bin) in bins.enumerated() {
                let text = variable == "contrast" ? String(format: "%g-%gx", bin.low, bin.high) : String(format: "%g-%g px", bin.low, bin.high)
                svg += "<text x=\"\(Int(x(index)))\" y=\"\(Int(top + plotHeight + 16))\" text-anchor=\"middle\">\(text)</text>"
                svg += "<text x=\"\(Int(x(index)))\" y=\"\(Int(top + plotHeight + 30))\" text-anchor=\"middle\" fill=\"#777\">n=\(bin.lesioned)</text>\n"
            }
            svg += "<text x=\"\(Int(x0 + plotWidth / 2))\" y=\"\(Int(height - 2))\" text-anchor=\"middle\">lesion \(variable)</text>\n"
            for (m, method) in result.methods.enumerated() {
                let color = colors[m % colors.count], offset = (Double(m) - Double(result.methods.count - 1) / 2) * 5
                let points = method.evaluations[0].detectability.filter { $0.variable == variable }.enumerated().compactMap { index, bin -> (Double, Interval)? in
                    bin.auroc.estimate.map { _ in (x(index) + offset, bin.auroc) }
                }
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"" + points.map { "\(Int($0.0)),\(Int(y($0.1.estimate!)))" }.joined(separator: " ") + "\"/>\n"
                for (px, interval) in points {
                    if let low = interval.lower, let high = interval.upper {
                        svg += "<line x1=\"\(Int(px))\" y1=\"\(Int(y(max(low, 0.3))))\" x2=\"\(Int(px))\" y2=\"\(Int(y(high)))\" stroke=\"\(color)\"/>"
                    }
                    svg += "<circle cx=\"\(Int(px))\" cy=\"\(Int(y(max(interval.estimate!, 0.3))))\" r=\"3\" fill=\"\(color)\"/>\n"
                }
                if panel == 0 {
                    svg += "<text x=\"\(Int(x0 + 8))\" y=\"\(Int(top + 14 + 14 * Double(m)))\" fill=\"\(color)\">\(method.method.rawValue)</text>\n"
                }
            }
        }
        return svg + "</svg>\n"
    }
}
