import Foundation

/// A point or vector of the slice plane in millimetres, in the diagnosis frame: `x` grows posteriorly and `y`
/// inferiorly, whichever side the slice shows the face on (see ``SliceFrame``).
typealias PlanePoint = SIMD2<Double>

extension SIMD2 where Scalar == Double {
    func dot(_ other: PlanePoint) -> Double { (self * other).sum() }
    var length: Double { dot(self).squareRoot() }
    var normalized: PlanePoint { self / Swift.max(length, 1e-300) }
    /// Turned a quarter: for a direction running down the column (`+y`), the result points posterior (`+x`).
    var posteriorNormal: PlanePoint { PlanePoint(y, -x) }
    /// Angle from the `+x` axis towards `+y`, degrees.
    var degrees: Double { atan2(y, x) * 180 / Double.pi }
}

/// A straight line fitted to edge points, with the stretch of it the points cover.
struct PlaneLine {
    /// A point of the line (the fitted points' mean).
    var point: PlanePoint
    /// Unit direction.
    var direction: PlanePoint
    /// Ends of the covered stretch, in the order of `direction`.
    var start: PlanePoint
    var end: PlanePoint
    /// Root-mean-square distance of the kept points from the line, mm.
    var residual: Double
    var pointCount: Int

    /// The line through `a` and `b`.
    init(from a: PlanePoint, to b: PlanePoint) {
        point = (a + b) / 2
        direction = (b - a).normalized
        start = a
        end = b
        residual = 0
        pointCount = 2
    }

    private init(point: PlanePoint, direction: PlanePoint, start: PlanePoint, end: PlanePoint, residual: Double, pointCount: Int) {
        self.point = point
        self.direction = direction
        self.start = start
        self.end = end
        self.residual = residual
        self.pointCount = pointCount
    }

    /// Total-least-squares fit, refitted once without the points farther than `outlier` mm (or 2.5 robust standard
    /// deviations, whichever is larger); nil with fewer than `minimumPoints` points left. The direction is turned to
    /// agree with `orientation`.
    static func fit(_ points: [PlanePoint], orientation: PlanePoint, outlier: Double, minimumPoints: Int = 5) -> PlaneLine? {
        guard var line = leastSquares(points, orientation: orientation) else { return nil }
        let distances = points.map { abs(line.distance($0)) }
        let sigma = 1.4826 * median(distances)
        let kept = points.filter { abs(line.distance($0)) <= max(outlier, 2.5 * sigma) }
        guard kept.count >= minimumPoints, let refit = leastSquares(kept, orientation: orientation) else { return nil }
        line = refit
        return line
    }

    private static func leastSquares(_ points: [PlanePoint], orientation: PlanePoint) -> PlaneLine? {
        guard points.count >= 2 else { return nil }
        let mean = points.reduce(PlanePoint.zero, +) / Double(points.count)
        var xx = 0.0, xy = 0.0, yy = 0.0
        for p in points {
            let v = p - mean
            xx += v.x * v.x; xy += v.x * v.y; yy += v.y * v.y
        }
        // Direction of largest spread of the 2x2 covariance.
        let angle = 0.5 * atan2(2 * xy, xx - yy)
        var direction = PlanePoint(cos(angle), sin(angle))
        if direction.dot(orientation) < 0 { direction = -direction }
        let along = points.map { ($0 - mean).dot(direction) }
        let normal = direction.posteriorNormal
        let residual = (points.map { pow(($0 - mean).dot(normal), 2) }.reduce(0, +) / Double(points.count)).squareRoot()
        return PlaneLine(point: mean, direction: direction, start: mean + along.min()! * direction,
                         end: mean + along.max()! * direction, residual: residual, pointCount: points.count)
    }

    /// Signed distance of `p` from the line, positive on the side of `direction.posteriorNormal`.
    func distance(_ p: PlanePoint) -> Double { (p - point).dot(direction.posteriorNormal) }

    /// Position of `p`'s foot along the line, from `point`.
    func position(_ p: PlanePoint) -> Double { (p - point).dot(direction) }

    /// Where this line crosses `other`; nil when they are (nearly) parallel.
    func intersection(_ other: PlaneLine) -> PlanePoint? {
        let cross = direction.x * other.direction.y - direction.y * other.direction.x
        guard abs(cross) > 1e-9 else { return nil }
        let v = other.point - point
        let t = (v.x * other.direction.y - v.y * other.direction.x) / cross
        return point + t * direction
    }
}

/// Median of `values` (0 for none).
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
