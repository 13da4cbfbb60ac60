import U2ADRandom

/// A point estimate with a bootstrap percentile interval.
public struct Interval: Codable, Equatable, Sendable {
    public var estimate: Double?
    public var lower: Double?
    public var upper: Double?

    public init(estimate: Double?, lower: Double?, upper: Double?) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
    }

    /// `0.912 [0.850, 0.961]`, or `-` without an estimate.
    public var text: String {
        guard let estimate else { return "-" }
        let value = String(format: "%.3f", estimate)
        guard let lower, let upper else { return value }
        return value + String(format: " [%.3f, %.3f]", lower, upper)
    }
}

/// The nonparametric bootstrap over patients: resample the patients with replacement, recompute the statistic, and
/// take the 2.5th and 97.5th percentiles of the replicates (replicates where the statistic is undefined, e.g. an
/// AUROC of a resample without a positive, are left out).
public enum Bootstrap {
    public static func interval<Unit>(_ units: [Unit], replicates: Int = 1000, level: Double = 0.95, key: RandomKey,
                                      statistic: ([Unit]) -> Double?) -> Interval {
        let estimate = statistic(units)
        guard estimate != nil, units.count > 1, replicates > 0 else { return Interval(estimate: estimate, lower: nil, upper: nil) }
        var random = key.stream()
        var values: [Double] = []
        values.reserveCapacity(replicates)
        for _ in 0..<replicates {
            let sample = (0..<units.count).map { _ in units[random.below(units.count)] }
            if let value = statistic(sample), value.isFinite { values.append(value) }
        }
        guard values.count >= 10 else { return Interval(estimate: estimate, lower: nil, upper: nil) }
        values.sort()
        let alpha = (1 - level) / 2
        return Interval(estimate: estimate, lower: quantile(values, alpha), upper: quantile(values, 1 - alpha))
    }

    /// The `q`-quantile of sorted values, linear between order statistics (numpy's default).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (position - Double(low)) * (sorted[high] - sorted[low])
    }
}
