/// Turns a slice's maps into its anomaly curve and segment scores.
public enum AnomalyScoring {
    /// The curve and the slice's segments with their scores (no decisions yet).
    public static func score(maps: SliceMaps, labels: [Float], source: String, options: ScoringOptions) -> (result: SliceResult, curve: AnomalyCurve) {
        let curve = AnomalyCurve(maps: maps, options: options)
        let size = maps.size
        var lesionRows = [Int](repeating: 0, count: size)
        for (i, label) in labels.enumerated() where labelValue(label) == options.lesionLabel { lesionRows[i / size] += 1 }
        let segments = SpinalSegmentation.segments(labels: labels, size: size, curve: curve, options: options).map { segment in
            let rows = segment.rows.clamped(to: 0..<size)
            var score: Double?, epistemic: Double?, peak: Int?
            for y in rows where curve.regionPixels[y] > 0 {
                if score.map({ curve.aleatoric[y] > $0 }) ?? true { score = curve.aleatoric[y]; peak = y }
                epistemic = maxOptional(epistemic, curve.epistemic[y])
            }
            let endPosition = rows.isEmpty ? 0 : curve.positionMM[rows.upperBound - 1] + options.pixelSpacingMM
            return SegmentResult(name: segment.name, kind: segment.kind, startRow: segment.startRow, endRow: segment.endRow,
                                 startMM: rows.isEmpty ? 0 : curve.positionMM[rows.lowerBound], endMM: endPosition,
                                 score: score, epistemicScore: epistemic, peakRow: peak,
                                 lesionPixels: rows.reduce(0) { $0 + lesionRows[$1] }, isPositive: nil)
        }
        let result = SliceResult(name: maps.name, source: source, roiPatches: maps.roiPatches, passes: maps.passes,
                                 hiddenPerPass: maps.hiddenPerPass, skipped: maps.skipped, segments: segments,
                                 score: segments.reduce(nil) { maxOptional($0, $1.score) },
                                 lesionPixels: lesionRows.reduce(0, +), isPositive: nil)
        return (result, curve)
    }
}
