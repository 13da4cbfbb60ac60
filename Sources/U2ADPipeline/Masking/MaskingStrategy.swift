import U2ADModel

/// How a training step chooses the patches hidden from the encoder.
public enum MaskingStrategy: String, Codable, Sendable, CaseIterable {
    /// ROI-guided uniform masking (`random_masking`), used for pretraining.
    case random
    /// Epistemic-uncertainty-guided masking (`variance_masking`), adaptation before `--au-from`.
    case epistemic = "eu"
    /// Epistemic and aleatoric (`variance_error_masking`), adaptation from `--au-from` on.
    case epistemicAleatoric = "eu+au"
}

/// What the masking rules know about one image: ROI pixels per patch and, for the uncertainty-guided
/// strategies, its per-patch variance sums and filtered-error sums.
public struct MaskingInput: Sendable {
    public var roiPixels: [Float]
    public var variance: [Float]?
    public var error: [Float]?

    public init(roiPixels: [Float], variance: [Float]? = nil, error: [Float]? = nil) {
        self.roiPixels = roiPixels
        self.variance = variance
        self.error = error
    }
}

/// Masking settings shared by every strategy, defaults as the reference.
public struct MaskingSettings: Codable, Equatable, Sendable {
    /// Fraction of ROI patches hidden (0.75).
    public var ratio: Double = 0.75
    /// Softmax temperature of the uncertainty weights (1).
    public var tau: Float = 1
    /// Which way variance pushes a patch (default: the reference's formula).
    public var direction: VarianceDirection = .reference

    public init(ratio: Double = 0.75, tau: Float = 1, direction: VarianceDirection = .reference) {
        self.ratio = ratio
        self.tau = tau
        self.direction = direction
    }

}
