import Foundation

/// Disc herniation per disc level, after the reference's `diagnosis/seg_protrude.py` and `herniation_labeling.py`: the
/// posterior vertebral line of a level runs from the posterior-inferior corner of the body above to the posterior-superior
/// corner of the body below; protrusion tissue is label 5 on the canal side of the disc, given to the level whose line
/// is nearest, plus disc tissue (label 1) lying more than ``DiagnosisOptions/discTolerance`` beyond the line (what the
/// reference cuts off the disc as protrusion). A level is herniated when it has any.
enum Herniation {
    static func measure(_ spine: SpineModel, options: DiagnosisOptions) -> Indicator<HerniationResult> {
        guard let top = spine.vertebrae.first else { return .notComputable(spine.whyMissing("C2")) }
        let c7 = VertebralLevels.index(of: "C7")!
        guard top.levelIndex <= c7 else { return .notComputable("the top vertebral body is \(top.name), below the cervical discs") }
        let frame = spine.frame
        let named = Dictionary(spine.discLevels.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        // Posterior vertebral lines, oriented down the column, of the levels C2-3 ... C7-T1 that have them.
        var lines: [String: PlaneLine] = [:]
        var levels: [DiscHerniation] = []
        for upper in top.levelIndex...c7 {
            let name = VertebralLevels.segmentName(upper: upper)
            var entry = DiscHerniation(level: name)
            if let level = named[name] {
                if let a = level.upper.posteriorInferior, let b = level.lower.posteriorSuperior, (b - a).length > 0 {
                    lines[name] = PlaneLine(from: a, to: b)
                    entry.posteriorLine = frame.segment(a, b)
                } else {
                    entry.notComputable = "no posterior corner of \(level.upper.posteriorInferior == nil ? level.upper.name : level.lower.name) (its posterior wall or endplate could not be fitted)"
                }
            } else {
                entry.notComputable = spine.whyMissing(VertebralLevels.name(at: upper + 1))
            }
            levels.append(entry)
        }
        guard !lines.isEmpty else { return .notComputable(levels.first?.notComputable ?? "no disc level") }

        var pixels: [String: [Int]] = [:], protrusionCounts: [String: Int] = [:], discCounts: [String: Int] = [:]
        // Label 5 components on the canal side, each to the disc level it lies behind (beside a body: the nearer disc).
        for member in spine.map.components(of: [LabelMap.protrusion], connectivity: .eight).members {
            let centroid = frame.centroid(of: member)
            guard let name = discLevel(behind: centroid, spine: spine), let line = lines[name],
                  isOnCanalSide(centroid, of: line, level: named[name]!) else { continue }
            pixels[name, default: []] += member
            protrusionCounts[name, default: 0] += member.count
        }
        // Each disc (label 1 component) belongs to the level whose bodies' centroids it lies between; its tissue beyond
        // that level's line, within the line's stretch (a quarter of it past either end), protrudes.
        for member in spine.map.components(of: [LabelMap.disc], connectivity: .eight).members {
            let centroid = frame.centroid(of: member)
            guard let level = spine.discLevels.min(by: {
                distanceToSegment(centroid, $0.upper.centroid, $0.lower.centroid) < distanceToSegment(centroid, $1.upper.centroid, $1.lower.centroid)
            }), let line = lines[level.name] else { continue }
            let length = (line.end - line.start).length
            let beyond = member.filter {
                let p = frame.point(pixel: $0), along = line.position(p) / length
                return abs(along) <= 0.75 && line.distance(p) > options.discTolerance
            }
            pixels[level.name, default: []] += beyond
            discCounts[level.name, default: 0] += beyond.count
        }

        for k in levels.indices {
            guard let line = lines[levels[k].level] else { continue }
            let found = pixels[levels[k].level] ?? []
            let reach = frame.pixelReach(along: line.direction.posteriorNormal)
            levels[k].present = !found.isEmpty
            levels[k].protrusionPixels = protrusionCounts[levels[k].level] ?? 0
            levels[k].discPixelsBeyondLine = discCounts[levels[k].level] ?? 0
            levels[k].areaMM2 = Double(found.count) * spine.map.pixelArea
            levels[k].depthMM = found.map { line.distance(frame.point(pixel: $0)) + reach }.max()
        }
        return .value(HerniationResult(levels: levels, herniatedLevels: levels.filter { $0.present == true }.map(\.level)))
    }

    /// The disc level whose posterior face is nearest `p`; when a body's posterior wall is nearer, the disc above or
    /// below it, whichever end of the wall is nearer.
    private static func discLevel(behind p: PlanePoint, spine: SpineModel) -> String? {
        switch spine.posteriorFace(near: p) {
        case .vertebra(let vertebra, let lowerHalf): return VertebralLevels.segmentName(upper: vertebra.levelIndex - (lowerHalf ? 0 : 1))
        case .disc(let name): return name
        case nil: return nil
        }
    }

    /// Whether `p` lies behind the middle of the disc level (the mean of the bodies' four corners facing the disc), so that
    /// anterior osteophytes and anterior disc bulges are left out as the reference leaves them out.
    private static func isOnCanalSide(_ p: PlanePoint, of line: PlaneLine, level: (upper: Vertebra, lower: Vertebra, name: String)) -> Bool {
        guard let a = level.upper.anteriorInferior, let b = level.lower.anteriorSuperior else { return line.distance(p) > -5 }
        let middle = (a + b + line.start + line.end) / 4
        return line.distance(p) > line.distance(middle)
    }
}
