import U2ADRuntime

/// The U2AD masked autoencoder (UGMAE) on a runtime backend: a ViT encoder over the visible patches,
/// a decoder over all patches, and two heads (intensity and Sobel edge), as the reference computes it.
///
/// Trainable tensors live in one ``ParameterArena`` under the reference's `state_dict` names;
/// the fixed sin-cos positional embeddings are separate buffers.
public final class UGMAE {
    public let configuration: UGMAEConfiguration
    public let backend: Backend
    public let parameters: ParameterArena
    let encoderBlocks: [TransformerBlock]
    let decoderBlocks: [TransformerBlock]
    /// `pos_embed[1:]`, `[L, embedDim]`.
    let patchPositions: Buffer
    /// `decoder_pos_embed`, `[1 + L, decoderEmbedDim]`.
    let decoderPositions: Buffer
    /// Host copies of the fixed tables, as written to checkpoints.
    public private(set) var positionalEmbedding: [Float]
    public private(set) var decoderPositionalEmbedding: [Float]

    /// Throws, before allocating anything, when the configuration has a ``ConfigurationProblem`` or its parameters
    /// and gradients do not fit in the memory the backend has left.
    public init(configuration: UGMAEConfiguration = UGMAEConfiguration(), backend: Backend) throws {
        if let problem = configuration.problem { throw ModelError.badInput("model configuration: \(problem)") }
        try MemoryCheck.check(2 * 4 * configuration.parameterCount, for: "a model of \(configuration.parameterCount) parameters", backend: backend)
        self.configuration = configuration
        self.backend = backend
        let c = configuration
        encoderBlocks = (0..<c.depth).map { TransformerBlock(prefix: "blocks.\($0).", dim: c.embedDim, heads: c.heads, mlpRatio: c.mlpRatio, layer: $0) }
        decoderBlocks = (0..<c.decoderDepth).map {
            TransformerBlock(prefix: "decoder_blocks.\($0).", dim: c.decoderEmbedDim, heads: c.decoderHeads, mlpRatio: c.mlpRatio, layer: c.depth + $0)
        }
        parameters = try ParameterArena(backend: backend, tensors: UGMAE.trainableShapes(c))
        positionalEmbedding = sinCosPositionalEmbedding(width: c.embedDim, grid: c.grid)
        decoderPositionalEmbedding = sinCosPositionalEmbedding(width: c.decoderEmbedDim, grid: c.grid)
        patchPositions = try backend.makeBuffer(Array(positionalEmbedding[c.embedDim...]), shape: [c.patchCount, c.embedDim])
        decoderPositions = try backend.makeBuffer(decoderPositionalEmbedding, shape: [1 + c.patchCount, c.decoderEmbedDim])
    }

    /// Replaces the fixed positional tables (as loaded from a checkpoint).
    func setPositionalEmbeddings(encoder: [Float], decoder: [Float]) throws {
        positionalEmbedding = encoder
        decoderPositionalEmbedding = decoder
        try backend.upload(Array(encoder[configuration.embedDim...]), to: patchPositions)
        try backend.upload(decoder, to: decoderPositions)
    }

    /// Trainable tensors in the reference's `state_dict` names and shapes (the arena's layout).
    public static func trainableShapes(_ c: UGMAEConfiguration) -> [(String, [Int])] {
        var shapes: [(String, [Int])] = [
            ("cls_token", [1, 1, c.embedDim]),
            ("mask_token", [1, 1, c.decoderEmbedDim]),
            ("patch_embed.proj.weight", [c.embedDim, 1, c.patchSize, c.patchSize]),
            ("patch_embed.proj.bias", [c.embedDim]),
        ]
        for i in 0..<c.depth {
            shapes += TransformerBlock(prefix: "blocks.\(i).", dim: c.embedDim, heads: c.heads, mlpRatio: c.mlpRatio, layer: i).parameterShapes
        }
        shapes += [("norm.weight", [c.embedDim]), ("norm.bias", [c.embedDim]),
                   ("decoder_embed.weight", [c.decoderEmbedDim, c.embedDim]), ("decoder_embed.bias", [c.decoderEmbedDim])]
        for i in 0..<c.decoderDepth {
            shapes += TransformerBlock(prefix: "decoder_blocks.\(i).", dim: c.decoderEmbedDim, heads: c.decoderHeads, mlpRatio: c.mlpRatio, layer: c.depth + i).parameterShapes
        }
        for head in ["rec", "edge"] {
            shapes += [("\(head)_norm.weight", [c.decoderEmbedDim]), ("\(head)_norm.bias", [c.decoderEmbedDim]),
                       ("\(head)_pred.weight", [c.patchPixels, c.decoderEmbedDim]), ("\(head)_pred.bias", [c.patchPixels])]
        }
        return shapes
    }

    /// The fixed (untrained) tensors of the reference's `state_dict`.
    public var fixedShapes: [(String, [Int])] { UGMAE.fixedShapes(configuration) }

    /// The fixed (untrained) tensors of the reference's `state_dict` for `c`.
    public static func fixedShapes(_ c: UGMAEConfiguration) -> [(String, [Int])] {
        [("pos_embed", [1, 1 + c.patchCount, c.embedDim]), ("decoder_pos_embed", [1, 1 + c.patchCount, c.decoderEmbedDim])]
    }
}
