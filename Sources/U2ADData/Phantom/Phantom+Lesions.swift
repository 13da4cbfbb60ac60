import Foundation
import U2ADRandom

extension Phantom.Builder {
    mutating func placeLesions(_ specs: [PhantomLesion], rng: inout RandomStream) {
        guard !specs.isEmpty, let first = levels.first else { return }
        let sTop = first.top
        let sBot = levels.count > 6 ? levels[6].bottom : min(Double(n) - 10, levels.last!.bottom)
        for spec in specs {
            let pos = spec.position ?? rng.uniform(0.1, 0.9)
            let off = spec.offset ?? rng.uniform(-0.3, 0.3)
            let s = sTop + (sBot - sTop) * min(max(pos, 0), 1)
            let half = canal(s).cordHalf
            let dc = an.cordShift + min(max(off, -1), 1) * half * 0.5
            let room = max(half - abs(dc - an.cordShift) - 0.3, 0.6)
            var b = max(spec.semiAxisAcross, 0.5)
            var a = max(spec.semiAxisAlong, 0.5)
            if b > room {
                a *= b / room        // keep the area
                b = room
            }
            lesions.append(((s, dc), a, b, spec.contrast, spec))
        }
    }
}
