/// Threshold-free metrics of scores against binary ground truth. Both are nil unless both classes occur.
public enum RankingMetrics {
    /// Area under the ROC curve: the Mann-Whitney statistic `(R+ - n+ (n+ + 1) / 2) / (n+ n-)` with
    /// `R+` the sum of the positives' ranks, tied scores sharing their mean rank (a tie counts one half).
    public static func auroc(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count, "auroc: \(scores.count) scores for \(labels.count) labels")
        let positives = labels.filter { $0 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let meanRank = Double(i + j) / 2 + 1
            for t in i...j where labels[order[t]] { rankSum += meanRank }
            i = j + 1
        }
        let p = Double(positives)
        return (rankSum - p * (p + 1) / 2) / (p * Double(negatives))
    }

    /// Average precision as scikit-learn computes it: `sum_n (R_n - R_{n-1}) P_n` over the distinct
    /// scores taken as thresholds in descending order (tied scores enter together).
    public static func averagePrecision(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count, "averagePrecision: \(scores.count) scores for \(labels.count) labels")
        let positives = labels.filter { $0 }.count
        guard positives > 0, positives < labels.count else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var truePositives = 0, taken = 0, previousRecall = 0.0, total = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            for t in i...j where labels[order[t]] { truePositives += 1 }
            taken = j + 1
            let recall = Double(truePositives) / Double(positives)
            total += (recall - previousRecall) * Double(truePositives) / Double(taken)
            previousRecall = recall
            i = j + 1
        }
        return total
    }

    /// The best Dice over thresholds `score >= t` at every distinct score, with its threshold;
    /// nil without positives.
    public static func bestDice(scores: [Double], labels: [Bool]) -> (dice: Double, threshold: Double)? {
        precondition(scores.count == labels.count, "bestDice: \(scores.count) scores for \(labels.count) labels")
        let positives = labels.filter { $0 }.count
        guard positives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var best: (dice: Double, threshold: Double) = (0, scores[order[0]])
        var truePositives = 0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            for t in i...j where labels[order[t]] { truePositives += 1 }
            let dice = 2 * Double(truePositives) / Double(j + 1 + positives)
            if dice > best.dice { best = (dice, scores[order[i]]) }
            i = j + 1
        }
        return best
    }
}
