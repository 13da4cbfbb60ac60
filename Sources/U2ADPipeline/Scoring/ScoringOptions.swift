/// Settings of the anomaly curve, the segments and the thresholds.
public struct ScoringOptions: Codable, Equatable, Sendable {
    /// Standard deviation, in image rows, of the Gaussian that smooths the curves along the cord (0: none).
    public var smoothingRows = 2.0
    /// Pixel size in millimetres (the reference preprocessing: 1 mm, 200 mm crop, 256 pixels).
    public var pixelSpacingMM = 200.0 / 256.0
    public var vertebralBodyLabel = 2
    /// Vertebral-body components smaller than this are ignored.
    public var minimumBodyPixels = 20
    /// Name of the top-most vertebral body found (the first body below the skull in a cervical scan).
    public var firstVertebra = "C2"
    /// Length of the fallback segments along the cord when fewer than two vertebral bodies are labelled.
    public var fallbackSegmentMM = 16.0
    /// The ground-truth label of T2 hyperintensities.
    public var lesionLabel = 6
    /// Fraction of normal region pixels above the overlay's pixel threshold at calibration.
    public var pixelFalsePositiveRate = 0.01

    public init() {}

    /// Throws a one-line error naming the first invalid option.
    public func validate() throws {
        guard smoothingRows.isFinite, smoothingRows >= 0 else { throw PipelineError.badOption("--smoothing", "must be >= 0, got \(smoothingRows)") }
        guard pixelSpacingMM.isFinite, pixelSpacingMM > 0 else { throw PipelineError.badOption("--pixel-spacing", "must be > 0, got \(pixelSpacingMM)") }
        guard fallbackSegmentMM.isFinite, fallbackSegmentMM > 0 else {
            throw PipelineError.badOption("--segment-mm", "must be > 0, got \(fallbackSegmentMM)")
        }
        guard minimumBodyPixels >= 1 else { throw PipelineError.badOption("minimum body pixels", "must be at least 1") }
        guard VertebralLevels.index(of: firstVertebra) != nil else {
            throw PipelineError.badOption("--first-vertebra", "unknown level \(firstVertebra); use C1...C7, T1...T12, L1...L5 or S1")
        }
        guard pixelFalsePositiveRate > 0, pixelFalsePositiveRate < 1 else {
            throw PipelineError.badOption("pixel false-positive rate", "must be in (0, 1), got \(pixelFalsePositiveRate)")
        }
    }
}
