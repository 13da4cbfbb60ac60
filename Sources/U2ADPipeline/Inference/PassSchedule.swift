import U2ADRandom
/// Which ROI patches each Monte Carlo pass over one slice hides, and which of them it samples.
///
/// A pass hides `hiddenCount` ROI patches (never a non-ROI patch), so every pass of a slice keeps the
/// same number of patches visible. A patch's reconstruction in a pass that hides it is a *sample*;
/// each patch keeps at most K (``UncertaintyOptions/samplesPerPatch``) samples, its first ones in pass order.
public struct PassSchedule: Equatable, Sendable {
    /// One pass: the patches hidden from the encoder and the patches whose reconstruction is kept.
    public struct Pass: Equatable, Sendable {
        public var hidden: [Int]
        public var sampled: [Int]

        public init(hidden: [Int], sampled: [Int]) {
            self.hidden = hidden
            self.sampled = sampled
        }
    }

    public var passes: [Pass]
    /// Patches hidden by every pass (0 when masking is off and only dropout varies the passes).
    public var hiddenCount: Int

    public init(passes: [Pass], hiddenCount: Int) {
        self.passes = passes
        self.hiddenCount = hiddenCount
    }

    public var passCount: Int { passes.count }

    /// The reference's hidden ROI count for one image: `n - trunc(n (1 - ratio) + n_non) + n_non`,
    /// computed in float32 as `random_masking` does (`floor(n (1 - ratio))` ROI patches stay visible).
    public static func hiddenCount(roiPatches n: Int, patchCount: Int, ratio: Double) -> Int {
        let nonROI = patchCount - n
        let keep = Float(n) * Float(1 - ratio) + Float(nonROI)
        let visibleROI = Int(keep.rounded(.towardZero)) - nonROI
        return max(0, min(n, n - visibleROI))
    }

    /// Passes needed by the balanced schedule: `ceil(K n / h)`.
    public static func balancedPassCount(roiPatches n: Int, hidden h: Int, samplesPerPatch k: Int) -> Int {
        guard n > 0, h > 0, k > 0 else { return 0 }
        return (k * n + h - 1) / h
    }

    /// The balanced schedule. The ROI patches are shuffled once into a cycle; pass `j` hides the `h`
    /// consecutive cycle positions starting at `j h (mod n)`. The windows tile the cycle, so after
    /// `P` passes every patch was hidden `floor(P h / n)` or `ceil(P h / n)` times; `P = ceil(K n / h)`
    /// passes hide each at least `K` times, and `h >= ratio n` makes `P <= ceil(K / ratio)` (one more
    /// when float32 rounding in ``hiddenCount(roiPatches:patchCount:ratio:)`` lowers `h` by one).
    ///
    /// With `fixedPassCount` given, exactly that many windows are run and every hidden patch is sampled;
    /// otherwise each patch keeps its first K samples.
    public static func balanced(roiPatches: [Int], patchCount: Int, samplesPerPatch k: Int, ratio: Double, key: RandomKey,
                                fixedPassCount: Int? = nil) -> PassSchedule {
        let n = roiPatches.count
        let h = hiddenCount(roiPatches: n, patchCount: patchCount, ratio: ratio)
        guard h > 0 else { return unmasked(roiPatches: roiPatches, passes: fixedPassCount ?? k) }
        var random = key.stream()
        let cycle = random.shuffled(roiPatches)
        let count = fixedPassCount ?? balancedPassCount(roiPatches: n, hidden: h, samplesPerPatch: k)
        let hidden: [[Int]] = (0..<count).map { j in
            let start = (j * h) % n
            return (0..<h).map { cycle[(start + $0) % n] }.sorted()
        }
        return PassSchedule(passes: sample(hidden, cap: fixedPassCount == nil ? k : Int.max), hiddenCount: h)
    }

    /// The reference's coverage procedure (`infer_list`): each pass hides a uniformly random set of
    /// `h` ROI patches (what `random_masking` draws for one image); passes are added while some ROI
    /// patch was hidden fewer than K times, up to `maxPasses`. Each patch keeps its first K samples.
    /// With `fixedPassCount` given, exactly that many random passes are run and every hidden patch is sampled.
    public static func coverage(roiPatches: [Int], patchCount: Int, samplesPerPatch k: Int, ratio: Double, key: RandomKey,
                                maxPasses: Int = 400, fixedPassCount: Int? = nil) -> PassSchedule {
        let n = roiPatches.count
        let h = hiddenCount(roiPatches: n, patchCount: patchCount, ratio: ratio)
        guard h > 0 else { return unmasked(roiPatches: roiPatches, passes: fixedPassCount ?? k) }
        var random = key.stream()
        var hidden: [[Int]] = []
        var counts = [Int: Int](uniqueKeysWithValues: roiPatches.map { ($0, 0) })
        func covered() -> Bool { counts.values.allSatisfy { $0 >= k } }
        while fixedPassCount.map({ hidden.count < $0 }) ?? (!covered() && hidden.count < maxPasses) {
            let chosen = Array(random.shuffled(roiPatches).prefix(h)).sorted()
            for l in chosen { counts[l, default: 0] += 1 }
            hidden.append(chosen)
        }
        return PassSchedule(passes: sample(hidden, cap: fixedPassCount == nil ? k : Int.max), hiddenCount: h)
    }

    /// Passes that hide nothing (MC dropout alone): every ROI patch is sampled in every pass.
    public static func unmasked(roiPatches: [Int], passes: Int) -> PassSchedule {
        let sorted = roiPatches.sorted()
        return PassSchedule(passes: Array(repeating: Pass(hidden: [], sampled: sorted), count: max(passes, 0)), hiddenCount: 0)
    }

    /// Keeps each patch's first `cap` hidden occurrences as samples.
    private static func sample(_ hidden: [[Int]], cap: Int) -> [Pass] {
        var counts: [Int: Int] = [:]
        return hidden.map { patches in
            let sampled = patches.filter { l in
                let c = counts[l, default: 0]
                counts[l] = c + 1
                return c < cap
            }
            return Pass(hidden: patches, sampled: sampled)
        }
    }

    /// How many times each patch was hidden, and sampled.
    public func counts() -> (hidden: [Int: Int], sampled: [Int: Int]) {
        var hidden: [Int: Int] = [:], sampled: [Int: Int] = [:]
        for pass in passes {
            for l in pass.hidden { hidden[l, default: 0] += 1 }
            for l in pass.sampled { sampled[l, default: 0] += 1 }
        }
        return (hidden, sampled)
    }
}
