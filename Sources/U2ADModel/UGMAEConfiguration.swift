/// Shape of a UGMAE network. Defaults are the reference's adaptation configuration.
public struct UGMAEConfiguration: Codable, Equatable, Sendable {
    public var imageSize = 256
    public var patchSize = 8
    public var embedDim = 128
    public var depth = 12
    public var heads = 16
    public var decoderEmbedDim = 64
    public var decoderDepth = 8
    public var decoderHeads = 8
    public var mlpRatio = 4

    public init() {}

    public init(imageSize: Int = 256, patchSize: Int = 8, embedDim: Int = 128, depth: Int = 12, heads: Int = 16,
                decoderEmbedDim: Int = 64, decoderDepth: Int = 8, decoderHeads: Int = 8, mlpRatio: Int = 4) {
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.embedDim = embedDim
        self.depth = depth
        self.heads = heads
        self.decoderEmbedDim = decoderEmbedDim
        self.decoderDepth = decoderDepth
        self.decoderHeads = decoderHeads
        self.mlpRatio = mlpRatio
    }

    /// Patches per side (32 by default).
    public var grid: Int { imageSize / patchSize }
    /// Patches per image (1024 by default).
    public var patchCount: Int { grid * grid }
    /// Pixels per patch (64 by default).
    public var patchPixels: Int { patchSize * patchSize }
    public var pixelCount: Int { imageSize * imageSize }
}
