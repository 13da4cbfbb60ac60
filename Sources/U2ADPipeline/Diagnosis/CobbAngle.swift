import Foundation

/// C2-C7 Cobb angle: the angle between the inferior endplates of C2 and C7 (the reference's `Cobb_C27.py` takes the
/// bottom edge of the first and sixth vertebral bodies), signed: positive for lordosis, negative for kyphosis.
enum CobbAngle {
    static func measure(_ spine: SpineModel) -> Indicator<CobbAngleResult> {
        guard let c2 = spine.vertebra("C2") else { return .notComputable(spine.whyMissing("C2")) }
        guard let c7 = spine.vertebra("C7") else { return .notComputable(spine.whyMissing("C7")) }
        let missing = [c2, c7].filter { $0.inferiorEndplate == nil }.map { "\($0.name) inferior" }
        guard missing.isEmpty, let upper = c2.inferiorEndplate, let lower = c7.inferiorEndplate else {
            return .notComputable("fewer than two endplates: the \(missing.joined(separator: " and ")) endplate could not be fitted")
        }
        // Each endplate's direction points posteriorly; its angle is how far it descends going back. In lordosis the C2
        // endplate descends and the C7 endplate rises.
        let angle = upper.direction.degrees - lower.direction.degrees
        return .value(CobbAngleResult(angleDegrees: angle, alignment: angle > 0 ? "lordosis" : angle < 0 ? "kyphosis" : "straight",
                                      upperEndplate: record(c2, upper, spine), lowerEndplate: record(c7, lower, spine)))
    }

    static func record(_ vertebra: Vertebra, _ line: PlaneLine, _ spine: SpineModel, side: String = "inferior") -> EndplateRecord {
        let corners = side == "inferior" ? (vertebra.anteriorInferior, vertebra.posteriorInferior) : (vertebra.anteriorSuperior, vertebra.posteriorSuperior)
        return EndplateRecord(vertebra: vertebra.name, side: side,
                              segment: spine.frame.segment(corners.0 ?? line.start, corners.1 ?? line.end),
                              inclinationDegrees: line.direction.degrees)
    }
}

extension SliceFrame {
    func pixelPoint(_ p: PlanePoint) -> PixelPoint {
        let (row, column) = pixel(p)
        return PixelPoint(row: row, column: column)
    }

    func segment(_ a: PlanePoint, _ b: PlanePoint) -> PixelSegment { PixelSegment(start: pixelPoint(a), end: pixelPoint(b)) }
}
