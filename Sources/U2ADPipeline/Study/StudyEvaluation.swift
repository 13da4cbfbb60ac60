import Foundation
import U2ADRandom

/// Ranking and decision metrics at one level, each with a bootstrap 95% interval over patients.
public struct LevelSummary: Codable, Equatable, Sendable {
    public var count: Int
    public var positives: Int
    public var auroc: Interval
    public var averagePrecision: Interval
    public var f1: Interval
    public var precision: Interval
    public var recall: Interval
    public var specificity: Interval
}

/// AUROC of the lesioned patients whose lesion falls in one range of contrast or area, against every healthy test
/// patient: where a method stops seeing.
public struct DetectabilityBin: Codable, Equatable, Sendable {
    /// `contrast` or `area`.
    public var variable: String
    public var low: Double
    public var high: Double
    public var lesioned: Int
    public var auroc: Interval
}

/// One method's results on the test patients, with one scoring.
public struct MethodEvaluation: Codable, Sendable {
    public var method: String
    public var scoring: String
    public var threshold: Double?
    public var patient: LevelSummary
    public var segment: LevelSummary
    public var pixelAUROC: Interval
    public var pixelAveragePrecision: Interval
    /// Patient AUROC of the lesioned patients with the fainter half of the contrasts (below the median) against the
    /// healthy ones.
    public var subtleHalfAUROC: Interval
    public var detectability: [DetectabilityBin]
    /// How far the reconstruction strays from a healthy cord: the median over the healthy test patients of the
    /// standard deviation of `image - reconstruction` over the region, raw and averaged by a Gaussian of 2 pixels (the
    /// scale of the local-maximum scoring). A lesion must stand out of this to be found.
    public var healthyResidualSpread: Double?
    public var healthyResidualSpreadSmoothed: Double?
}

/// Evaluates scored test patients against their truth, resampling patients for every interval.
public struct StudyEvaluator: Sendable {
    public var replicates = 1000
    /// Pixel metrics resample fewer times: each replicate ranks every cord pixel.
    public var pixelReplicates = 200
    public var key: RandomKey

    public init(key: RandomKey) { self.key = key }

    /// What one patient contributes to every metric.
    struct Unit {
        var score: Double?
        var lesioned: Bool
        var decision: Bool?
        var contrast: Double?
        var area: Int?
        var segments: [(score: Double?, lesioned: Bool, decision: Bool?)]
        var pixels: [(score: Double, lesion: Bool)]
    }

    public func evaluate(method: String, scoringName: String, analysis: DetectionAnalysis, threshold: Double?, truth: [StudyPatient],
                         contrastBins: [ClosedRange<Double>], areaBins: [ClosedRange<Double>]) -> MethodEvaluation {
        let decided = analysis.results.map { $0.applying(threshold: threshold) }
        let units: [Unit] = decided.indices.map { p in
            let result = decided[p]
            var pixels: [(Double, Bool)] = []
            for (slice, map) in zip(analysis.inputs[p].slices, analysis.maps[p]) where !map.skipped {
                let anomaly = AnomalyMap.pixels(map, options: analysis.scoring)
                for i in slice.labels.indices where map.region[i] != 0 {
                    pixels.append((anomaly[i], labelValue(slice.labels[i]) == analysis.scoring.lesionLabel))
                }
            }
            return Unit(score: result.score, lesioned: truth[p].isLesioned, decision: result.isPositive, contrast: truth[p].contrast,
                        area: truth[p].area, segments: result.segments.map { ($0.score, $0.lesionPixels > 0, $0.isPositive) }, pixels: pixels)
        }
        let patientLevel = summary(units, key: key.fold(in: 1)) { units in units.map { ($0.score, $0.lesioned, $0.decision) } }
        let segmentLevel = summary(units, key: key.fold(in: 2)) { units in units.flatMap(\.segments) }
        let pixelAUROC = Bootstrap.interval(units, replicates: pixelReplicates, key: key.fold(in: 3)) { units in
            let pixels = units.flatMap(\.pixels)
            return RankingMetrics.auroc(scores: pixels.map(\.score), labels: pixels.map(\.lesion))
        }
        let pixelAP = Bootstrap.interval(units, replicates: pixelReplicates, key: key.fold(in: 4)) { units in
            let pixels = units.flatMap(\.pixels)
            return RankingMetrics.averagePrecision(scores: pixels.map(\.score), labels: pixels.map(\.lesion))
        }
        let contrasts = units.compactMap(\.contrast).sorted()
        let median = contrasts.isEmpty ? 0 : contrasts[contrasts.count / 2]
        let subtle = units.filter { !$0.lesioned || ($0.contrast ?? .infinity) < median }
        var bins: [DetectabilityBin] = []
        for (variable, ranges) in [("contrast", contrastBins), ("area", areaBins)] {
            for range in ranges {
                let subset = units.filter { unit in
                    guard unit.lesioned else { return true }
                    let value = variable == "contrast" ? unit.contrast : unit.area.map(Double.init)
                    return value.map { range.contains($0) } ?? false
                }
                let lesioned = subset.filter(\.lesioned).count
                bins.append(DetectabilityBin(variable: variable, low: range.lowerBound, high: range.upperBound, lesioned: lesioned,
                                             auroc: lesioned == 0 ? Interval(estimate: nil, lower: nil, upper: nil) : auroc(subset, key: key.fold(in: 10 + bins.count))))
            }
        }
        let spreads = analysis.maps.indices.filter { !truth[$0].isLesioned }.flatMap { analysis.maps[$0] }.filter { !$0.skipped }.map(Self.residualSpread)
        func middle(_ values: [Double]) -> Double? { values.isEmpty ? nil : AnomalyMap.median(values) }
        return MethodEvaluation(method: method, scoring: scoringName, threshold: threshold, patient: patientLevel, segment: segmentLevel,
                                pixelAUROC: pixelAUROC, pixelAveragePrecision: pixelAP, subtleHalfAUROC: auroc(subtle, key: key.fold(in: 5)),
                                detectability: bins, healthyResidualSpread: middle(spreads.map(\.raw)),
                                healthyResidualSpreadSmoothed: middle(spreads.map(\.smoothed)))
    }

    /// Standard deviation of the signed residual over the region, raw and Gaussian-averaged (sigma 2 pixels).
    static func residualSpread(_ maps: SliceMaps) -> (raw: Double, smoothed: Double) {
        let weights = maps.region.map { $0 != 0 ? 1.0 : 0 }
        let residual = (0..<weights.count).map { weights[$0] > 0 ? Double(maps.image[$0]) - Double(maps.reconstruction[$0]) : 0 }
        let smoothed = AnomalyMap.normalizedGaussian(residual, weights: weights, size: maps.size, sigma: 2)
        func deviation(_ values: [Double]) -> Double {
            let inside = values.indices.filter { weights[$0] > 0 }.map { values[$0] }
            guard inside.count > 1 else { return 0 }
            let mean = inside.reduce(0, +) / Double(inside.count)
            return (inside.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(inside.count - 1)).squareRoot()
        }
        return (deviation(residual), deviation(smoothed))
    }

    private func auroc(_ units: [Unit], key: RandomKey) -> Interval {
        Bootstrap.interval(units, replicates: replicates, key: key) { units in
            let scored = units.compactMap { unit in unit.score.map { ($0, unit.lesioned) } }
            return RankingMetrics.auroc(scores: scored.map(\.0), labels: scored.map(\.1))
        }
    }

    /// Every metric of one level, the items of each patient taken together when patients are resampled.
    private func summary(_ units: [Unit], key: RandomKey, items: @escaping ([Unit]) -> [(score: Double?, lesioned: Bool, decision: Bool?)]) -> LevelSummary {
        func scored(_ units: [Unit]) -> [(Double, Bool)] { items(units).compactMap { item in item.score.map { ($0, item.lesioned) } } }
        func decisions(_ units: [Unit]) -> DecisionMetrics? {
            let pairs = items(units).compactMap { item in item.decision.map { (predicted: $0, actual: item.lesioned) } }
            return pairs.isEmpty ? nil : DecisionMetrics(pairs)
        }
        let all = items(units)
        return LevelSummary(
            count: all.filter { $0.score != nil }.count, positives: all.filter { $0.score != nil && $0.lesioned }.count,
            auroc: Bootstrap.interval(units, replicates: replicates, key: key.fold(in: 0)) { RankingMetrics.auroc(scores: scored($0).map(\.0), labels: scored($0).map(\.1)) },
            averagePrecision: Bootstrap.interval(units, replicates: replicates, key: key.fold(in: 1)) {
                RankingMetrics.averagePrecision(scores: scored($0).map(\.0), labels: scored($0).map(\.1))
            },
            f1: Bootstrap.interval(units, replicates: replicates, key: key.fold(in: 2)) { decisions($0)?.f1 },
            precision: Bootstrap.interval(units, replicates: replicates, key: key.fold(in: 3)) { decisions($0)?.precision },
            recall: Bootstrap.interval(units, replicates: replicates, key: key.fold(in: 4)) { decisions($0)?.recall },
            specificity: Bootstrap.interval(units, replicates: replicates, key: key.fold(in: 5)) { decisions($0)?.specificity })
    }
}
