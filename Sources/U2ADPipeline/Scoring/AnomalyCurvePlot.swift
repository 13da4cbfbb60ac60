import Foundation

/// The anomaly curve as a hand-written SVG: aleatoric curve (left axis), epistemic curve (right axis,
/// its own scale), segment boundaries and names, and the decision threshold.
public enum AnomalyCurvePlot {
    public static func svg(curve: AnomalyCurve, segments: [SegmentResult], threshold: Double?, title: String) -> String {
        let width = 760.0, height = 340.0, left = 70.0, right = 70.0, top = 40.0, bottom = 50.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="18" text-anchor="middle" font-size="13">\(escape(title))</text>

        """
        guard let cord = curve.cordRows else {
            svg += "<text x=\"\(f(width / 2))\" y=\"\(f(height / 2))\" text-anchor=\"middle\">no cord region in this slice</text>\n</svg>\n"
            return svg
        }
        let rows = Array(cord)
        let xLow = curve.positionMM[cord.lowerBound], xHigh = max(curve.positionMM[cord.upperBound], xLow + 1)
        let yHigh = niceCeiling(max(rows.map { curve.aleatoric[$0] }.max() ?? 0, threshold ?? 0) * 1.1)
        let eHigh = niceCeiling((rows.map { curve.epistemic[$0] }.max() ?? 0) * 1.1)
        func x(_ mm: Double) -> Double { left + (mm - xLow) / (xHigh - xLow) * plotWidth }
        func y(_ v: Double, _ high: Double) -> Double { top + plotHeight - min(max(v / high, 0), 1) * plotHeight }

        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
        for t in 0...4 {
            let v = yHigh * Double(t) / 4, ev = eHigh * Double(t) / 4, py = y(v, yHigh)
            svg += "<line x1=\"\(f(left - 4))\" y1=\"\(f(py))\" x2=\"\(f(left))\" y2=\"\(f(py))\" stroke=\"#444\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(label(v))</text>"
            svg += "<text x=\"\(f(left + plotWidth + 6))\" y=\"\(f(py + 4))\" fill=\"#1f5fbf\">\(label(ev))</text>\n"
        }
        let step = tickStep(xHigh - xLow)
        var tick = (xLow / step).rounded(.up) * step
        // At most a dozen ticks whatever the values (a step lost in the rounding of a huge position cannot loop forever).
        for _ in 0..<12 where tick <= xHigh {
            svg += "<line x1=\"\(f(x(tick)))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(x(tick)))\" y2=\"\(f(top + plotHeight + 4))\" stroke=\"#444\"/>"
            svg += "<text x=\"\(f(x(tick)))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\">\(label(tick))</text>\n"
            tick += step
        }
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">distance along the cord from its top (mm)</text>\n"
        svg += "<text transform=\"translate(16 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">aleatoric (mean |x - rec| over the cord)</text>\n"
        svg += "<text transform=\"translate(\(f(width - 14)) \(f(top + plotHeight / 2))) rotate(90)\" text-anchor=\"middle\" fill=\"#1f5fbf\">epistemic (mean variance)</text>\n"

        for segment in segments {
            let start = max(segment.startMM, xLow), end = min(segment.endMM, xHigh)
            guard end > start else { continue }
            svg += "<line x1=\"\(f(x(start)))\" y1=\"\(f(top))\" x2=\"\(f(x(start)))\" y2=\"\(f(top + plotHeight))\" stroke=\"#999\" stroke-dasharray=\"3 3\"/>"
            let colour = segment.isPositive == true ? "#c00000" : "#333"
            svg += "<text x=\"\(f(x((start + end) / 2)))\" y=\"\(f(top - 6))\" text-anchor=\"middle\" fill=\"\(colour)\">\(escape(segment.name))</text>\n"
        }
        func polyline(_ values: [Double], high: Double, style: String) -> String {
            let points = rows.map { "\(f(x(curve.positionMM[$0]))),\(f(y(values[$0], high)))" }.joined(separator: " ")
            return "<polyline fill=\"none\" \(style) points=\"\(points)\"/>\n"
        }
        svg += polyline(curve.epistemic, high: eHigh, style: "stroke=\"#1f5fbf\" stroke-width=\"1.2\" stroke-dasharray=\"4 2\"")
        svg += polyline(curve.aleatoric, high: yHigh, style: "stroke=\"#d2691e\" stroke-width=\"1.8\"")
        if let threshold {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y(threshold, yHigh)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y(threshold, yHigh)))\" stroke=\"#c00000\" stroke-dasharray=\"6 3\"/>"
            svg += "<text x=\"\(f(left + plotWidth - 4))\" y=\"\(f(y(threshold, yHigh) - 4))\" text-anchor=\"end\" fill=\"#c00000\">threshold \(label(threshold))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    private static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    private static func label(_ v: Double) -> String {
        v == 0 ? "0" : (abs(v) >= 0.01 && abs(v) < 1000 ? String(format: "%.3g", v) : String(format: "%.2e", v))
    }

    /// 1, 2 or 5 times a power of ten, at least `v` (1 for non-positive values).
    static func niceCeiling(_ v: Double) -> Double {
        guard v > 0, v.isFinite else { return 1 }
        let magnitude = pow(10, (log10(v)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * magnitude >= v { return m * magnitude }
        return 10 * magnitude
    }

    private static func tickStep(_ span: Double) -> Double { niceCeiling(span / 8) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
