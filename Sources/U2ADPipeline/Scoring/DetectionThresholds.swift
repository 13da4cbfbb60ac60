import Foundation
import U2ADData

/// Which false-positive rate a calibration controls.
public enum CalibrationLevel: String, Codable, Sendable, CaseIterable {
    /// The fraction of normal patients flagged: the threshold is taken over each normal patient's highest segment score.
    /// A patient has about ten segments, so this is the rate a clinician sees.
    case patient
    /// The fraction of normal segments flagged (each patient then has a far higher chance of one false segment).
    case segment
}

/// Decision thresholds calibrated on scans known to be normal, stored beside the weights.
public struct DetectionThresholds: Codable, Equatable, Sendable {
    /// A segment is positive when its score exceeds this.
    public var segment: Double
    /// Aleatoric value above which a pixel is highlighted in the overlay.
    public var pixel: Double?
    /// Wanted fraction of normal patients (or segments, see ``level``) above ``segment``.
    public var falsePositiveRate: Double
    /// Fraction of the calibration patients (or segments) above ``segment`` (at most the wanted rate; less with ties).
    public var achievedFalsePositiveRate: Double
    /// What the rates count; nil in files written before patient-level calibration (segments).
    public var level: CalibrationLevel?
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

    /// Calibrates on normal patients: the segment threshold over each patient's highest segment score (``CalibrationLevel/patient``)
    /// or over every scored segment, the pixel threshold over the region pixels' aleatoric values. Nil when no segment
    /// has a score.
    public static func calibrate(normal patients: [PatientResult], maps: [SliceMaps], falsePositiveRate: Double, level: CalibrationLevel,
                                 uncertainty: UncertaintyOptions, scoring: ScoringOptions) -> DetectionThresholds? {
        let slices = patients.flatMap(\.slices)
        let scores = level == .patient ? patients.compactMap(\.score) : slices.flatMap { $0.segments.compactMap(\.score) }
        guard let segment = threshold(normalScores: scores, falsePositiveRate: falsePositiveRate) else { return nil }
        var pixels: [Double] = []
        for map in maps where !map.skipped {
            for i in map.region.indices where map.region[i] != 0 { pixels.append(Double(map.aleatoric[i])) }
        }
        let pixel = threshold(normalScores: pixels, falsePositiveRate: scoring.pixelFalsePositiveRate)
        let above = scores.filter { $0 > segment }.count
        var thresholds = DetectionThresholds(segment: segment, pixel: pixel, falsePositiveRate: falsePositiveRate,
                                             achievedFalsePositiveRate: Double(above) / Double(scores.count), calibrationSlices: slices.count,
                                             calibrationSegments: slices.reduce(0) { $0 + $1.segments.filter { $0.score != nil }.count },
                                             uncertainty: uncertainty, scoring: scoring)
        thresholds.level = level
        return thresholds
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
