import Foundation
import U2ADRandom

extension Phantom {
    /// A lesion placed in the column's axis frame.
    struct LesionPlacement {
        /// Centre along the axis (s) and across it (d, + posterior).
        var along: Double
        var across: Double
        var lesion: CordLesion
        var requested: CordLesion
    }
}

extension Phantom.Builder {
    /// Places each lesion between the top of C2 and the bottom of T1, fitted inside the labelled cord (across axis at
    /// most the labelled half-width less half a pixel) and centred inside it, or at its border.
    mutating func placeLesions(_ specs: [CordLesion], rng: inout RandomStream) {
        guard !specs.isEmpty, let first = levels.first else { return }
        let sTop = first.top
        let sBot = levels.count > 6 ? levels[6].bottom : min(Double(n) - 10, levels.last!.bottom)
        for spec in specs {
            let position = spec.position ?? rng.uniform(0.1, 0.9)
            let s = sTop + (sBot - sTop) * min(max(position, 0), 1)
            let half = labelledCordHalf(canal(s).cordHalf)
            var lesion = spec.fitted(maxAcross: half - 0.5)
            let across = lesion.semiAxisAcross
            let offset: Double
            if let given = spec.offset {
                offset = min(max(given, -1), 1)
            } else if spec.atCordBorder {
                offset = (rng.uniform() < 0.5 ? -1 : 1) * max(half - 0.5 * across, 0) / half
            } else {
                let room = max(half - across - 0.5, 0)
                offset = rng.uniform(-room, room) / half
            }
            lesion.position = position
            lesion.offset = offset
            lesions.append(Phantom.LesionPlacement(along: s, across: an.cordShift + offset * half, lesion: lesion, requested: spec))
        }
    }
}
