import Foundation
import U2ADPipeline

/// A hand-built cervical column in millimetres with every indicator known by construction: seven bodies C2-T1
/// (C2 with a dens) stacked straight down, each turned by its own angle, discs between them, a canal of CSF with the
/// cord in it, compressive masses behind discs and lesions in the cord. Coordinates: `x` posterior, `y` inferior.
struct SyntheticSpine {
    static let names = ["C2", "C3", "C4", "C5", "C6", "C7", "T1"]
    /// Body depth (along x) and height, disc height, mm.
    static let depth = 16.0, height = 14.0, disc = 6.0
    /// Posterior walls of the bodies, the canal's front and back, and the cord's back (the cord runs from
    /// `cordBack - cordDiameter` to `cordBack`).
    static let wall = 8.0, canalFront = 9.5, canalBack = 21.5, cordBack = 19.5
    /// The K-line of a straight column runs down the middle of the canal.
    static var kLineX: Double { (canalFront + canalBack) / 2 }

    struct Mass {
        /// Disc level: 0 = C2-3 ... 5 = C7-T1.
        var level: Int
        var label = 5
        /// Reach beyond the posterior wall line, mm, and extent along the column.
        var depth: Double
        var length = SyntheticSpine.disc
    }

    /// Inclination of each body's endplates, degrees (descending posteriorly is positive), by body index.
    var inclinations = [Double](repeating: 0, count: 7)
    var cordDiameter = 8.0
    var hasCord = true
    var hasCSF = true
    var masses: [Mass] = []
    /// Lesions (label 6) in the cord: centre `y` and half-length along the column, mm.
    var lesions: [(y: Double, halfLength: Double)] = []
    /// Bodies left out, by index.
    var missing: Set<Int> = []

    /// Centre of body `k` along the column.
    static func bodyCenter(_ k: Int) -> Double { 30 + Double(k) * (height + disc) }
    /// Middle of disc level `k` (below body `k`).
    static func discCenter(_ k: Int) -> Double { bodyCenter(k) + (height + disc) / 2 }

    /// C2-C7 Cobb angle by construction (lordosis positive).
    var cobbAngle: Double { inclinations[0] - inclinations[5] }

    /// The cord's front at `y`: pushed back by any mass there.
    func cordFront(_ y: Double) -> Double {
        var front = SyntheticSpine.cordBack - cordDiameter
        for mass in masses where abs(y - SyntheticSpine.discCenter(mass.level)) <= mass.length / 2 {
            front = max(front, SyntheticSpine.wall + mass.depth)
        }
        return front
    }

    /// The label at model point `(x, y)`.
    func label(_ x: Double, _ y: Double) -> Int {
        let cordFront = cordFront(y)
        if hasCord, x >= cordFront, x <= SyntheticSpine.cordBack {
            let inLesion = lesions.contains { abs(y - $0.y) <= $0.halfLength && abs(x - (cordFront + SyntheticSpine.cordBack) / 2) <= 1.5 }
            return inLesion ? 6 : 3
        }
        for mass in masses where x >= SyntheticSpine.wall && x <= SyntheticSpine.wall + mass.depth
            && abs(y - SyntheticSpine.discCenter(mass.level)) <= mass.length / 2 { return mass.label }
        if hasCSF, x >= SyntheticSpine.canalFront, x <= SyntheticSpine.canalBack, y > 5 { return 4 }
        for k in 0..<7 where !missing.contains(k) {
            let angle = inclinations[k] * Double.pi / 180
            let dx = x, dy = y - SyntheticSpine.bodyCenter(k)
            let u = dx * cos(angle) + dy * sin(angle), v = -dx * sin(angle) + dy * cos(angle)
            if abs(u) <= SyntheticSpine.depth / 2, abs(v) <= SyntheticSpine.height / 2 { return 2 }
            // C2's dens, above the body and a little behind its middle.
            if k == 0, u >= -3, u <= 4, v <= -SyntheticSpine.height / 2 + 1, v >= -SyntheticSpine.height / 2 - 10 { return 2 }
        }
        for k in 0..<6 where abs(x) <= SyntheticSpine.depth / 2 - 0.5 && abs(y - SyntheticSpine.discCenter(k)) <= SyntheticSpine.disc / 2 + 1.5 {
            return 1
        }
        return 0
    }

    /// The label map of this column: `rows x columns` pixels of the given size, the column turned by `rotation`
    /// degrees about its middle and, when `mirrored`, drawn with the face on the right.
    func map(rows: Int = 360, columns: Int = 280, rowSpacing: Double = 0.5, columnSpacing: Double = 0.5,
             rotation: Double = 0, mirrored: Bool = false) -> LabelMap {
        let angle = rotation * Double.pi / 180
        let width = Double(columns) * columnSpacing, pivot = (x: 0.0, y: SyntheticSpine.bodyCenter(3))
        let imageCentre = (x: width / 2, y: Double(rows) * rowSpacing / 2)
        var values = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns {
                // A fraction of a pixel off the grid, so that no pixel centre lies on a shape's edge.
                var x = (Double(c) + 0.137) * columnSpacing - imageCentre.x
                if mirrored { x = -x }
                let y = (Double(r) + 0.291) * rowSpacing - imageCentre.y
                // Undo the rotation about the pivot, placed at the image centre.
                let mx = x * cos(angle) + y * sin(angle) + pivot.x, my = -x * sin(angle) + y * cos(angle) + pivot.y
                values[r * columns + c] = Float(label(mx, my))
            }
        }
        return LabelMap(rows: rows, columns: columns, values: values, rowSpacing: rowSpacing, columnSpacing: columnSpacing)
    }
}
