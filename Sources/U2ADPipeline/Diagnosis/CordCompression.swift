import Foundation

/// Maximum spinal cord compression, as the reference's `MSCC.py`: at each disc level,
/// `MSCC = (1 - Di / ((Da + Db) / 2)) * 100` with Di the cord's antero-posterior diameter at the disc and Da, Db the
/// diameters across the middle of the vertebral bodies above and below; the indicator is the largest over the levels.
///
/// Diameters are measured across the cord parallel to the endplates (the reference draws its lines parallel to the
/// bodies' and disc's top edges) and averaged over a band ``DiagnosisOptions/bandLength`` long, which resolves them to a
/// fraction of a pixel. Di is the narrowest such band along the disc, between the posterior corners of the two bodies
/// (the reference measures at the disc's centre only).
enum CordCompression {
    static let cordLabels: Set<Int> = [LabelMap.cord, LabelMap.hyperintensity]

    static func measure(_ spine: SpineModel, options: DiagnosisOptions) -> Indicator<CompressionResult> {
        guard spine.map.count(cordLabels) > 0 else { return .notComputable("no cord (labels 3, 6) in the label map") }
        let levels = spine.discLevels
        guard !levels.isEmpty else { return .notComputable(spine.whyMissing(VertebralLevels.name(at: (spine.vertebrae.first?.levelIndex ?? 1) + 1))) }
        let measured = levels.map { level(upper: $0.upper, lower: $0.lower, name: $0.name, spine: spine, options: options) }
        guard let worst = measured.filter({ $0.msccPercent != nil }).max(by: { $0.msccPercent! < $1.msccPercent! }) else {
            return .notComputable("no level measurable: " + measured.prefix(2).compactMap { "\($0.level): \($0.notComputable ?? "")" }.joined(separator: "; "))
        }
        return .value(CompressionResult(msccPercent: worst.msccPercent!, level: worst.level, levels: measured))
    }

    private static func level(upper: Vertebra, lower: Vertebra, name: String, spine: SpineModel, options: DiagnosisOptions) -> LevelCompression {
        var out = LevelCompression(level: name)
        guard let corner = upper.posteriorInferior, let nextCorner = lower.posteriorSuperior,
              let above = upper.inferiorEndplate, let below = lower.superiorEndplate else {
            out.notComputable = "the endplates or posterior walls of \(upper.name) and \(lower.name) could not be fitted"
            return out
        }
        guard let middleAbove = upper.middle, let middleBelow = lower.middle else {
            out.notComputable = "the middle of \(upper.name) or \(lower.name) could not be found"
            return out
        }
        let frame = spine.frame
        let da = diameter(frame, at: middleAbove.point, across: middleAbove.across, bandLength: options.bandLength, from: 0)
        let db = diameter(frame, at: middleBelow.point, across: middleBelow.across, bandLength: options.bandLength, from: 0)
        let across = (above.direction + below.direction).normalized
        let steps = max(1, Int(((nextCorner - corner).length / (2 * frame.fineStep)).rounded(.up)))
        var narrowest: (diameter: Double, chord: (PlanePoint, PlanePoint))?
        for k in 0...steps {
            let q = corner + Double(k) / Double(steps) * (nextCorner - corner)
            if let d = diameter(frame, at: q, across: across, bandLength: options.bandLength, from: -5),
               narrowest.map({ d.diameter < $0.diameter }) ?? true { narrowest = d }
        }
        out.diameterAboveMM = da?.diameter
        out.diameterBelowMM = db?.diameter
        out.compressedDiameterMM = narrowest?.diameter
        out.chordAbove = da.map { frame.segment($0.chord.0, $0.chord.1) }
        out.chordBelow = db.map { frame.segment($0.chord.0, $0.chord.1) }
        out.compressedChord = narrowest.map { frame.segment($0.chord.0, $0.chord.1) }
        guard let di = narrowest?.diameter else {
            out.notComputable = "no cord across the \(name) disc"
            return out
        }
        guard let a = da?.diameter, let b = db?.diameter, a + b > 0 else {
            out.notComputable = "no cord across the middle of \(da == nil ? upper.name : lower.name)"
            return out
        }
        out.msccPercent = (1 - di / ((a + b) / 2)) * 100
        return out
    }

    /// The cord's diameter across the line through `point` along `across` (unit, posterior), searched from `from` to 45 mm
    /// along it: the mean chord of the longest cord stretch over parallel lines spaced a quarter of a pixel across a band
    /// `bandLength` long. Nil when the line meets no cord.
    static func diameter(_ frame: SliceFrame, at point: PlanePoint, across: PlanePoint, bandLength: Double, from start: Double)
        -> (diameter: Double, chord: (PlanePoint, PlanePoint))? {
        let isCord: (Int) -> Bool = { cordLabels.contains(Int(frame.map.labels[$0])) }
        let pixel = 2 * frame.fineStep
        guard let central = SliceFrame.longest(frame.runs(from: point, along: across, over: start...45, inside: isCord), gap: pixel) else {
            return nil
        }
        let window = (central.lowerBound - 3 * pixel)...(central.upperBound + 3 * pixel)
        let along = PlanePoint(-across.y, across.x)
        let lines = max(5, Int((bandLength / (0.25 * pixel)).rounded()))
        var total = 0.0
        for j in 0..<lines {
            let offset = bandLength * ((Double(j) + 0.5) / Double(lines) - 0.5)
            let runs = SliceFrame.merged(frame.runs(from: point + offset * along, along: across, over: window, inside: isCord), gap: pixel)
            let overlapping = runs.filter { $0.overlaps(central) }
            total += overlapping.max { $0.upperBound - $0.lowerBound < $1.upperBound - $1.lowerBound }.map { $0.upperBound - $0.lowerBound } ?? 0
        }
        return (total / Double(lines), (point + central.lowerBound * across, point + central.upperBound * across))
    }
}
