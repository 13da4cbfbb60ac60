import Foundation

extension SliceFrame {
    /// The stretches of the line `origin + t * direction` (`t` in `range`, mm, `direction` a unit vector) where the
    /// pixel under the line satisfies `inside`, pixels taken as squares. Ends are located to a two-hundredth of a pixel.
    func runs(from origin: PlanePoint, along direction: PlanePoint, over range: ClosedRange<Double>,
              inside: (Int) -> Bool) -> [ClosedRange<Double>] {
        func test(_ t: Double) -> Bool { index(origin + t * direction).map(inside) ?? false }
        /// The change between `a` (state `stateA`) and `b`, by bisection.
        func edge(_ a: Double, _ b: Double, _ stateA: Bool) -> Double {
            var a = a, b = b
            let precision = 0.01 * fineStep
            while b - a > precision {
                let m = (a + b) / 2
                if test(m) == stateA { a = m } else { b = m }
            }
            return (a + b) / 2
        }
        let step = 0.5 * fineStep
        var runs: [ClosedRange<Double>] = []
        var previous = range.lowerBound, wasInside = test(previous)
        var start: Double? = wasInside ? previous : nil
        var t = previous
        while t < range.upperBound {
            t = min(t + step, range.upperBound)
            let now = test(t)
            if now != wasInside {
                let boundary = edge(previous, t, wasInside)
                if now { start = boundary } else if let s = start { runs.append(s...boundary); start = nil }
            }
            previous = t
            wasInside = now
        }
        if let s = start { runs.append(s...range.upperBound) }
        return runs
    }

    /// The longest of `runs` once merged across gaps of at most `gap` mm: the structure a line crosses, not a sliver
    /// it clips at a corner.
    static func longest(_ runs: [ClosedRange<Double>], gap: Double) -> ClosedRange<Double>? {
        merged(runs, gap: gap).max { $0.upperBound - $0.lowerBound < $1.upperBound - $1.lowerBound }
    }

    /// `runs` merged across gaps of at most `gap` mm.
    static func merged(_ runs: [ClosedRange<Double>], gap: Double) -> [ClosedRange<Double>] {
        var out: [ClosedRange<Double>] = []
        for run in runs {
            if let last = out.last, run.lowerBound - last.upperBound <= gap {
                out[out.count - 1] = last.lowerBound...run.upperBound
            } else {
                out.append(run)
            }
        }
        return out
    }
}
