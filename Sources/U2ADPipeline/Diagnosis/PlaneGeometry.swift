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

extension PlaneLine {
    /// The line through `a` and `b`.
    init(from a: PlanePoint, to b: PlanePoint) {
        self.init(point: (a + b) / 2, direction: (b - a).normalized, start: a, end: b, residual: 0, pointCount: 2)
    }

    /// This line turned and shifted to separate `inside` pixel centres from `outside` ones (which lie on the side
    /// `outward` points to), when the edge is a digitised straight line: the directions that separate them form an
    /// interval and the line takes its middle, the direction the pixels pin down, far closer than a least-squares fit to
    /// the staircase. When no direction within 4 degrees separates them (a curved or ragged edge, as real endplates
    /// are), the least-squares line stays.
    func corridor(inside: [PlanePoint], outside: [PlanePoint], outward: PlanePoint) -> PlaneLine {
        guard !inside.isEmpty, !outside.isEmpty else { return self }
        let base = atan2(direction.y, direction.x)
        func normal(_ angle: Double) -> PlanePoint {
            let n = PlanePoint(cos(angle), sin(angle)).posteriorNormal
            return n.dot(outward) < 0 ? -n : n
        }
        func bounds(_ angle: Double) -> (inner: Double, outer: Double) {
            let n = normal(angle)
            return (inside.map { $0.dot(n) }.max()!, outside.map { $0.dot(n) }.min()!)
        }
        func gap(_ angle: Double) -> Double { let b = bounds(angle); return b.outer - b.inner }
        // The gap is concave in the angle near the edge's direction: golden-section search.
        var low = base - 4 * Double.pi / 180, high = base + 4 * Double.pi / 180
        let ratio = (5.0.squareRoot() - 1) / 2
        for _ in 0..<30 {
            let a = high - ratio * (high - low), b = low + ratio * (high - low)
            if gap(a) < gap(b) { low = a } else { high = b }
        }
        var angle = (low + high) / 2
        guard gap(angle) > 0 else { return self }
        do {
            // The ends of the separating interval, by bisection on each side of the widest corridor.
            func end(towards limit: Double) -> Double {
                var inside = angle, outside = limit
                if gap(outside) > 0 { return outside }
                for _ in 0..<25 {
                    let middle = (inside + outside) / 2
                    if gap(middle) > 0 { inside = middle } else { outside = middle }
                }
                return (inside + outside) / 2
            }
            angle = (end(towards: base - 4 * Double.pi / 180) + end(towards: base + 4 * Double.pi / 180)) / 2
        }
        let n = normal(angle), b = bounds(angle)
        var out = self
        out.direction = PlanePoint(cos(angle), sin(angle))
        if out.direction.dot(direction) < 0 { out.direction = -out.direction }
        out.point = point + ((b.inner + b.outer) / 2 - point.dot(n)) * n
        out.start = out.point + out.position(start) * out.direction
        out.end = out.point + out.position(end) * out.direction
        return out
    }
}
