import Foundation

/// The decision thresholds of a `detect` or `evaluate` run and where they came from, resolved the same way for both:
/// `--threshold` wins for the segment threshold; else the thresholds file (beside the weights or given), with a
/// warning when it was calibrated with other inference or scoring settings; else, when the command allows it, a
/// calibration on scans taken as normal; else no decisions.
public struct ThresholdResolution: Sendable {
    public var segment: Double?
    public var pixel: Double?
    public var source: ThresholdSource
    /// One line each, for the log.
    public var warnings: [String] = []

    /// Checks `--threshold` and `--fpr`, the two values every command that decides takes.
    public static func validate(threshold: Double?, falsePositiveRate: Double) throws {
        if let threshold, !threshold.isFinite { throw PipelineError.badOption("--threshold", "must be a finite number, got \(threshold)") }
        guard falsePositiveRate.isFinite, falsePositiveRate >= 0, falsePositiveRate < 1 else {
            throw PipelineError.badOption("--fpr", "must be in [0, 1), got \(falsePositiveRate)")
        }
    }

    /// Resolves the thresholds. `fallback` calibrates when neither `--threshold` nor a file gives the segment
    /// threshold (nil: none); `fallbackWarning` says how the fallback was made.
    public static func resolve(option: Double?, file: URL, uncertainty: UncertaintyOptions, scoring: ScoringOptions,
                               fallback: () -> DetectionThresholds?, fallbackWarning: String? = nil) throws -> ThresholdResolution {
        var resolution = ThresholdResolution(segment: option, pixel: nil, source: option == nil ? .none : .option)
        if FileManager.default.fileExists(atPath: file.path) {
            let stored = try DetectionThresholds.load(file)
            if !stored.fits(uncertainty: uncertainty, scoring: scoring) {
                resolution.warnings.append("warning: \(file.lastPathComponent) was calibrated with other inference or scoring settings; its threshold may not fit")
            }
            resolution.pixel = stored.pixel
            if option == nil { resolution.segment = stored.segment; resolution.source = .file }
        }
        if resolution.segment == nil {
            if let calibrated = fallback() {
                resolution.segment = calibrated.segment
                resolution.pixel = resolution.pixel ?? calibrated.pixel
                resolution.source = .calibrated
                if let fallbackWarning { resolution.warnings.append(fallbackWarning) }
            } else {
                resolution.warnings.append("warning: no threshold (give --threshold, or calibrate with `detect --calibrate` on normal scans); decisions are left out")
            }
        }
        return resolution
    }

    /// The thresholds just calibrated by `detect --calibrate` (and saved); `--threshold` still wins for decisions.
    public static func calibrated(_ thresholds: DetectionThresholds, option: Double?) -> ThresholdResolution {
        ThresholdResolution(segment: option ?? thresholds.segment, pixel: thresholds.pixel, source: option == nil ? .calibrated : .option)
    }
}

extension DetectionThresholds {
    /// Whether the thresholds were calibrated with these settings (the seed and the batch size do not change scores).
    public func fits(uncertainty current: UncertaintyOptions, scoring: ScoringOptions) -> Bool {
        var calibration = uncertainty, now = current
        calibration?.seed = 0; calibration?.maxBatch = nil
        now.seed = 0; now.maxBatch = nil
        return calibration == now && self.scoring == scoring
    }
}
