import Foundation

/// Settings of the diagnosis indicators.
public struct DiagnosisOptions: Codable, Equatable, Sendable {
    /// Name of the top-most vertebral body found (the reference takes it as C2).
    public var firstVertebra = "C2"
    /// Vertebral-body components smaller than this are ignored, mm² (the reference drops components under 50 pixels).
    public var minimumBodyArea = 30.0
    /// Length along the cord over which each cord diameter is averaged, mm.
    public var bandLength = 4.0
    /// Disc tissue counts as protrusion when its pixel centre lies more than this beyond the posterior vertebral line, mm.
    public var discTolerance = 1.0

    public init() {}

    /// Throws a one-line error naming the first invalid setting.
    public func validate() throws {
        guard VertebralLevels.index(of: firstVertebra) != nil else {
            throw PipelineError.badOption("--first-vertebra", "unknown level \(firstVertebra); use C1...C7, T1...T12, L1...L5 or S1")
        }
        guard minimumBodyArea.isFinite, minimumBodyArea > 0 else {
            throw PipelineError.badOption("--minimum-body-area", "must be > 0 mm², got \(minimumBodyArea)")
        }
        guard bandLength.isFinite, bandLength > 0, bandLength <= 20 else {
            throw PipelineError.badOption("--band-length", "must be in (0, 20] mm, got \(bandLength)")
        }
        guard discTolerance.isFinite, discTolerance >= 0 else {
            throw PipelineError.badOption("--disc-tolerance", "must be >= 0 mm, got \(discTolerance)")
        }
    }
}

/// Expert indicators of cervical spondylosis from a mid-sagittal label map (see docs/diagnosis.md): C2-C7 Cobb angle,
/// maximum spinal cord compression, modified K-line, disc herniation per level and T2 hyperintensity per level.
public enum Diagnosis {
    /// The report of `map`. An indicator the map cannot support says why instead of giving a value; a map with values
    /// outside the legend gives none.
    public static func diagnose(_ map: LabelMap, patient: String, source: String, options: DiagnosisOptions = DiagnosisOptions(),
                                detection: DetectionFindings.Patient? = nil) -> DiagnosisReport {
        if let problem = map.legendProblem {
            return DiagnosisReport(patient: patient, source: source, rows: map.rows, columns: map.columns, rowSpacingMM: map.rowSpacing,
                                   columnSpacingMM: map.columnSpacing, anteriorSide: "left", orientation: "not read: \(problem)",
                                   vertebrae: [], notes: [problem], cobbAngle: .notComputable(problem), mscc: .notComputable(problem),
                                   kLine: .notComputable(problem), herniation: .notComputable(problem), t2Hyperintensity: .notComputable(problem))
        }
        let spine = SpineModel(map: map, options: options)
        let vertebrae = spine.vertebrae.enumerated().map { k, vertebra in
            VertebraRecord(name: vertebra.name, centroid: spine.frame.pixelPoint(vertebra.centroid), areaMM2: vertebra.area, named: k < spine.trusted)
        }
        return DiagnosisReport(
            patient: patient, source: source, rows: map.rows, columns: map.columns, rowSpacingMM: map.rowSpacing, columnSpacingMM: map.columnSpacing,
            anteriorSide: spine.frame.posteriorSign > 0 ? "left" : "right",
            orientation: spine.orientationFromAnatomy ? "from the anatomy (canal behind the bodies)" : "assumed: no cord or CSF labelled",
            vertebrae: vertebrae, notes: spine.notes,
            cobbAngle: CobbAngle.measure(spine), mscc: CordCompression.measure(spine, options: options), kLine: KLine.measure(spine),
            herniation: Herniation.measure(spine, options: options), t2Hyperintensity: T2Hyperintensity.measure(spine, detection: detection))
    }
}
