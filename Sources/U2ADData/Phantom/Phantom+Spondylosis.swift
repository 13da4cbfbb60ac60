import Foundation

// Spondylosis geometry: the column bent to an exact Cobb angle, masses behind discs, and the truth they produce.

extension PhantomSpondylosis {
    /// The drawn patient with this spondylosis's tilt and cord diameter (the canal keeps its room around the cord).
    func adjusting(_ anatomy: PhantomAnatomy) -> PhantomAnatomy {
        var out = anatomy
        if let tilt { out.tilt = tilt * Double.pi / 180 }
        if let cordDiameter {
            let room = anatomy.canalHalfWidth - anatomy.cordHalfWidth
            out.cordHalfWidth = max(cordDiameter, 1) / 2
            out.canalHalfWidth = out.cordHalfWidth + room
        }
        return out
    }
}

/// A mass placed against the patient's levels, in axis coordinates.
struct ResolvedMass {
    var spec: PhantomMass
    var level: Int
    /// `s` of the disc's middle.
    var middle: Double
    /// Half the extent along the axis, rounded ends included.
    var halfLength: Double
    /// Radius of the rounding of the top's corners.
    var radius: Double
    /// Depth beyond the posterior vertebral line.
    var depth: Double

    /// The mass's most posterior `d` at `s` (it fills `wall ..< front`), or nil beyond its ends.
    func front(_ s: Double, wall: Double) -> Double? {
        let x = abs(s - middle) - (halfLength - radius)
        if x <= 0 { return wall + depth }
        guard x < radius else { return nil }
        return wall + depth - radius + (radius * radius - x * x).squareRoot()
    }
}

/// The spondylosis of one phantom: its axis, where the vertebral bodies' posterior walls are, and its masses.
struct SpondylosisLayout {
    var curve: SpineCurve
    /// `d` of the posterior walls of the vertebral bodies (and of the discs, which do not bulge).
    var wall: Double
    var cordShift: Double
    var masses: [ResolvedMass] = []

    func massFront(_ s: Double) -> Double? {
        var front: Double?
        for mass in masses { if let f = mass.front(s, wall: wall), f > (front ?? -.infinity) { front = f } }
        return front
    }

    /// The canal at `s` narrowed by the masses: its front moves back to the mass, and where the mass reaches the cord,
    /// the cord narrows to the room left and the back of the dural sac follows it.
    func narrowed(_ canal: (anterior: Double, posterior: Double, cordHalf: Double), at s: Double)
        -> (anterior: Double, posterior: Double, cordHalf: Double) {
        guard let front = massFront(s), front > canal.anterior else { return canal }
        let room = cordShift - front
        guard room < canal.cordHalf else { return (front, canal.posterior, canal.cordHalf) }
        return (front, canal.posterior - (canal.cordHalf - room), room)
    }
}

extension Phantom.Builder {
    /// Bends the axis to the Cobb angle, flattens the discs and places the masses.
    mutating func applySpondylosis(_ spec: PhantomSpondylosis) {
        for i in levels.indices { levels[i].discBulge = 0 }
        let c7 = min(5, levels.count - 1)
        let half = max(-60, min(60, spec.cobbAngle)) * Double.pi / 360
        let arcStart = levels[0].bottom, arcEnd = levels[c7].top
        let curve = SpineCurve(arcStart: arcStart, arcEnd: arcEnd, topDirection: an.tilt - half, bottomDirection: an.tilt + half,
                               anchor: SIMD2((arcStart + arcEnd) / 2, an.canalCenterCol))
        spondylosis = SpondylosisLayout(curve: curve, wall: -an.canalHalfWidth - 1.5 * Double(n) / 256, cordShift: an.cordShift)
        for mass in spec.masses {
            let placed = resolve(mass)
            spondylosis?.masses.append(placed)
        }
    }

    private func resolve(_ spec: PhantomMass) -> ResolvedMass {
        let scale = Double(n) / 256
        let level = min(max(spec.level, 0), min(5, levels.count - 2))
        let disc = levels[level]
        let radius = 1.5 * scale
        let flat = max(spec.length ?? (disc.discBottom - disc.bottom + 2 * scale), 0)
        var mass = ResolvedMass(spec: spec, level: level, middle: (disc.bottom + disc.discBottom) / 2,
                                halfLength: flat / 2 + radius, radius: radius, depth: 0)
        let wall = spondylosis!.wall
        let deepest = an.cordShift - 1 - wall
        func clamped(_ depth: Double) -> Double { min(max(depth, 0), deepest) }
        switch spec.size {
        case .depth(let depth):
            mass.depth = clamped(depth)
        case .cordDiameter(let diameter):
            mass.depth = clamped(an.cordShift - diameter / 2 - wall)
        case .kLineClearance(let clearance):
            // Clearance falls as the mass deepens (the K-line's ends can move back with it, but by half as much).
            var low = 0.0, high = deepest
            for _ in 0..<50 {
                mass.depth = (low + high) / 2
                if withMass(mass).kLineClearance(of: mass) > clearance { low = mass.depth } else { high = mass.depth }
            }
            mass.depth = (low + high) / 2
        }
        return mass
    }

    private func withMass(_ mass: ResolvedMass) -> Phantom.Builder {
        var trial = self
        trial.spondylosis?.masses.append(mass)
        return trial
    }

    /// Midpoint of the labelled canal (CSF and cord) across the axis at `s`.
    func canalMidpoint(_ s: Double) -> SIMD2<Double> {
        let can = canal(s)
        return spondylosis!.curve.point(s: s, d: (can.anterior + can.posterior) / 2)
    }

    /// The K-line's ends: canal midpoints on the C2 inferior and the C7 superior endplate lines.
    var kLine: (start: SIMD2<Double>, end: SIMD2<Double>) {
        let curve = spondylosis!.curve
        return (canalMidpoint(curve.arcStart), canalMidpoint(curve.arcEnd))
    }

    /// Distance from the K-line to the mass's most posterior point, positive when the mass stays anterior of it.
    func kLineClearance(of mass: ResolvedMass) -> Double {
        let layout = spondylosis!, line = kLine
        let along = line.end - line.start
        let normal = SIMD2(-along.y, along.x) / (along * along).sum().squareRoot()
        var reach = -Double.infinity
        var s = mass.middle - mass.halfLength
        while s <= mass.middle + mass.halfLength {
            if let front = mass.front(s, wall: layout.wall), front > layout.wall {
                reach = max(reach, ((layout.curve.point(s: s, d: front) - line.start) * normal).sum())
            }
            s += 0.01
        }
        return -reach
    }

    /// Labels the masses in `labels` and returns what the phantom was built with.
    func labelMasses(_ labels: inout Image2D, spec: PhantomSpondylosis) -> SpondylosisTruth {
        let layout = spondylosis!
        var counts = [Int](repeating: 0, count: layout.masses.count)
        for (k, mass) in layout.masses.enumerated() {
            // Only the pixels around the mass: its corners in the image, two pixels out.
            let corners = [-1.0, 1].flatMap { end in [layout.wall, layout.wall + mass.depth].map { d in
                layout.curve.point(s: mass.middle + end * mass.halfLength, d: d)
            } }
            let top = max(0, Int(corners.map(\.x).min()!) - 2), bottom = min(n - 1, Int(corners.map(\.x).max()!) + 2)
            let left = max(0, Int(corners.map(\.y).min()!) - 2), right = min(n - 1, Int(corners.map(\.y).max()!) + 2)
            guard top <= bottom, left <= right else { continue }
            for r in top...bottom {
                for c in left...right where labels.pixels[r * n + c] == 0 {
                    let (s, d) = axisCoords(r, c)
                    if d >= layout.wall, let front = mass.front(s, wall: layout.wall), d < front {
                        labels.pixels[r * n + c] = Float(mass.spec.kind.label)
                        counts[k] += 1
                    }
                }
            }
        }
        let normal = 2 * an.cordHalfWidth
        let placed = layout.masses.enumerated().map { k, mass -> PlacedMass in
            let diameter = min(normal, 2 * (an.cordShift - layout.wall - mass.depth))
            let apex = layout.curve.point(s: mass.middle, d: layout.wall + mass.depth)
            return PlacedMass(mass: mass.spec, levelName: PhantomMass.levelNames[mass.level], label: mass.spec.kind.label,
                              depth: mass.depth, cordDiameter: diameter, compression: (1 - diameter / normal) * 100,
                              kLineClearance: kLineClearance(of: mass), pixelCount: counts[k],
                              apex: PhantomPoint(row: apex.x, column: apex.y))
        }
        let line = kLine
        let degrees = 180 / Double.pi
        return SpondylosisTruth(cobbAngle: (layout.curve.bottomDirection - layout.curve.topDirection) * degrees,
                                c2Direction: layout.curve.topDirection * degrees, c7Direction: layout.curve.bottomDirection * degrees,
                                cordDiameter: normal,
                                kLineStart: PhantomPoint(row: line.start.x, column: line.start.y),
                                kLineEnd: PhantomPoint(row: line.end.x, column: line.end.y), masses: placed)
    }
}
