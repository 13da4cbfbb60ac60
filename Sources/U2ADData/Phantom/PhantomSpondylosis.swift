import Foundation

/// Cervical spondylosis set exactly in a phantom, so that diagnosis indicators can be checked against truth: the
/// C2-C7 Cobb angle, the cord's normal diameter and compressive masses at disc levels (see docs/phantom.md).
///
/// With spondylosis the column axis is straight through C2 and through C7 and a circular arc between them, so the
/// C2 and C7 bodies are exact rectangles (with rounded corners) whose endplates are perpendicular to the axis, and the
/// discs no longer bulge: protrusion exists only where a mass is placed.
public struct PhantomSpondylosis: Sendable, Equatable {
    /// Angle between the C2 and C7 inferior endplates, degrees: positive for lordosis, negative for kyphosis; at most 60
    /// either way.
    public var cobbAngle: Double
    /// Direction of the column midway between C2 and C7, degrees from vertical, positive when the lower column is more
    /// posterior; nil keeps the patient's drawn tilt.
    public var tilt: Double?
    /// Antero-posterior cord diameter away from compressions, pixels; nil keeps the patient's drawn width.
    public var cordDiameter: Double?
    /// Compressive masses, at most one per disc level.
    public var masses: [PhantomMass]

    public init(cobbAngle: Double = 15, tilt: Double? = nil, cordDiameter: Double? = nil, masses: [PhantomMass] = []) {
        self.cobbAngle = cobbAngle
        self.tilt = tilt
        self.cordDiameter = cordDiameter
        self.masses = masses
    }
}

/// A compressive mass behind a disc: a protrusion (label 5) or another compressive lesion such as an ossified
/// ligament (label 7). It grows from the posterior vertebral line into the canal, with a flat top parallel to the
/// column; where it reaches the cord, the cord narrows to the space left.
public struct PhantomMass: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Disc protrusion, label 5.
        case protrusion
        /// Other compressive lesion, label 7.
        case ossification

        public var label: Int { self == .protrusion ? 5 : 7 }
    }

    /// How far the mass reaches, in one of three equivalent ways.
    public enum Size: Sendable, Equatable {
        /// Depth beyond the posterior vertebral line, pixels.
        case depth(Double)
        /// The cord diameter left at the mass, pixels: the mass reaches the cord and compresses it to this.
        case cordDiameter(Double)
        /// Distance of the mass's most posterior point from the K-line, pixels: positive stays anterior of it (K-line +),
        /// negative crosses it (K-line -).
        case kLineClearance(Double)
    }

    /// Disc level: 0 = C2-3, 1 = C3-4, ... 4 = C6-7, 5 = C7-T1.
    public var level: Int
    public var kind: Kind
    public var size: Size
    /// Length of the flat top along the column, pixels; nil = the disc's height plus 2.
    public var length: Double?

    public init(level: Int, kind: Kind = .protrusion, size: Size, length: Double? = nil) {
        self.level = level
        self.kind = kind
        self.size = size
        self.length = length
    }

    /// Names of the disc levels, by `level`.
    public static let levelNames = ["C2-3", "C3-4", "C4-5", "C5-6", "C6-7", "C7-T1"]
}

/// A point of a phantom slice, in pixels (row 0 at the top, column 0 at the left).
public struct PhantomPoint: Sendable, Equatable {
    public var row: Double
    public var column: Double

    public init(row: Double, column: Double) {
        self.row = row
        self.column = column
    }
}

/// A mass as placed, with the quantities it produces.
public struct PlacedMass: Sendable, Equatable {
    public var mass: PhantomMass
    /// `C4-5`, ...
    public var levelName: String
    /// 5 or 7.
    public var label: Int
    /// Depth beyond the posterior vertebral line, pixels (limited so that at least 2 pixels of cord remain).
    public var depth: Double
    /// Cord diameter at the mass, pixels (the normal diameter when the mass does not reach the cord).
    public var cordDiameter: Double
    /// Maximum spinal cord compression at this level, percent: `(1 - cordDiameter / normal diameter) * 100`.
    public var compression: Double
    /// Distance of the mass's most posterior point from the K-line, pixels; negative when it crosses.
    public var kLineClearance: Double
    /// Pixels labelled with the mass's label.
    public var pixelCount: Int
    /// Middle of the mass's top (its most posterior face).
    public var apex: PhantomPoint
}

/// What a spondylosis phantom was built with: the values diagnosis indicators should find.
public struct SpondylosisTruth: Sendable, Equatable {
    /// C2-C7 Cobb angle, degrees, lordosis positive.
    public var cobbAngle: Double
    /// Direction of the column axis through C2 and through C7, degrees from vertical (positive: going down posteriorly).
    public var c2Direction: Double
    public var c7Direction: Double
    /// Normal antero-posterior cord diameter, pixels.
    public var cordDiameter: Double
    /// Canal (labels 3, 4, 6) midpoints on the C2 inferior endplate line and on the C7 superior endplate line: the
    /// K-line's ends.
    public var kLineStart: PhantomPoint
    public var kLineEnd: PhantomPoint
    public var masses: [PlacedMass]

    /// Whether any mass reaches the K-line (K-line negative).
    public var kLineNegative: Bool { masses.contains { $0.kLineClearance <= 0 } }
}
