import Foundation
import U2ADData

/// A position on the diagnosed slice, in pixels as stored (row 0 at the top, column 0 at the left).
public struct PixelPoint: Codable, Equatable, Sendable {
    public var row: Double
    public var column: Double

    public init(row: Double, column: Double) {
        self.row = row
        self.column = column
    }
}

/// A line segment on the diagnosed slice.
public struct PixelSegment: Codable, Equatable, Sendable {
    public var start: PixelPoint
    public var end: PixelPoint

    public init(start: PixelPoint, end: PixelPoint) {
        self.start = start
        self.end = end
    }
}

/// An indicator's value, or one line saying why it could not be computed. In JSON the value is its own object and a
/// missing one is `{"notComputable": "reason"}`.
public enum Indicator<Value: Codable & Equatable & Sendable>: Codable, Equatable, Sendable {
    case value(Value)
    case notComputable(String)

    public var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }

    /// Why there is no value; nil when there is one.
    public var reason: String? {
        if case .notComputable(let reason) = self { return reason }
        return nil
    }

    private enum ReasonKey: String, CodingKey { case notComputable }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: ReasonKey.self)
        if let reason = try container.decodeIfPresent(String.self, forKey: .notComputable) {
            self = .notComputable(reason)
        } else {
            self = .value(try Value(from: decoder))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .value(let value):
            try value.encode(to: encoder)
        case .notComputable(let reason):
            var container = encoder.container(keyedBy: ReasonKey.self)
            try container.encode(reason, forKey: .notComputable)
        }
    }
}

/// One vertebral body as found.
public struct VertebraRecord: Codable, Equatable, Sendable {
    public var name: String
    public var centroid: PixelPoint
    public var areaMM2: Double
    /// False below a missing or merged body, where the name is only a count.
    public var named: Bool
}

/// An endplate line used by an indicator.
public struct EndplateRecord: Codable, Equatable, Sendable {
    public var vertebra: String
    /// `superior` or `inferior`.
    public var side: String
    public var segment: PixelSegment
    /// Degrees the endplate descends going posteriorly (negative when it rises).
    public var inclinationDegrees: Double
}

/// C2-C7 Cobb angle.
public struct CobbAngleResult: Codable, Equatable, Sendable {
    /// Angle between the C2 and C7 inferior endplates, degrees: positive for lordosis, negative for kyphosis.
    public var angleDegrees: Double
    /// `lordosis` or `kyphosis` (or `straight` at exactly 0).
    public var alignment: String
    public var upperEndplate: EndplateRecord
    public var lowerEndplate: EndplateRecord
}

/// Cord diameters and compression at one disc level.
public struct LevelCompression: Codable, Equatable, Sendable {
    public var level: String
    /// Narrowest cord diameter at the disc level (Di), and at the middle of the bodies above (Da) and below (Db), mm.
    public var compressedDiameterMM: Double?
    public var diameterAboveMM: Double?
    public var diameterBelowMM: Double?
    /// `(1 - Di / ((Da + Db) / 2)) * 100`.
    public var msccPercent: Double?
    /// Why this level has no value.
    public var notComputable: String?
    /// Where the three diameters were measured (for the picture).
    public var compressedChord: PixelSegment?
    public var chordAbove: PixelSegment?
    public var chordBelow: PixelSegment?
}

/// Maximum spinal cord compression.
public struct CompressionResult: Codable, Equatable, Sendable {
    /// The largest MSCC over the levels, percent.
    public var msccPercent: Double
    /// The level it is at: the most compressed.
    public var level: String
    public var levels: [LevelCompression]
}

/// Modified K-line status.
public enum KLineStatus: String, Codable, Equatable, Sendable {
    /// No compressive mass reaches the K-line.
    case positive
    /// A compressive mass (label 5 or 7) reaches or crosses the K-line.
    case negative
}

/// The K-line and the compressive masses against it.
public struct KLineResult: Codable, Equatable, Sendable {
    public var status: KLineStatus
    /// From the canal midpoint on the C2 inferior endplate line to the one on the C7 superior endplate line.
    public var line: PixelSegment
    /// How far anterior of the K-line the nearest compressive mass stays, mm (negative: it crosses); nil without a mass.
    public var clearanceMM: Double?
    /// The point of that mass nearest the K-line, and the level it is at.
    public var closestMass: PixelPoint?
    public var closestMassLevel: String?
}

/// Disc herniation at one disc level.
public struct DiscHerniation: Codable, Equatable, Sendable {
    public var level: String
    /// Protrusion tissue at this level: label 5 beside the disc, or disc tissue beyond the posterior vertebral line.
    public var present: Bool?
    public var areaMM2: Double?
    /// How far the tissue reaches beyond the posterior vertebral line, mm.
    public var depthMM: Double?
    public var protrusionPixels: Int?
    public var discPixelsBeyondLine: Int?
    /// From the posterior-inferior corner of the body above to the posterior-superior corner of the body below.
    public var posteriorLine: PixelSegment?
    public var notComputable: String?
}

/// Disc herniation per level.
public struct HerniationResult: Codable, Equatable, Sendable {
    public var levels: [DiscHerniation]
    public var herniatedLevels: [String]
}

/// T2 hyperintensity in one segment (from a vertebral-body centroid to the next, as `u2ad detect` cuts them).
public struct LevelHyperintensity: Codable, Equatable, Sendable {
    public var level: String
    /// The segment's rows: `startRow ..< endRow`.
    public var startRow: Int
    public var endRow: Int
    /// Label-6 pixels in the segment's rows.
    public var labelPixels: Int
    /// The detection report's decision and score for the segment; nil without a report or a score.
    public var detected: Bool?
    public var detectionScore: Double?
    /// From the chosen source; nil when the detection report has no decision for the segment.
    public var present: Bool?
}

/// T2 hyperintensity per level.
public struct HyperintensityResult: Codable, Equatable, Sendable {
    /// `labels` (label 6) or `detection` (the u2ad detection report).
    public var source: String
    public var levels: [LevelHyperintensity]
    public var positiveLevels: [String]
}

/// `diagnosis.json` of `u2ad diagnose`: the five indicators of one patient's mid-sagittal label map.
public struct DiagnosisReport: Codable, Equatable, Sendable {
    public var patient: String
    /// The label file (and `#index` of the slice in a volume).
    public var source: String
    public var rows: Int
    public var columns: Int
    public var rowSpacingMM: Double
    public var columnSpacingMM: Double
    /// `left` or `right`.
    public var anteriorSide: String
    /// Whether the anterior side was read from the anatomy (bodies in front of the canal) or assumed (reference layout).
    public var orientation: String
    public var vertebrae: [VertebraRecord]
    public var notes: [String]
    public var cobbAngle: Indicator<CobbAngleResult>
    public var mscc: Indicator<CompressionResult>
    public var kLine: Indicator<KLineResult>
    public var herniation: Indicator<HerniationResult>
    public var t2Hyperintensity: Indicator<HyperintensityResult>

    /// Writes the report as JSON, atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(try JSONEncoding.encode(self), to: url)
    }

    /// One line: the indicators' values or "n/c".
    public var summary: String {
        let cobb = cobbAngle.value.map { String(format: "Cobb %.1f° %@", $0.angleDegrees, $0.alignment) } ?? "Cobb n/c"
        let compression = mscc.value.map { String(format: "MSCC %.1f%% at %@", $0.msccPercent, $0.level) } ?? "MSCC n/c"
        let line = kLine.value.map { "K-line \($0.status == .negative ? "-" : "+")" } ?? "K-line n/c"
        let hernia = herniation.value.map { $0.herniatedLevels.isEmpty ? "no herniation" : "herniation " + $0.herniatedLevels.joined(separator: " ") }
            ?? "herniation n/c"
        let t2 = t2Hyperintensity.value.map { $0.positiveLevels.isEmpty ? "no T2 hyperintensity" : "T2 " + $0.positiveLevels.joined(separator: " ") }
            ?? "T2 n/c"
        return [cobb, compression, line, hernia, t2].joined(separator: ", ")
    }
}
