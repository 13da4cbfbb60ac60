import Foundation
import U2ADRandom

/// One T2 hyperintensity inside the spinal cord: the lesion model that the phantom draws and that
/// `LesionInsertion` inserts into real slices (see docs/phantom.md, "Lesion model").
///
/// The lesion is an ellipse aligned with the local cord axis with a soft edge. Its weight is 1 in the core,
/// 0.5 on the outline and falls linearly to 0 over `edgeWidth` pixels centred on the outline. In the slice the
/// weight is multiplied by the pixel's cord fraction, so a lesion never leaves the cord, and the lesion adds
///
///     weight * (contrast - 1) * local cord signal
///
/// to a pixel, before bias, ringing and noise in the phantom. A pixel is labelled 6 when its weight is >= 0.5.
public struct CordLesion: Sendable, Equatable, Codable {
    /// Semi-axis along the cord, in pixels.
    public var semiAxisAlong: Double
    /// Semi-axis across the cord, in pixels (reduced to fit in the cord when placed, the along axis enlarged to
    /// keep the area).
    public var semiAxisAcross: Double
    /// Core signal over the local cord signal: 1.3 is a core 30 % brighter than the cord around it. At least 1.
    public var contrast: Double
    /// Width in pixels over which the weight falls from 1 to 0, centred on the outline (partial volume).
    /// Clamped to the smaller diameter, so that the centre always reaches the full contrast.
    public var edgeWidth: Double
    /// Position along the cord, 0...1: in the phantom 0 = top of C2 and 1 = bottom of T1, in a real slice the first
    /// and last labelled cord rows wide enough for a lesion. `nil` = random in 0.1...0.9.
    public var position: Double?
    /// Centre offset across the cord in units of the labelled cord half-width (-1 anterior ... 1 posterior).
    /// `nil` = random: inside the cord, or at its border when `atCordBorder`.
    public var offset: Double?
    /// With a random offset: put the centre half the across semi-axis inside the cord border (anterior or
    /// posterior at random), so that the border cuts the lesion.
    public var atCordBorder: Bool

    /// The default edge width, in pixels.
    public static let defaultEdgeWidth = 2.0

    public init(semiAxisAlong: Double, semiAxisAcross: Double, contrast: Double, edgeWidth: Double = CordLesion.defaultEdgeWidth,
                position: Double? = nil, offset: Double? = nil, atCordBorder: Bool = false) {
        self.semiAxisAlong = semiAxisAlong
        self.semiAxisAcross = semiAxisAcross
        self.contrast = contrast
        self.edgeWidth = edgeWidth
        self.position = position
        self.offset = offset
        self.atCordBorder = atCordBorder
    }

    /// An ellipse of `area` pixels (inside the outline), `aspect` times longer along the cord than across.
    public init(area: Double, aspect: Double = 2, contrast: Double, edgeWidth: Double = CordLesion.defaultEdgeWidth,
                position: Double? = nil, offset: Double? = nil, atCordBorder: Bool = false) {
        let along = (area * aspect / Double.pi).squareRoot()
        self.init(semiAxisAlong: along, semiAxisAcross: along / aspect, contrast: contrast, edgeWidth: edgeWidth,
                  position: position, offset: offset, atCordBorder: atCordBorder)
    }

    /// Area inside the outline, `pi * along * across` pixels (the labelled area of a lesion the cord does not cut,
    /// to pixel rounding).
    public var nominalArea: Double { Double.pi * semiAxisAlong * semiAxisAcross }

    /// The one-line reason this lesion cannot be drawn, or `nil`.
    public var invalidReason: String? {
        if !(contrast >= 1 && contrast.isFinite) {
            return "lesion contrast is the core / local cord signal ratio and must be >= 1, got \(contrast)"
        }
        if !(semiAxisAlong > 0 && semiAxisAcross > 0 && semiAxisAlong.isFinite && semiAxisAcross.isFinite) {
            return "lesion semi-axes must be positive, got \(semiAxisAlong) x \(semiAxisAcross)"
        }
        if !(edgeWidth >= 0 && edgeWidth.isFinite) { return "lesion edge width must be >= 0, got \(edgeWidth)" }
        return nil
    }

    /// The same lesion no wider than `maxAcross` pixels across: the across axis reduced and the along axis enlarged
    /// to keep the area.
    public func fitted(maxAcross: Double) -> CordLesion {
        var out = self
        let limit = max(maxAcross, 0.5)
        if semiAxisAcross > limit {
            out.semiAxisAlong *= semiAxisAcross / limit
            out.semiAxisAcross = limit
        }
        return out
    }

    /// The lesion as placed at `position` in a cord of labelled half-width `half` pixels: the across axis at most
    /// `half - 0.5` (`fitted`), the offset as given, at the border (`atCordBorder`, side drawn) or drawn inside the cord.
    func placed(at position: Double, cordHalfWidth half: Double, random: inout RandomStream) -> CordLesion {
        var lesion = fitted(maxAcross: half - 0.5)
        let across = lesion.semiAxisAcross
        if let given = offset {
            lesion.offset = min(max(given, -1), 1)
        } else if atCordBorder {
            lesion.offset = (random.uniform() < 0.5 ? -1 : 1) * max(half - 0.5 * across, 0) / half
        } else {
            let room = max(half - across - 0.5, 0)
            lesion.offset = random.uniform(-room, room) / half
        }
        lesion.position = position
        return lesion
    }

    /// The lesion's weight at an offset from its centre, in pixels along and across the cord axis, before the cord
    /// fraction: 1 in the core, 0.5 on the outline, 0 beyond `edgeWidth / 2` outside it.
    public func weight(along: Double, across: Double) -> Double {
        Self.ellipseWeight(along: along, across: across, semiAxes: (semiAxisAlong, semiAxisAcross), edgeWidth: edgeWidth)
    }

    /// Soft ellipse: 0.5 - (signed distance to the outline) / edge, clamped to [0, 1]. The distance is the first-order
    /// estimate `(rho - 1) / |grad rho|` of the scaled radius `rho`, exact on the axes and near the outline.
    static func ellipseWeight(along: Double, across: Double, semiAxes: (along: Double, across: Double), edgeWidth: Double) -> Double {
        let a = semiAxes.along, b = semiAxes.across
        let x = along / a, y = across / b
        let rho = (x * x + y * y).squareRoot()
        let distance: Double
        if rho < 1e-12 {
            distance = -min(a, b)
        } else {
            let gradient = ((x / a) * (x / a) + (y / b) * (y / b)).squareRoot() / rho
            distance = (rho - 1) / gradient
        }
        let edge = min(edgeWidth, 2 * min(a, b))
        if edge <= 0 { return distance <= 0 ? 1 : 0 }
        return min(max(0.5 - distance / edge, 0), 1)
    }
}

/// Ranges from which a cohort draws its lesions, the same for the phantom and for insertion into real slices.
public struct CordLesionRanges: Sendable, Equatable, Codable {
    /// Lesions per lesioned patient.
    public var count: ClosedRange<Int> = 1...1
    /// Area inside the outline, pixels, drawn log-uniformly (as many small lesions as large ones per octave).
    public var area: ClosedRange<Double> = 10...200
    /// Along / across semi-axis ratio, drawn uniformly.
    public var aspect: ClosedRange<Double> = 1.5...3
    /// Core / local cord signal, drawn uniformly: 1.1 is subtle, 1.8 obvious.
    public var contrast: ClosedRange<Double> = 1.1...1.8
    /// Soft edge width, pixels.
    public var edgeWidth: Double = CordLesion.defaultEdgeWidth
    /// Share of lesions placed at the cord border (`CordLesion.atCordBorder`), drawn per lesion.
    public var borderFraction: Double = 0.25

    public init() {}

    /// One patient's lesions (positions and offsets are left random, drawn where the lesion is placed).
    public func draw(_ random: inout RandomStream) -> [CordLesion] {
        let n = random.int(in: count)
        return (0..<n).map { _ in
            let logArea = random.uniform(log(area.lowerBound), log(area.upperBound))
            return CordLesion(area: exp(logArea), aspect: random.uniform(aspect.lowerBound, aspect.upperBound),
                              contrast: random.uniform(contrast.lowerBound, contrast.upperBound), edgeWidth: edgeWidth,
                              atCordBorder: random.uniform() < borderFraction)
        }
    }
}

/// One pixel of a placed lesion.
public struct LesionPixel: Sendable, Equatable, Codable {
    public var row: Int
    public var col: Int
    /// The lesion weight times the pixel's cord fraction, in (0, 1]; the pixel is labelled 6 when >= 0.5.
    public var weight: Double
}

/// A lesion as placed in a slice, with its exact truth.
public struct PlacedLesion: Sendable, Equatable, Codable {
    /// The lesion as asked for.
    public var requested: CordLesion
    /// The lesion as drawn: axes fitted to the cord, position and offset filled in.
    public var lesion: CordLesion
    /// Centre (row, col) in the slice.
    public var centerRow: Double
    public var centerCol: Double
    /// The cord signal the contrast multiplies, in the units of the image the lesion was added to: the noise-free cord
    /// signal at the centre in the phantom (`PhantomSample.cleanSignal`), the median of the nearby cord pixels of a
    /// real slice.
    public var cordSignal: Double
    /// Every pixel with a positive weight, in row-major order.
    public var pixels: [LesionPixel]
    /// Whether a labelled pixel of the lesion is 4-adjacent to a pixel labelled neither cord nor lesion.
    public var touchesCordBorder: Bool

    /// Core / local cord signal.
    public var contrast: Double { lesion.contrast }
    /// Pixels labelled 6 for this lesion (weight >= 0.5).
    public var area: Int { pixels.reduce(0) { $0 + ($1.weight >= 0.5 ? 1 : 0) } }

    /// The lesion's label mask (1 where the weight is >= 0.5).
    public func mask(rows: Int, cols: Int) -> Image2D {
        var out = Image2D(rows: rows, cols: cols)
        for p in pixels where p.weight >= 0.5 { out[p.row, p.col] = 1 }
        return out
    }

    /// The weights as an image.
    public func weightMap(rows: Int, cols: Int) -> Image2D {
        var out = Image2D(rows: rows, cols: cols)
        for p in pixels { out[p.row, p.col] = Float(p.weight) }
        return out
    }

    /// Whether any pixel in `pixels` with weight >= 0.5 has a 4-neighbour whose label is neither 3 nor 6.
    static func touchesBorder(_ pixels: [LesionPixel], labels: Image2D) -> Bool {
        for p in pixels where p.weight >= 0.5 {
            for (dr, dc) in [(-1, 0), (1, 0), (0, -1), (0, 1)] where labels.contains(p.row + dr, p.col + dc) {
                let l = labels[p.row + dr, p.col + dc]
                if l != 3 && l != 6 { return true }
            }
        }
        return false
    }
}
