/// Counts of binary decisions against ground truth, and the rates derived from them
/// (nil where a rate's denominator is 0).
public struct DecisionMetrics: Codable, Equatable, Sendable {
    public var truePositives = 0
    public var falsePositives = 0
    public var trueNegatives = 0
    public var falseNegatives = 0

    public init(truePositives: Int = 0, falsePositives: Int = 0, trueNegatives: Int = 0, falseNegatives: Int = 0) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.trueNegatives = trueNegatives
        self.falseNegatives = falseNegatives
    }

    /// Counts `(predicted, actual)` pairs.
    public init<S: Sequence>(_ pairs: S) where S.Element == (predicted: Bool, actual: Bool) {
        for (predicted, actual) in pairs {
            switch (predicted, actual) {
            case (true, true): truePositives += 1
            case (true, false): falsePositives += 1
            case (false, false): trueNegatives += 1
            case (false, true): falseNegatives += 1
            }
        }
    }

    public var count: Int { truePositives + falsePositives + trueNegatives + falseNegatives }
    /// TP / (TP + FP).
    public var precision: Double? { ratio(truePositives, truePositives + falsePositives) }
    /// TP / (TP + FN), the sensitivity.
    public var recall: Double? { ratio(truePositives, truePositives + falseNegatives) }
    /// TN / (TN + FP).
    public var specificity: Double? { ratio(trueNegatives, trueNegatives + falsePositives) }
    /// 2 TP / (2 TP + FP + FN).
    public var f1: Double? { ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives) }

    private func ratio(_ a: Int, _ b: Int) -> Double? { b > 0 ? Double(a) / Double(b) : nil }
}
