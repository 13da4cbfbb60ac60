import Foundation
import U2ADData

/// One vertebral body (a label-2 component) with the four sides of its outline fitted as lines.
struct Vertebra {
    let name: String
    /// Index in ``VertebralLevels/names`` (C2 = 1).
    let levelIndex: Int
    /// Its number in the component labelling of the body label.
    let component: Int32
    let centroid: PlanePoint
    let pixelCount: Int
    /// mm².
    let area: Double
    /// Unit direction of the column at the body, from its neighbours' centroids, pointing inferiorly.
    let axis: PlanePoint
    /// C2: the dens sits on top, so there is no superior endplate.
    let hasDens: Bool

    var superiorEndplate: PlaneLine?
    var inferiorEndplate: PlaneLine?
    var anteriorWall: PlaneLine?
    var posteriorWall: PlaneLine?
    /// The top of the body proper: the superior endplate, or for C2 a line parallel to its inferior endplate one
    /// typical body height above it (below the dens).
    var bodyTop: PlaneLine?

    var posteriorSuperior: PlanePoint? { corner(posteriorWall, bodyTop) }
    var posteriorInferior: PlanePoint? { corner(posteriorWall, inferiorEndplate) }
    var anteriorSuperior: PlanePoint? { corner(anteriorWall, bodyTop) }
    var anteriorInferior: PlanePoint? { corner(anteriorWall, inferiorEndplate) }

    /// Where two sides meet; nil when either is missing or they meet far from the body (nearly parallel sides of a
    /// malformed body).
    private func corner(_ a: PlaneLine?, _ b: PlaneLine?) -> PlanePoint? {
        guard let a, let b, let p = a.intersection(b), (p - centroid).length < Vertebra.cornerReach else { return nil }
        return p
    }

    /// No corner of a vertebral body lies farther than this from its centroid, mm.
    static let cornerReach = 60.0

    /// The middle of the body proper and the unit direction across it (the mean of its top and inferior endplate
    /// directions, pointing posteriorly).
    var middle: (point: PlanePoint, across: PlanePoint)? {
        guard let top = bodyTop, let bottom = inferiorEndplate,
              let a = posteriorSuperior, let b = posteriorInferior, let c = anteriorSuperior, let d = anteriorInferior else { return nil }
        return ((a + b + c + d) / 4, (top.direction + bottom.direction).normalized)
    }
}

/// Fits the sides of vertebral bodies by casting rays across each side and fitting a line to where they leave the body.
struct VertebraOutline {
    let frame: SliceFrame
    let components: ComponentLabels
    /// Pixel indices of each component (`members[k - 1]` for component `k`).
    let members: [[Int]]

    init(frame: SliceFrame, components: ComponentLabels) {
        self.frame = frame
        self.components = components
        members = components.members
    }

    /// Of each side, the middle part is fitted (this fraction of the side's length is left out at each end), clear of
    /// rounded corners and osteophytes.
    static let cornerMargin = 0.15

    private func projections(of vertebra: Vertebra) -> (across: ClosedRange<Double>, along: ClosedRange<Double>) {
        let normal = vertebra.axis.posteriorNormal
        var low = PlanePoint(repeating: .infinity), high = PlanePoint(repeating: -.infinity)
        for i in members[Int(vertebra.component) - 1] {
            let v = frame.point(pixel: i) - vertebra.centroid
            let p = PlanePoint(v.dot(normal), v.dot(vertebra.axis))
            low = pointwiseMin(low, p)
            high = pointwiseMax(high, p)
        }
        let reach = PlanePoint(frame.pixelReach(along: normal), frame.pixelReach(along: vertebra.axis))
        low -= reach
        high += reach
        return (low.x...high.x, low.y...high.y)
    }

    /// Length of the body along the column (`height`) and across it (`depth`), mm.
    func extent(of vertebra: Vertebra) -> (height: Double, depth: Double) {
        let (across, along) = projections(of: vertebra)
        return (along.upperBound - along.lowerBound, across.upperBound - across.lowerBound)
    }

    /// `vertebra` with its endplates and walls fitted.
    func fitted(_ vertebra: Vertebra, typicalHeight: Double) -> Vertebra {
        var out = vertebra
        let (across, along) = projections(of: vertebra)
        let axis = vertebra.axis, normal = axis.posteriorNormal
        let acrossMiddle = shrunk(across)
        out.inferiorEndplate = side(of: vertebra, rays: acrossMiddle, rayOrigin: { vertebra.centroid + $0 * normal },
                                    direction: axis, span: along, farEnd: true, orientation: normal)
        if !vertebra.hasDens {
            out.superiorEndplate = side(of: vertebra, rays: acrossMiddle, rayOrigin: { vertebra.centroid + $0 * normal },
                                        direction: axis, span: along, farEnd: false, orientation: normal)
            out.bodyTop = out.superiorEndplate
        } else if let bottom = out.inferiorEndplate, typicalHeight > 0 {
            var top = bottom
            let shift = typicalHeight * bottom.direction.posteriorNormal
            top.point = top.point + shift; top.start = top.start + shift; top.end = top.end + shift
            out.bodyTop = top
        }
        // Each wall is cast between where the endplates meet it (endplates are often slanted, so the stretch differs
        // from front to back).
        guard let top = out.bodyTop, let bottom = out.inferiorEndplate else { return out }
        func between(_ offset: Double) -> ClosedRange<Double>? {
            let wall = PlaneLine(from: vertebra.centroid + offset * normal, to: vertebra.centroid + offset * normal + axis)
            guard let a = top.intersection(wall), let b = bottom.intersection(wall) else { return nil }
            let low = (a - vertebra.centroid).dot(axis), high = (b - vertebra.centroid).dot(axis)
            return high > low ? shrunk(low...high) : nil
        }
        if let rays = between(across.upperBound) {
            out.posteriorWall = side(of: vertebra, rays: rays, rayOrigin: { vertebra.centroid + $0 * axis },
                                     direction: normal, span: across, farEnd: true, orientation: axis)
        }
        if let rays = between(across.lowerBound) {
            out.anteriorWall = side(of: vertebra, rays: rays, rayOrigin: { vertebra.centroid + $0 * axis },
                                    direction: normal, span: across, farEnd: false, orientation: axis)
        }
        return out
    }

    private func shrunk(_ range: ClosedRange<Double>) -> ClosedRange<Double> {
        let margin = VertebraOutline.cornerMargin * (range.upperBound - range.lowerBound)
        return (range.lowerBound + margin)...(range.upperBound - margin)
    }

    /// Casts rays along `direction` from `rayOrigin(offset)`, offsets every half pixel over `rays`, keeps where each
    /// leaves the body at its far end (or enters it at its near end), and fits a line; rays ending on the map's border
    /// are dropped (the body is cut there, not ending).
    private func side(of vertebra: Vertebra, rays: ClosedRange<Double>, rayOrigin: (Double) -> PlanePoint, direction: PlanePoint,
                      span: ClosedRange<Double>, farEnd: Bool, orientation: PlanePoint) -> PlaneLine? {
        guard rays.upperBound > rays.lowerBound else { return nil }
        let map = frame.map
        var points: [PlanePoint] = []
        var offset = rays.lowerBound
        let reach = (span.lowerBound - 2 * frame.fineStep)...(span.upperBound + 2 * frame.fineStep)
        while offset <= rays.upperBound {
            let origin = rayOrigin(offset)
            let runs = frame.runs(from: origin, along: direction, over: reach) { components.labels[$0] == vertebra.component }
            if let t = farEnd ? runs.last?.upperBound : runs.first?.lowerBound {
                let edge = origin + t * direction
                let inner = frame.index(edge - (farEnd ? 1 : -1) * frame.fineStep * direction)
                let onBorder = inner.map { i in
                    let r = i / map.columns, c = i % map.columns
                    return r == 0 || c == 0 || r == map.rows - 1 || c == map.columns - 1
                } ?? true
                if !onBorder { points.append(edge) }
            }
            offset += frame.fineStep
        }
        guard let line = PlaneLine.fit(points, orientation: orientation, outlier: 2 * frame.fineStep) else { return nil }
        return refined(line, of: vertebra, outward: farEnd ? direction : -direction)
    }

    /// `line` refitted to the pixel centres within two pixels of it along its stretch (see ``PlaneLine/corridor``).
    private func refined(_ line: PlaneLine, of vertebra: Vertebra, outward: PlanePoint) -> PlaneLine {
        let map = frame.map, band = 4 * frame.fineStep
        let corners = [line.start, line.end].map(frame.pixel)
        let reach = 4 * frame.fineStep / min(map.rowSpacing, map.columnSpacing) + 1
        func span(_ values: [Double], _ count: Int) -> ClosedRange<Int>? {
            let low = max(0, values.min()! - reach), high = min(Double(count - 1), values.max()! + reach + 1)
            return low <= high ? Int(low)...Int(high) : nil
        }
        guard let rows = span(corners.map(\.row), map.rows), let columns = span(corners.map(\.column), map.columns) else { return line }
        let stretch = line.position(line.start)...line.position(line.end)
        var inside: [PlanePoint] = [], outside: [PlanePoint] = []
        for r in rows {
            for c in columns {
                let p = frame.point(row: Double(r), column: Double(c))
                guard stretch.contains(line.position(p)), abs(line.distance(p)) <= band else { continue }
                if components.labels[r * map.columns + c] == vertebra.component { inside.append(p) } else { outside.append(p) }
            }
        }
        return line.corridor(inside: inside, outside: outside, outward: outward)
    }
}
