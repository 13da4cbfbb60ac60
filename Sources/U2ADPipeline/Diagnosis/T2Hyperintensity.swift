import Foundation

/// T2 hyperintensity per level. Levels are the segments `u2ad detect` scores (from one vertebral-body centroid to the
/// next, as the reference's `T2_highsignal.py` cuts the cord, plus the cord above the first and below the last), so a
/// detection report's decisions line up with them by name. A level is positive when it holds label 6, or, given a
/// detection report, when the report decided it positive.
enum T2Hyperintensity {
    static func measure(_ spine: SpineModel, detection: DetectionFindings.Patient?) -> Indicator<HyperintensityResult> {
        let map = spine.map, frame = spine.frame
        guard !spine.trustedVertebrae.isEmpty else { return .notComputable(spine.whyMissing("C2")) }
        let bodies = spine.trustedVertebrae.map { vertebra -> VertebralBody in
            let (row, column) = frame.pixel(vertebra.centroid)
            return VertebralBody(row: row, column: column, pixels: vertebra.pixelCount)
        }
        let cordRows = (0..<map.rows).filter { row in
            (0..<map.columns).contains { CordCompression.cordLabels.contains(map.label(row, $0)) }
        }
        let cord = cordRows.first.map { $0...cordRows.last! }
        let segments = SpinalSegmentation.vertebral(bodies: bodies, cord: cord, size: map.rows, first: spine.trustedVertebrae.first!.levelIndex)
        guard !segments.isEmpty else { return .notComputable("no segment between vertebral bodies (one body and no cord)") }
        let levels = segments.map { segment -> LevelHyperintensity in
            var count = 0
            for row in segment.rows { for column in 0..<map.columns where map.label(row, column) == LabelMap.hyperintensity { count += 1 } }
            let decision = detection?.segment(segment.name)
            return LevelHyperintensity(level: segment.name, startRow: segment.startRow, endRow: segment.endRow, labelPixels: count, detected: decision?.isPositive, detectionScore: decision?.score,
                                       present: detection == nil ? count > 0 : decision?.isPositive)
        }
        return .value(HyperintensityResult(source: detection == nil ? "labels" : "detection", levels: levels,
                                           positiveLevels: levels.filter { $0.present == true }.map(\.level)))
    }
}
