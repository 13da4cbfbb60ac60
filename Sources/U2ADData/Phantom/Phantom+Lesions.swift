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
    /// Places each lesion between the top of C2 and the bottom of T1 (`CordLesion.placed`).
    mutating func placeLesions(_ specs: [CordLesion], rng: inout RandomStream) {
        guard !specs.isEmpty, let first = levels.first else { return }
        let sTop = first.top
        let sBot = levels.count > 6 ? levels[6].bottom : min(Double(n) - 10, levels.last!.bottom)
        for spec in specs {
            let position = spec.position ?? rng.uniform(0.1, 0.9)
            let s = sTop + (sBot - sTop) * min(max(position, 0), 1)
            let half = labelledCordHalf(canal(s).cordHalf)
            let lesion = spec.placed(at: position, cordHalfWidth: half, random: &rng)
            lesions.append(Phantom.LesionPlacement(along: s, across: an.cordShift + lesion.offset! * half, lesion: lesion, requested: spec))
        }
    }
}
