/// A configuration field outside its range, or inconsistent with another field.
public struct ConfigurationProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// The field's name in ``UGMAEConfiguration`` (and in the `u2ad.configuration` metadata).
    public var field: String
    public var value: Int
    /// What the field must be, e.g. `in 1...64` or `a divisor of imageSize 256`.
    public var requirement: String

    public var description: String { "\(field) is \(value), expected \(requirement)" }
}

extension UGMAEConfiguration {
    /// Side of the (square) image in pixels.
    public static let imageSizeRange = 8...1024
    /// Side of a patch in pixels; it must divide the image size.
    public static let patchSizeRange = 1...64
    /// Most patches per image (a 128 x 128 grid; the reference has 32 x 32).
    public static let maximumPatchCount = 16_384
    /// Token widths (`embedDim`, `decoderEmbedDim`): multiples of 4 (the sin-cos table) divisible by the heads.
    public static let widthRange = 4...4096
    /// Blocks of the encoder (`depth`) and of the decoder (`decoderDepth`).
    public static let depthRange = 1...64
    /// Attention heads of the encoder and of the decoder.
    public static let headsRange = 1...256
    /// Width of the MLP's hidden layer as a multiple of the token width.
    public static let mlpRatioRange = 1...16
    /// Most trainable values (2^28, 1 GiB as float32; the reference has 3.4 million).
    public static let maximumParameters = 1 << 28

    /// The first field outside its range or inconsistent with another, or nil when every field is usable.
    /// Every size the model derives from a configuration without a problem fits in an `Int` with room to spare.
    public var problem: ConfigurationProblem? {
        func outside(_ field: String, _ value: Int, _ range: ClosedRange<Int>) -> ConfigurationProblem? {
            range.contains(value) ? nil : ConfigurationProblem(field: field, value: value, requirement: "in \(range.lowerBound)...\(range.upperBound)")
        }
        let ranges: [(String, Int, ClosedRange<Int>)] = [
            ("imageSize", imageSize, Self.imageSizeRange), ("patchSize", patchSize, Self.patchSizeRange),
            ("embedDim", embedDim, Self.widthRange), ("depth", depth, Self.depthRange), ("heads", heads, Self.headsRange),
            ("decoderEmbedDim", decoderEmbedDim, Self.widthRange), ("decoderDepth", decoderDepth, Self.depthRange),
            ("decoderHeads", decoderHeads, Self.headsRange), ("mlpRatio", mlpRatio, Self.mlpRatioRange),
        ]
        for (field, value, range) in ranges { if let problem = outside(field, value, range) { return problem } }
        if imageSize % patchSize != 0 {
            return ConfigurationProblem(field: "patchSize", value: patchSize, requirement: "a divisor of imageSize \(imageSize)")
        }
        if patchCount > Self.maximumPatchCount {
            return ConfigurationProblem(field: "patchSize", value: patchSize,
                                        requirement: "at least \(imageSize / 128) so that a \(imageSize)-pixel image has at most \(Self.maximumPatchCount) patches")
        }
        for (field, width) in [("embedDim", embedDim), ("decoderEmbedDim", decoderEmbedDim)] where width % 4 != 0 {
            return ConfigurationProblem(field: field, value: width, requirement: "a multiple of 4 (the sin-cos positional table)")
        }
        for (field, heads, widthField, width) in [("heads", heads, "embedDim", embedDim), ("decoderHeads", decoderHeads, "decoderEmbedDim", decoderEmbedDim)]
            where width % heads != 0 {
            return ConfigurationProblem(field: field, value: heads, requirement: "a divisor of \(widthField) \(width)")
        }
        if parameterCount > Self.maximumParameters {
            return ConfigurationProblem(field: "parameters", value: parameterCount, requirement: "at most \(Self.maximumParameters) (2^28)")
        }
        return nil
    }

    /// Trainable values of the model (padding excluded); meaningful once the fields are in their ranges.
    public var parameterCount: Int {
        UGMAE.trainableShapes(self).reduce(0) { $0 + $1.1.reduce(1, *) }
    }
}
