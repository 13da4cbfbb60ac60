import Foundation

/// The column axis of a spondylosis phantom, parametrised by arc length `s`: straight with direction `topDirection`
/// up to `arcStart` (the C2 inferior endplate), a circular arc whose direction turns evenly to `bottomDirection` up to
/// `arcEnd` (the C7 superior endplate), then straight again.
///
/// Directions are angles from the image's downward vertical, positive towards larger columns (posterior in the
/// reference layout). Points are `SIMD2(row, column)`. Axis coordinates are exact: `s` is the arc length of a pixel's
/// nearest axis point and `d` its signed distance from the axis (positive posterior), so every shape drawn in
/// `(s, d)` keeps its size, and one drawn where the axis is straight is rigid.
struct SpineCurve {
    let arcStart: Double
    let arcEnd: Double
    let topDirection: Double
    let bottomDirection: Double
    /// Direction change per unit of arc length (0 for a straight column).
    let curvature: Double
    /// The axis point at `arcStart`.
    private(set) var arcStartPoint = SIMD2<Double>.zero
    // Per-pixel coordinates run in scalar arithmetic on these (a debug build pays dearly for SIMD and trigonometry).
    private let topCos: Double, topSin: Double, bottomCos: Double, bottomSin: Double
    private var arcEndPoint = SIMD2<Double>.zero
    private var arcCenter = SIMD2<Double>.zero

    /// The axis through `anchor` at the arc's middle.
    init(arcStart: Double, arcEnd: Double, topDirection: Double, bottomDirection: Double, anchor: SIMD2<Double>) {
        self.arcStart = arcStart
        self.arcEnd = max(arcEnd, arcStart + 1)
        self.topDirection = topDirection
        self.bottomDirection = bottomDirection
        curvature = (bottomDirection - topDirection) / (self.arcEnd - arcStart)
        topCos = cos(topDirection); topSin = sin(topDirection)
        bottomCos = cos(bottomDirection); bottomSin = sin(bottomDirection)
        placeArc(at: .zero)
        placeArc(at: anchor - point((arcStart + self.arcEnd) / 2))
    }

    private mutating func placeArc(at start: SIMD2<Double>) {
        arcStartPoint = start
        arcCenter = isStraight ? start : start + SpineCurve.normal(topDirection) / curvature
        arcEndPoint = point(arcEnd)
    }

    static func tangent(_ direction: Double) -> SIMD2<Double> { SIMD2(cos(direction), sin(direction)) }
    /// Unit normal pointing posterior (towards larger columns when the axis runs down the image).
    static func normal(_ direction: Double) -> SIMD2<Double> { SIMD2(-sin(direction), cos(direction)) }

    var isStraight: Bool { abs(curvature) < 1e-12 }

    func direction(_ s: Double) -> Double {
        topDirection + curvature * (min(max(s, arcStart), arcEnd) - arcStart)
    }

    func point(_ s: Double) -> SIMD2<Double> {
        if s <= arcStart || isStraight { return arcStartPoint + (s - arcStart) * SpineCurve.tangent(topDirection) }
        if s <= arcEnd { return arcCenter - SpineCurve.normal(direction(s)) / curvature }
        return arcEndPoint + (s - arcEnd) * SpineCurve.tangent(bottomDirection)
    }

    /// The point at axis coordinates `(s, d)`.
    func point(s: Double, d: Double) -> SIMD2<Double> { point(s) + d * SpineCurve.normal(direction(s)) }

    /// Axis coordinates of pixel `(row, column)`: the nearest of the candidate feet on the three pieces.
    func coordinates(_ p: SIMD2<Double>) -> (s: Double, d: Double) {
        let row = p.x, column = p.y
        let tr = row - arcStartPoint.x, tc = column - arcStartPoint.y
        let top = (s: arcStart + tr * topCos + tc * topSin, d: -tr * topSin + tc * topCos)
        if isStraight { return top }
        let br = row - arcEndPoint.x, bc = column - arcEndPoint.y
        let bottom = (s: arcEnd + br * bottomCos + bc * bottomSin, d: -br * bottomSin + bc * bottomCos)
        var best: (s: Double, d: Double)? = top.s <= arcStart ? top : nil
        if bottom.s >= arcEnd, best.map({ abs(bottom.d) < abs($0.d) }) ?? true { best = bottom }
        let vr = row - arcCenter.x, vc = column - arcCenter.y
        let rho = (vr * vr + vc * vc).squareRoot()
        if rho > 0 {
            // The foot's normal points from the centre (curving posteriorly) or towards it.
            let sign: Double = curvature > 0 ? 1 : -1
            let turn = remainder(atan2(sign * vr, -sign * vc) - topDirection, 2 * Double.pi)
            let arc = (s: arcStart + turn / curvature, d: 1 / curvature - sign * rho)
            if arc.s >= arcStart, arc.s <= arcEnd, best.map({ abs(arc.d) < abs($0.d) }) ?? true { best = arc }
        }
        return best ?? (abs(top.d) <= abs(bottom.d) ? top : bottom)
    }
}
