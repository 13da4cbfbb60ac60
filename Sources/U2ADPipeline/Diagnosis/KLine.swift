import Foundation

/// Modified K-line, as the reference's `diagnosis/Kline.py`: the line from the canal's midpoint on the C2 inferior
/// endplate line to the canal's midpoint on the C7 superior endplate line (canal: labels 3, 4, 6). It is negative when a
/// compressive mass (labels 5, 7) between those two points reaches it, pixels taken as squares (the reference counts any
/// mass pixel within 2 pixels of its drawn line, and only along the line's column span).
enum KLine {
    static let canalLabels: Set<Int> = [LabelMap.cord, LabelMap.csf, LabelMap.hyperintensity]
    static let massLabels: Set<Int> = [LabelMap.protrusion, LabelMap.compressiveLesion]

    static func measure(_ spine: SpineModel) -> Indicator<KLineResult> {
        guard let c2 = spine.vertebra("C2") else { return .notComputable(spine.whyMissing("C2")) }
        guard let c7 = spine.vertebra("C7") else { return .notComputable(spine.whyMissing("C7")) }
        guard spine.map.count(canalLabels) > 0 else { return .notComputable("no canal (labels 3, 4, 6) in the label map") }
        guard let upperLine = c2.inferiorEndplate, let lowerLine = c7.superiorEndplate else {
            return .notComputable("the \(c2.inferiorEndplate == nil ? "C2 inferior" : "C7 superior") endplate could not be fitted")
        }
        let frame = spine.frame
        guard let start = canalMidpoint(frame, on: upperLine, from: c2.posteriorInferior ?? upperLine.end) else {
            return .notComputable("no canal (labels 3, 4, 6) on the C2 inferior endplate line")
        }
        guard let end = canalMidpoint(frame, on: lowerLine, from: c7.posteriorSuperior ?? lowerLine.end) else {
            return .notComputable("no canal (labels 3, 4, 6) on the C7 superior endplate line")
        }
        let length = (end - start).length
        let direction = (end - start).normalized, normal = direction.posteriorNormal
        let reachOfPixel = frame.pixelReach(along: normal)
        let masses = spine.map.components(of: massLabels, connectivity: .eight)
        var closest: (reach: Double, pixel: Int)?
        for (i, component) in masses.labels.enumerated() where component > 0 {
            let p = frame.point(pixel: i)
            let along = (p - start).dot(direction)
            guard along >= 0, along <= length else { continue }
            let reach = (p - start).dot(normal) + reachOfPixel
            if closest.map({ reach > $0.reach }) ?? true { closest = (reach, i) }
        }
        // The level is the one the whole mass lies behind, not just its nearest pixel.
        let level = closest.flatMap { spine.level(near: frame.centroid(of: masses.members[Int(masses.labels[$0.pixel]) - 1])) }
        return .value(KLineResult(status: (closest?.reach ?? -1) >= 0 ? .negative : .positive, line: frame.segment(start, end),
                                  clearanceMM: closest.map { -$0.reach }, closestMass: closest.map { frame.pixelPoint(frame.point(pixel: $0.pixel)) },
                                  closestMassLevel: level))
    }

    /// Middle of the longest stretch of canal along `line` (searched from 2 mm before `corner`, a point of the line, to
    /// 40 mm past it, across gaps of up to two pixels).
    static func canalMidpoint(_ frame: SliceFrame, on line: PlaneLine, from corner: PlanePoint) -> PlanePoint? {
        let runs = frame.runs(from: corner, along: line.direction, over: -2...40) { canalLabels.contains(Int(frame.map.labels[$0])) }
        guard let canal = SliceFrame.longest(runs, gap: 4 * frame.fineStep) else { return nil }
        return corner + (canal.lowerBound + canal.upperBound) / 2 * line.direction
    }
}
