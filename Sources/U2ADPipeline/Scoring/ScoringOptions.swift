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
    /// The residual the curve measures (`--residual`; the reference's is ``ResidualKind/absolute``).
    public var residual = ResidualKind.positive
    /// How each slice's residuals are scaled (`--normalize`; the reference's is ``ResidualNormalization/none``).
    public var normalization = ResidualNormalization.slice
    /// How a row's pixels become its curve value (`--aggregate`; the reference's is ``RowAggregation/mean``).
    public var aggregation = RowAggregation.localMaximum(sigma: 2)
    /// Floor of the robust spread in ``ResidualNormalization/slice``, so that a nearly perfect reconstruction does not
    /// blow its noise up.
    public var minimumResidualSpread = 1e-3

    public init() {}

    /// The reference's scoring: the row mean of `|image - reconstruction|`, smoothed along the cord.
    public static var reference: ScoringOptions {
        var options = ScoringOptions()
        options.residual = .absolute
        options.normalization = .none
        options.aggregation = .mean
        return options
    }

    /// Ranges of the options (docs/limits.md): smoothing in rows, pixel spacing and segment length in millimetres.
    public static let smoothingRange = 0.0...100
    public static let pixelSpacingRange = 0.001...100
    public static let segmentRange = 0.1...1000

    /// Throws a one-line error naming the first invalid option.
    public func validate() throws {
        func check(_ value: Double, _ range: ClosedRange<Double>, _ option: String) throws {
            guard range.contains(value) else {
                throw PipelineError.badOption(option, String(format: "must be in %g...%g, got %g", range.lowerBound, range.upperBound, value))
            }
        }
        try check(smoothingRows, Self.smoothingRange, "--smoothing")
        try check(pixelSpacingMM, Self.pixelSpacingRange, "--pixel-spacing")
        try check(fallbackSegmentMM, Self.segmentRange, "--segment-mm")
        guard (1...1_000_000).contains(minimumBodyPixels) else { throw PipelineError.badOption("minimum body pixels", "must be in 1...1000000") }
        guard abs(vertebralBodyLabel) < 1 << 31, abs(lesionLabel) < 1 << 31 else {
            throw PipelineError.badOption("labels", "the vertebral-body and lesion labels must be of magnitude below 2^31")
        }
        guard VertebralLevels.index(of: firstVertebra) != nil else {
            throw PipelineError.badOption("--first-vertebra", "unknown level \(firstVertebra); use C1...C7, T1...T12, L1...L5 or S1")
        }
        if case .localMaximum(let sigma) = aggregation, !(sigma.isFinite && sigma >= 0 && sigma <= 16) {
            throw PipelineError.badOption("--aggregate", "the neighbourhood sigma must be in [0, 16] pixels, got \(sigma)")
        }
        guard minimumResidualSpread.isFinite, minimumResidualSpread > 0 else {
            throw PipelineError.badOption("minimum residual spread", "must be positive, got \(minimumResidualSpread)")
        }
        guard pixelFalsePositiveRate > 0, pixelFalsePositiveRate < 1 else {
            throw PipelineError.badOption("pixel false-positive rate", "must be in (0, 1), got \(pixelFalsePositiveRate)")
        }
    }
}

extension ScoringOptions {
    private enum CodingKeys: String, CodingKey {
        case smoothingRows, pixelSpacingMM, vertebralBodyLabel, minimumBodyPixels, firstVertebra, fallbackSegmentMM, lesionLabel
        case pixelFalsePositiveRate, residual, normalization, aggregation, minimumResidualSpread
    }

    /// Decodes options written by any version: a key a file lacks takes the reference's value, since files written
    /// before the residual settings existed were calibrated with the reference's scoring.
    public init(from decoder: Decoder) throws {
        self = .reference
        let c = try decoder.container(keyedBy: CodingKeys.self)
        smoothingRows = try c.decodeIfPresent(Double.self, forKey: .smoothingRows) ?? smoothingRows
        pixelSpacingMM = try c.decodeIfPresent(Double.self, forKey: .pixelSpacingMM) ?? pixelSpacingMM
        vertebralBodyLabel = try c.decodeIfPresent(Int.self, forKey: .vertebralBodyLabel) ?? vertebralBodyLabel
        minimumBodyPixels = try c.decodeIfPresent(Int.self, forKey: .minimumBodyPixels) ?? minimumBodyPixels
        firstVertebra = try c.decodeIfPresent(String.self, forKey: .firstVertebra) ?? firstVertebra
        fallbackSegmentMM = try c.decodeIfPresent(Double.self, forKey: .fallbackSegmentMM) ?? fallbackSegmentMM
        lesionLabel = try c.decodeIfPresent(Int.self, forKey: .lesionLabel) ?? lesionLabel
        pixelFalsePositiveRate = try c.decodeIfPresent(Double.self, forKey: .pixelFalsePositiveRate) ?? pixelFalsePositiveRate
        residual = try c.decodeIfPresent(ResidualKind.self, forKey: .residual) ?? residual
        normalization = try c.decodeIfPresent(ResidualNormalization.self, forKey: .normalization) ?? normalization
        aggregation = try c.decodeIfPresent(RowAggregation.self, forKey: .aggregation) ?? aggregation
        minimumResidualSpread = try c.decodeIfPresent(Double.self, forKey: .minimumResidualSpread) ?? minimumResidualSpread
    }
}
