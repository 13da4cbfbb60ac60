import U2ADRuntime

extension UGMAE {
    /// Buffers for one batch capacity, planned once. Training workspaces keep every block's
    /// activations for the backward pass; inference workspaces reuse one set for all blocks.
    public final class Workspace {
        public let capacity: Int
        public let isTraining: Bool
        let images, patches, tokens, latent, latentMean, latentRstd, embedded: Buffer
        let patchIndex: Buffer
        let encoderStreams: [Buffer]
        let decoderStreams: [Buffer]
        let encoderActivations: [TransformerBlock.Activations]
        let decoderActivations: [TransformerBlock.Activations]
        let encoderScratch: TransformerBlock.Scratch
        let decoderScratch: TransformerBlock.Scratch
        let normed: [Buffer], headMean: [Buffer], headRstd: [Buffer], outputs: [Buffer]
        // Backward buffers (training only; empty placeholders otherwise).
        let headGradients: [Buffer]
        let dNormed, dDecoder, dEmbedded, dLatent, dEncoder, dTokens, clsRows, maskRows: Buffer?
        /// The batch of the last forward pass.
        var mask: PatchMask?
        var indexes: (encoder: Buffer, tokens: Buffer, cls: Buffer, decoder: Buffer, embedded: Buffer, maskRows: Buffer)?

        public init(model: UGMAE, batch: Int, training: Bool) throws {
            let c = model.configuration, backend = model.backend
            let E = c.embedDim, D = c.decoderEmbedDim, L = c.patchCount, P = c.patchPixels, T = 1 + L
            let rows = batch * T
            capacity = batch
            isTraining = training
            images = try backend.makeBuffer([batch * c.pixelCount])
            patchIndex = try backend.makeIndexBuffer(Patchify.gatherIndex(batch: batch, size: c.imageSize, patch: c.patchSize))
            patches = try backend.makeBuffer([batch * L, P])
            tokens = try backend.makeBuffer([batch * L, E])
            let streams = training ? c.depth + 1 : 2
            encoderStreams = try (0..<streams).map { _ in try backend.makeBuffer([rows, E]) }
            decoderStreams = try (0..<(training ? c.decoderDepth + 1 : 2)).map { _ in try backend.makeBuffer([rows, D]) }
            encoderActivations = try (0..<(training ? c.depth : 1)).map { _ in
                try TransformerBlock.Activations(backend: backend, block: model.encoderBlocks[0], batch: batch, tokens: T, training: training)
            }
            decoderActivations = try (0..<(training ? c.decoderDepth : 1)).map { _ in
                try TransformerBlock.Activations(backend: backend, block: model.decoderBlocks[0], batch: batch, tokens: T, training: training)
            }
            encoderScratch = try TransformerBlock.Scratch(backend: backend, dim: E, hiddenDim: E * c.mlpRatio, rows: rows, training: training)
            decoderScratch = try TransformerBlock.Scratch(backend: backend, dim: D, hiddenDim: D * c.mlpRatio, rows: rows, training: training)
            latent = try backend.makeBuffer([rows, E])
            latentMean = try backend.makeBuffer([rows]); latentRstd = try backend.makeBuffer([rows])
            embedded = try backend.makeBuffer([rows, D])
            normed = try (0..<2).map { _ in try backend.makeBuffer([rows, D]) }
            headMean = try (0..<2).map { _ in try backend.makeBuffer([rows]) }
            headRstd = try (0..<2).map { _ in try backend.makeBuffer([rows]) }
            outputs = try (0..<2).map { _ in try backend.makeBuffer([rows, P]) }
            if training {
                headGradients = try (0..<2).map { _ in try backend.makeBuffer([rows, P]) }
                dNormed = try backend.makeBuffer([rows, D]); dDecoder = try backend.makeBuffer([rows, D])
                dEmbedded = try backend.makeBuffer([rows, D]); dLatent = try backend.makeBuffer([rows, E])
                dEncoder = try backend.makeBuffer([rows, E]); dTokens = try backend.makeBuffer([batch * L, E])
                clsRows = try backend.makeBuffer([batch, E]); maskRows = try backend.makeBuffer([batch * L, D])
            } else {
                headGradients = []
                dNormed = nil; dDecoder = nil; dEmbedded = nil; dLatent = nil; dEncoder = nil; dTokens = nil; clsRows = nil; maskRows = nil
            }
        }
    }

    private static let headNames = ["rec", "edge"]

    // MARK: Forward

    /// Runs encoder, decoder and both heads on `images` (`[B, size * size]` flattened) with `mask`.
    /// Read the heads with ``headOutputs(_:)``.
    public func forward(_ w: Workspace, images: [Float], mask: PatchMask, dropout: TransformerBlock.Dropout? = nil) throws {
        let c = configuration, p = parameters
        let B = mask.batch, E = c.embedDim, D = c.decoderEmbedDim, L = c.patchCount, P = c.patchPixels
        precondition(B <= w.capacity, "batch \(B) exceeds the workspace capacity \(w.capacity)")
        precondition(images.count == B * c.pixelCount, "images hold \(images.count) values for a batch of \(B)")
        let encoderTokens = 1 + mask.visibleCount, decoderTokens = 1 + L
        try setMask(mask, in: w)
        guard let index = w.indexes else { return }

        backend.upload(images, to: w.images)
        backend.gather(w.images, index: w.patchIndex, into: w.patches, count: B * L * P, fill: nil, fillPeriod: 1)
        backend.gemm(w.patches, p["patch_embed.proj.weight"], into: w.tokens, m: B * L, n: E, k: P, transposeA: false, transposeB: true,
                     bias: p["patch_embed.proj.bias"], activation: .none, residual: nil)
        backend.addBroadcastRows(w.tokens, table: patchPositions, into: w.tokens, rows: B * L, cols: E, period: L)
        backend.gather(w.tokens, index: index.encoder, into: w.encoderStreams[0], count: B * encoderTokens * E, fill: p["cls_token"], fillPeriod: E)
        let encoded = runBlocks(encoderBlocks, streams: w.encoderStreams, activations: w.encoderActivations, scratch: w.encoderScratch,
                                training: w.isTraining, batch: B, tokens: encoderTokens, dropout: dropout)

        backend.layerNormForward(encoded, gamma: p["norm.weight"], beta: p["norm.bias"], into: w.latent, mean: w.latentMean, rstd: w.latentRstd,
                                 rows: B * encoderTokens, dim: E, epsilon: TransformerBlock.layerNormEpsilon)
        backend.gemm(w.latent, p["decoder_embed.weight"], into: w.embedded, m: B * encoderTokens, n: D, k: E, transposeA: false, transposeB: true,
                     bias: p["decoder_embed.bias"], activation: .none, residual: nil)
        backend.gather(w.embedded, index: index.decoder, into: w.decoderStreams[0], count: B * decoderTokens * D, fill: p["mask_token"], fillPeriod: D)
        backend.addBroadcastRows(w.decoderStreams[0], table: decoderPositions, into: w.decoderStreams[0], rows: B * decoderTokens, cols: D, period: decoderTokens)
        let decoded = runBlocks(decoderBlocks, streams: w.decoderStreams, activations: w.decoderActivations, scratch: w.decoderScratch,
                                training: w.isTraining, batch: B, tokens: decoderTokens, dropout: dropout)

        for (h, name) in Self.headNames.enumerated() {
            backend.layerNormForward(decoded, gamma: p["\(name)_norm.weight"], beta: p["\(name)_norm.bias"], into: w.normed[h],
                                     mean: w.headMean[h], rstd: w.headRstd[h], rows: B * decoderTokens, dim: D, epsilon: TransformerBlock.layerNormEpsilon)
            backend.gemm(w.normed[h], p["\(name)_pred.weight"], into: w.outputs[h], m: B * decoderTokens, n: P, k: D, transposeA: false, transposeB: true,
                         bias: p["\(name)_pred.bias"], activation: .sigmoid, residual: nil)
        }
    }

    /// Runs `blocks` over `streams`; returns the buffer holding the last block's output.
    private func runBlocks(_ blocks: [TransformerBlock], streams: [Buffer], activations: [TransformerBlock.Activations],
                           scratch: TransformerBlock.Scratch, training: Bool, batch: Int, tokens: Int,
                           dropout: TransformerBlock.Dropout?) -> Buffer {
        for (i, block) in blocks.enumerated() {
            if training {
                block.forward(streams[i], into: streams[i + 1], batch: batch, tokens: tokens, parameters: parameters,
                              saving: activations[i], scratch: scratch, dropout: dropout)
            } else {
                block.infer(streams[i % 2], into: streams[(i + 1) % 2], batch: batch, tokens: tokens, parameters: parameters,
                            workspace: activations[0], scratch: scratch, dropout: dropout)
            }
        }
        return training ? streams[blocks.count] : streams[blocks.count % 2]
    }

    private func setMask(_ mask: PatchMask, in w: Workspace) throws {
        if w.mask == mask, w.indexes != nil { return }
        let E = configuration.embedDim, D = configuration.decoderEmbedDim
        w.indexes = (encoder: try backend.makeIndexBuffer(mask.encoderGatherIndex(width: E)),
                     tokens: try backend.makeIndexBuffer(mask.patchTokenGatherIndex(width: E)),
                     cls: try backend.makeIndexBuffer(mask.clsRowIndex(width: E)),
                     decoder: try backend.makeIndexBuffer(mask.decoderGatherIndex(width: D)),
                     embedded: try backend.makeIndexBuffer(mask.embeddedGatherIndex(width: D)),
                     maskRows: try backend.makeIndexBuffer(mask.maskTokenRowIndex(width: D)))
        w.mask = mask
    }

    /// The two heads' outputs of the last forward pass, patchified `[B, L, P*P]` (cls rows dropped).
    public func headOutputs(_ w: Workspace) -> (intensity: [Float], edge: [Float]) {
        guard let mask = w.mask else { return ([], []) }
        let L = configuration.patchCount, P = configuration.patchPixels
        func strip(_ values: [Float]) -> [Float] {
            var out = [Float]()
            out.reserveCapacity(mask.batch * L * P)
            for b in 0..<mask.batch { out.append(contentsOf: values[((b * (1 + L) + 1) * P)..<((b + 1) * (1 + L) * P)]) }
            return out
        }
        return (strip(backend.download(w.outputs[0])), strip(backend.download(w.outputs[1])))
    }

    // MARK: Backward

    /// Back-propagates dLoss/d(head outputs) (patchified `[B, L, P*P]`, as from ``ReconstructionLoss``)
    /// through the last forward pass, writing every parameter gradient into the arena.
    public func backward(_ w: Workspace, intensityGradient: [Float], edgeGradient: [Float], dropout: TransformerBlock.Dropout? = nil) {
        guard w.isTraining, let mask = w.mask, let index = w.indexes,
              let dNormed = w.dNormed, let dDecoder = w.dDecoder, let dEmbedded = w.dEmbedded, let dLatent = w.dLatent,
              let dEncoder = w.dEncoder, let dTokens = w.dTokens, let clsRows = w.clsRows, let maskRows = w.maskRows else {
            preconditionFailure("backward needs a training workspace after a forward pass")
        }
        let c = configuration, p = parameters
        let B = mask.batch, E = c.embedDim, D = c.decoderEmbedDim, L = c.patchCount, P = c.patchPixels
        let encoderTokens = 1 + mask.visibleCount, decoderTokens = 1 + L
        let decoded = w.decoderStreams[c.decoderDepth], encoded = w.encoderStreams[c.depth]

        // Heads: sigmoid(Linear(LayerNorm(decoded))), each feeding the decoder output gradient.
        for (h, name) in Self.headNames.enumerated() {
            let gradient = h == 0 ? intensityGradient : edgeGradient
            var padded = [Float](repeating: 0, count: B * decoderTokens * P)
            for b in 0..<B {
                padded.replaceSubrange(((b * decoderTokens + 1) * P)..<((b + 1) * decoderTokens * P), with: gradient[(b * L * P)..<((b + 1) * L * P)])
            }
            backend.upload(padded, to: w.headGradients[h])
            backend.activationBackward(.sigmoid, pre: w.outputs[h], gradOutput: w.headGradients[h], into: w.headGradients[h], count: padded.count)
            linearBackward(w.headGradients[h], input: w.normed[h], weight: "\(name)_pred", inFeatures: D, outFeatures: P,
                           rows: B * decoderTokens, gradInput: dNormed, parameters: p)
            backend.layerNormBackward(dNormed, x: decoded, gamma: p["\(name)_norm.weight"], mean: w.headMean[h], rstd: w.headRstd[h],
                                      dx: dDecoder, dgamma: p.gradient("\(name)_norm.weight"), dbeta: p.gradient("\(name)_norm.bias"),
                                      rows: B * decoderTokens, dim: D, accumulate: h == 1)
        }
        for i in stride(from: c.decoderDepth - 1, through: 0, by: -1) {
            decoderBlocks[i].backward(dDecoder, input: w.decoderStreams[i], into: dDecoder, batch: B, tokens: decoderTokens,
                                      parameters: p, saved: w.decoderActivations[i], scratch: w.decoderScratch, dropout: dropout)
        }

        // Mask token and the unshuffle back to the encoder's rows.
        if mask.maskedCount > 0 {
            backend.gather(dDecoder, index: index.maskRows, into: maskRows, count: B * mask.maskedCount * D, fill: nil, fillPeriod: 1)
            backend.reduce(maskRows, into: p.gradient("mask_token"), outer: 1, length: B * mask.maskedCount, inner: D, operation: .sum)
        } else {
            backend.fill(p.gradient("mask_token"), with: 0, count: D)
        }
        backend.gather(dDecoder, index: index.embedded, into: dEmbedded, count: B * encoderTokens * D, fill: nil, fillPeriod: 1)
        linearBackward(dEmbedded, input: w.latent, weight: "decoder_embed", inFeatures: E, outFeatures: D, rows: B * encoderTokens,
                       gradInput: dLatent, parameters: p)
        backend.layerNormBackward(dLatent, x: encoded, gamma: p["norm.weight"], mean: w.latentMean, rstd: w.latentRstd, dx: dEncoder,
                                  dgamma: p.gradient("norm.weight"), dbeta: p.gradient("norm.bias"), rows: B * encoderTokens, dim: E, accumulate: false)
        for i in stride(from: c.depth - 1, through: 0, by: -1) {
            encoderBlocks[i].backward(dEncoder, input: w.encoderStreams[i], into: dEncoder, batch: B, tokens: encoderTokens,
                                      parameters: p, saved: w.encoderActivations[i], scratch: w.encoderScratch, dropout: dropout)
        }

        // cls token and patch embedding.
        backend.gather(dEncoder, index: index.cls, into: clsRows, count: B * E, fill: nil, fillPeriod: 1)
        backend.reduce(clsRows, into: p.gradient("cls_token"), outer: 1, length: B, inner: E, operation: .sum)
        backend.gather(dEncoder, index: index.tokens, into: dTokens, count: B * L * E, fill: nil, fillPeriod: 1)
        linearBackward(dTokens, input: w.patches, weight: "patch_embed.proj", inFeatures: P, outFeatures: E, rows: B * L,
                       gradInput: nil, parameters: p)
    }

    /// One Adam step over every trainable parameter.
    public func applyAdam(_ step: AdamStep, moments: (first: Buffer, second: Buffer)) {
        backend.adam(parameters: parameters.values, gradients: parameters.gradients, firstMoment: moments.first,
                     secondMoment: moments.second, count: parameters.capacity, step: step)
    }
}
