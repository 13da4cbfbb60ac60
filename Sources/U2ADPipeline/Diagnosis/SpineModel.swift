import Foundation
import U2ADData

/// The cervical column found in a label map: the vertebral bodies top to bottom, named from the top one
/// (``DiagnosisOptions/firstVertebra``, C2 by default, as the reference names the top-most body), each with fitted
/// endplates and walls, and how far down the names can be trusted.
struct SpineModel {
    let frame: SliceFrame
    /// Whether the posterior side was read from the anatomy (the canal behind the bodies) rather than assumed.
    let orientationFromAnatomy: Bool
    let vertebrae: [Vertebra]
    /// `vertebrae[..<trusted]` are named reliably: the names stop at a missing or merged body.
    let trusted: Int
    /// Findings about the column worth a line in the report.
    let notes: [String]

    var map: LabelMap { frame.map }

    /// Less canal than this (mm²) is too little to tell which side is posterior.
    static let minimumCanalArea = 20.0
    var trustedVertebrae: ArraySlice<Vertebra> { vertebrae[..<trusted] }

    /// The trusted vertebra named `name`.
    func vertebra(_ name: String) -> Vertebra? { trustedVertebrae.first { $0.name == name } }

    /// Why `name` is not available, as one line.
    func whyMissing(_ name: String) -> String {
        if vertebrae.isEmpty { return "no vertebral bodies (label 2) of at least the minimum area" }
        let names = trustedVertebrae.map(\.name)
        if vertebrae.contains(where: { $0.name == name }) || names.isEmpty {
            return "\(name) cannot be named reliably: " + (notes.last ?? "a vertebral body is missing above it")
        }
        let span = names.count == 1 ? names[0] : "\(names.first!)-\(names.last!)"
        let found = "\(name) not found: \(names.count) \(trusted < vertebrae.count ? "named " : "")vertebral bod\(names.count == 1 ? "y" : "ies") (\(span))"
        return found + (notes.last.map { "; \($0)" } ?? "")
    }

    /// The disc levels between consecutive trusted vertebrae: upper and lower vertebra and the level's name.
    var discLevels: [(upper: Vertebra, lower: Vertebra, name: String)] {
        guard trusted >= 2 else { return [] }
        return (0..<(trusted - 1)).map { k in
            (vertebrae[k], vertebrae[k + 1], VertebralLevels.segmentName(upper: vertebrae[k].levelIndex))
        }
    }

    /// The posterior face nearest `p`: a vertebra's posterior wall (and whether `p` is nearer its lower end) or a disc
    /// level's posterior vertebral line.
    enum PosteriorFace {
        case vertebra(Vertebra, lowerHalf: Bool)
        case disc(String)
    }

    func posteriorFace(near p: PlanePoint) -> PosteriorFace? {
        var best: (face: PosteriorFace, distance: Double)?
        func consider(_ face: PosteriorFace, _ distance: Double) {
            if best.map({ distance < $0.distance }) ?? true { best = (face, distance) }
        }
        for vertebra in trustedVertebrae {
            guard let a = vertebra.posteriorSuperior, let b = vertebra.posteriorInferior else { continue }
            consider(.vertebra(vertebra, lowerHalf: PlaneLine(from: a, to: b).position(p) > 0), distanceToSegment(p, a, b))
        }
        for level in discLevels {
            guard let a = level.upper.posteriorInferior, let b = level.lower.posteriorSuperior else { continue }
            consider(.disc(level.name), distanceToSegment(p, a, b))
        }
        return best?.face
    }

    /// The name of the level (vertebra `C4` or disc `C4-5`) whose posterior face is nearest `p`, or nil without one.
    func level(near p: PlanePoint) -> String? {
        switch posteriorFace(near: p) {
        case .vertebra(let vertebra, _): return vertebra.name
        case .disc(let name): return name
        case nil: return nil
        }
    }

    /// Finds and fits the vertebral bodies of `frame.map`.
    init(map: LabelMap, options: DiagnosisOptions) {
        let components = map.components(of: [LabelMap.vertebralBody], connectivity: .four)
        var rowSums = [Double](repeating: 0, count: components.count), columnSums = rowSums
        for (i, component) in components.labels.enumerated() where component > 0 {
            rowSums[Int(component) - 1] += Double(i / map.columns)
            columnSums[Int(component) - 1] += Double(i % map.columns)
        }
        let minimumPixels = options.minimumBodyArea / map.pixelArea
        let bodies = (0..<components.count).filter { Double(components.sizes[$0]) >= minimumPixels }.sorted {
            rowSums[$0] / Double(components.sizes[$0]) < rowSums[$1] / Double(components.sizes[$1])
        }

        // Posterior is the side of the canal (cord, CSF, lesion) relative to the bodies, when enough of it is labelled.
        let canalLabels: Set<Int> = [LabelMap.cord, LabelMap.csf, LabelMap.hyperintensity]
        let canal = Double(map.count(canalLabels)) * map.pixelArea >= SpineModel.minimumCanalArea ? map.columnMean(of: canalLabels) : nil
        let bodyColumns = bodies.reduce(0) { $0 + columnSums[$1] }, bodyPixels = bodies.reduce(0) { $0 + components.sizes[$1] }
        orientationFromAnatomy = canal != nil && bodyPixels > 0
        let sign: Double = orientationFromAnatomy && canal! < bodyColumns / Double(bodyPixels) ? -1 : 1
        let frame = SliceFrame(map: map, posteriorSign: sign)
        self.frame = frame

        let first = VertebralLevels.index(of: options.firstVertebra) ?? 1
        let centroids = bodies.map {
            frame.point(row: rowSums[$0] / Double(components.sizes[$0]), column: columnSums[$0] / Double(components.sizes[$0]))
        }
        var found: [Vertebra] = []
        for (k, body) in bodies.enumerated() {
            let before = centroids[max(k - 1, 0)], after = centroids[min(k + 1, centroids.count - 1)]
            let axis = (after - before).length > 1e-9 ? (after - before).normalized : PlanePoint(0, 1)
            let name = VertebralLevels.name(at: first + k)
            found.append(Vertebra(name: name, levelIndex: first + k, component: Int32(body + 1), centroid: centroids[k],
                                  pixelCount: components.sizes[body], area: Double(components.sizes[body]) * map.pixelArea,
                                  axis: axis, hasDens: name == "C2"))
        }
        let outline = VertebraOutline(frame: frame, components: components)
        let typicalHeight = median(found.filter { !$0.hasDens }.map { outline.extent(of: $0).height })
        vertebrae = found.map { outline.fitted($0, typicalHeight: typicalHeight) }
        (trusted, notes) = SpineModel.trustedCount(vertebrae, outline: outline)
    }

    /// How many vertebrae from the top keep reliable names: a body much taller than usual or than it is deep (cervical
    /// bodies are about as tall as deep; C2 with its dens about twice) is several merged, a centroid gap much longer
    /// than usual means a body is missing; the names stop there.
    private static func trustedCount(_ vertebrae: [Vertebra], outline: VertebraOutline) -> (Int, [String]) {
        let extents = vertebrae.map { outline.extent(of: $0) }
        let typicalHeight = median(zip(vertebrae, extents).filter { !$0.0.hasDens }.map(\.1.height))
        let gaps = zip(vertebrae, vertebrae.dropFirst()).map { ($1.centroid - $0.centroid).length }
        let typicalGap = median(gaps)
        for k in vertebrae.indices {
            let dens = vertebrae[k].hasDens, height = extents[k].height
            let typical = vertebrae.count >= 3 ? typicalHeight : .infinity
            if height > (dens ? 2.6 : 1.7) * typical || height > (dens ? 2.8 : 1.6) * extents[k].depth {
                return (k, [String(format: "the body named %@ looks like several merged (%.0f mm tall, %.0f mm deep); levels from it down are not named",
                                       vertebrae[k].name, height, extents[k].depth)])
            }
            if vertebrae.count >= 3, k < gaps.count, gaps[k] > 1.6 * typicalGap {
                return (k + 1, [String(format: "a vertebral body seems missing below %@ (centroids %.0f mm apart, typically %.0f mm); levels below are not named",
                                           vertebrae[k].name, gaps[k], typicalGap)])
            }
        }
        return (vertebrae.count, [])
    }
}

/// Distance from `p` to the segment from `a` to `b`.
func distanceToSegment(_ p: PlanePoint, _ a: PlanePoint, _ b: PlanePoint) -> Double {
    let ab = b - a
    let t = min(max((p - a).dot(ab) / max(ab.dot(ab), 1e-12), 0), 1)
    return (p - (a + t * ab)).length
}

extension ComponentLabels {
    /// Pixel indices of each component (`members[k - 1]` for component `k`).
    var members: [[Int]] {
        var members = [[Int]](repeating: [], count: count)
        for (i, component) in labels.enumerated() where component > 0 { members[Int(component) - 1].append(i) }
        return members
    }
}

extension SliceFrame {
    /// Mean position of the pixels at `indices`.
    func centroid(of indices: [Int]) -> PlanePoint {
        indices.reduce(PlanePoint.zero) { $0 + point(pixel: $1) } / Double(max(indices.count, 1))
    }
}

extension LabelMap {
    /// Connected components of the pixels with one of `wanted`.
    func components(of wanted: Set<Int>, connectivity: Connectivity) -> ComponentLabels {
        let mask = Image2D(rows: rows, cols: columns, pixels: labels.map { wanted.contains(Int($0)) ? 1 : 0 })
        return Morphology.label(mask, connectivity: connectivity)
    }

    /// Mean column of the pixels with one of `wanted`, or nil without any.
    func columnMean(of wanted: Set<Int>) -> Double? {
        var sum = 0.0, count = 0
        for (i, label) in labels.enumerated() where wanted.contains(Int(label)) {
            sum += Double(i % columns)
            count += 1
        }
        return count > 0 ? sum / Double(count) : nil
    }
}
