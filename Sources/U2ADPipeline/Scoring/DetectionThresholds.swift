import Foundation
import U2ADData

/// Decision thresholds calibrated on scans known to be normal, stored beside the weights.
public struct DetectionThresholds: Codable, Equatable, Sendable {
    /// A segment is positive when its score exceeds this.
    public var segment: Double
    /// Aleatoric value above which a pixel is highlighted in the overlay.
    public var pixel: Double?
    /// Wanted fraction of normal segments above ``segment``.
    public var falsePositiveRate: Double
    /// Fraction of the calibration segments above ``segment`` (at most the wanted rate; less with ties).
    public var achievedFalsePositiveRate: Double
    public var calibrationSlices: Int
    public var calibrationSegments: Int
    /// The settings the scores were computed with; scores from other settings are not comparable.
    public var uncertainty: UncertaintyOptions?
    public var scoring: ScoringOptions?

    public init(segment: Double, pixel: Double?, falsePositiveRate: Double, achievedFalsePositiveRate: Double, calibrationSlices: Int,
                calibrationSegments: Int, uncertainty: UncertaintyOptions?, scoring: ScoringOptions?) {
        self.segment = segment
        self.pixel = pixel
        self.falsePositiveRate = falsePositiveRate
        self.achievedFalsePositiveRate = achievedFalsePositiveRate
        self.calibrationSlices = calibrationSlices
        self.calibrationSegments = calibrationSegments
        self.uncertainty = uncertainty
        self.scoring = scoring
    }

    /// `W.thresholds.json` beside weights `W.safetensors`.
    public static func url(besideWeights weights: URL) -> URL {
        weights.deletingPathExtension().appendingPathExtension("thresholds.json")
    }

    /// The threshold leaving at most `falsePositiveRate` of `scores` above it: with the scores sorted
    /// in descending order, the `(floor(rate n) + 1)`-th one. Nil without finite scores.
    public static func threshold(normalScores scores: [Double], falsePositiveRate rate: Double) -> Double? {
        let sorted = scores.filter { $0.isFinite }.sorted(by: >)
        guard !sorted.isEmpty else { return nil }
        let allowed = Int((rate * Double(sorted.count) + 1e-9).rounded(.down))
        return sorted[min(allowed, sorted.count - 1)]
    }

    /// Calibrates on slices of normal scans: the segment threshold over every scored segment, the pixel
    /// threshold over the region pixels' aleatoric values. Nil when no segment has a score.
    public static func calibrate(normal slices: [SliceResult], maps: [SliceMaps], falsePositiveRate: Double,
                                 uncertainty: UncertaintyOptions, scoring: ScoringOptions) -> DetectionThresholds? {
        let scores = slices.flatMap { $0.segments.compactMap(\.score) }
        guard let segment = threshold(normalScores: scores, falsePositiveRate: falsePositiveRate) else { return nil }
        var pixels: [Double] = []
        for map in maps where !map.skipped {
            for i in map.region.indices where map.region[i] != 0 { pixels.append(Double(map.aleatoric[i])) }
        }
        let pixel = threshold(normalScores: pixels, falsePositiveRate: scoring.pixelFalsePositiveRate)
        let above = scores.filter { $0 > segment }.count
        return DetectionThresholds(segment: segment, pixel: pixel, falsePositiveRate: falsePositiveRate,
                                   achievedFalsePositiveRate: Double(above) / Double(scores.count), calibrationSlices: slices.count,
                                   calibrationSegments: scores.count, uncertainty: uncertainty, scoring: scoring)
    }

    public static func load(_ url: URL) throws -> DetectionThresholds {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw PipelineError.badFile(url.path, "cannot be read") }
        do { return try JSONDecoder().decode(DetectionThresholds.self, from: data) } catch {
            throw PipelineError.badFile(url.path, "is not a thresholds file (\(error))")
        }
    }

    public func save(to url: URL) throws {
        try AtomicFile.write(try JSONEncoding.encode(self), to: url)
    }
}

/// JSON with sorted keys, pretty-printed; non-finite numbers become strings rather than failing.
enum JSONEncoding {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }
}
