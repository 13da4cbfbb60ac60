import U2ADRuntime

extension UGMAE {
    /// Buffers for one batch capacity: views of one arena whose size is plain arithmetic (``layout(_:batch:training:)``).
    /// Training workspaces keep every block's activations for the backward pass; inference workspaces reuse one set
    /// for all blocks and plan no gradients.
    public final class Workspace {
        public let capacity: Int
        public let isTraining: Bool
        public let arena: Arena
        /// The image store: `capacity` images of `size x size`, which ``UGMAE/forward(_:imageSlots:mask:dropout:heads:)``
        /// reads by slot.
        public let images: Buffer
        let patches, tokens, latent, latentMean, latentRstd, embedded: Buffer
        /// `[capacity]` int32: the image slot of each batch row.
        let imageSlots: Buffer
        /// `[capacity, L]` int32: the mask as ``PatchMask/order``.
        let maskOrder: Buffer
        /// The mask's row maps (backward maps in training workspaces only).
        let rows: MaskRows
        let encoderStreams: [Buffer]
        let decoderStreams: [Buffer]
        let encoderActivations: [TransformerBlock.Activations]
        let decoderActivations: [TransformerBlock.Activations]
        let encoderScratch: TransformerBlock.Scratch
        let decoderScratch: TransformerBlock.Scratch
        let normed: [Buffer], headMean: [Buffer], headRstd: [Buffer], outputs: [Buffer]
        // Backward buffers (training only).
        let headGradients: [Buffer]
        let dNormed, dDecoder, dEmbedded, dLatent, dEncoder, dTokens, clsRows, maskRows: Buffer?
        /// The mask and image slots of the last forward pass, whose row maps and slots are on the device.
        var mask: PatchMask?
        var slots: [Int]?
        /// The heads the last forward pass ran.
        var heads = HeadSelection.both

        /// Every buffer of a workspace for `batch` images, by name and shape (llm.c's `fill_in_activation_sizes`).
        public static func layout(_ c: UGMAEConfiguration, batch: Int, training: Bool) -> ArenaLayout {
            let E = c.embedDim, D = c.decoderEmbedDim, L = c.patchCount, P = c.patchPixels, rows = batch * (1 + L)
            var layout = ArenaLayout()
            layout.add("images", [batch * c.pixelCount])
            layout.add("imageSlots", [batch], elementType: .int32)
            layout.add("maskOrder", [batch * L], elementType: .int32)
            for name in ["encoderRows", "decoderRows"] + (training ? ["embeddedRows"] : []) { layout.add(name, [batch * (1 + L)], elementType: .int32) }
            if training {
                for name in ["patchTokenRows", "maskTokenRows"] { layout.add(name, [batch * L], elementType: .int32) }
                layout.add("clsRowIndex", [batch], elementType: .int32)
            }
            layout.add("patches", [batch * L, P])
            layout.add("tokens", [batch * L, E])
            for i in 0..<(training ? c.depth + 1 : 2) { layout.add("encoderStream\(i)", [rows, E]) }
            for i in 0..<(training ? c.decoderDepth + 1 : 2) { layout.add("decoderStream\(i)", [rows, D]) }
            let encoderBlock = TransformerBlock(prefix: "", dim: E, heads: c.heads, mlpRatio: c.mlpRatio, layer: 0)
            let decoderBlock = TransformerBlock(prefix: "", dim: D, heads: c.decoderHeads, mlpRatio: c.mlpRatio, layer: 0)
            for i in 0..<(training ? c.depth : 1) {
                TransformerBlock.Activations.plan(&layout, prefix: "encoder\(i).", block: encoderBlock, batch: batch, tokens: 1 + L, training: training)
            }
            for i in 0..<(training ? c.decoderDepth : 1) {
                TransformerBlock.Activations.plan(&layout, prefix: "decoder\(i).", block: decoderBlock, batch: batch, tokens: 1 + L, training: training)
            }
            TransformerBlock.Scratch.plan(&layout, prefix: "encoderScratch.", dim: E, hiddenDim: E * c.mlpRatio, rows: rows, training: training)
            TransformerBlock.Scratch.plan(&layout, prefix: "decoderScratch.", dim: D, hiddenDim: D * c.mlpRatio, rows: rows, training: training)
            layout.add("latent", [rows, E])
            layout.add("latentMean", [rows])
            layout.add("latentRstd", [rows])
            layout.add("embedded", [rows, D])
            for h in 0..<2 {
                layout.add("normed\(h)", [rows, D])
                layout.add("headMean\(h)", [rows])
                layout.add("headRstd\(h)", [rows])
                layout.add("output\(h)", [rows, P])
            }
            if training {
                for h in 0..<2 { layout.add("headGradient\(h)", [rows, P]) }
                for name in ["dNormed", "dDecoder", "dEmbedded"] { layout.add(name, [rows, D]) }
                for name in ["dLatent", "dEncoder"] { layout.add(name, [rows, E]) }
                layout.add("dTokens", [batch * L, E])
                layout.add("clsRows", [batch, E])
                layout.add("maskRows", [batch * L, D])
            }
            return layout
        }

        /// Bytes of a workspace for `batch` images (the whole arena, padding included).
        public static func bytes(_ c: UGMAEConfiguration, batch: Int, training: Bool) -> Int {
            layout(c, batch: batch, training: training).byteCount
        }

        public init(model: UGMAE, batch: Int, training: Bool) throws {
            let c = model.configuration, backend = model.backend
            capacity = batch
            isTraining = training
            let arena = try Arena(device: backend, layout: Workspace.layout(c, batch: batch, training: training))
            self.arena = arena
            images = try arena["images"]
            imageSlots = try arena["imageSlots"]
            maskOrder = try arena["maskOrder"]
            rows = MaskRows(encoder: try arena["encoderRows"], decoder: try arena["decoderRows"],
                            patchTokens: training ? try arena["patchTokenRows"] : nil, cls: training ? try arena["clsRowIndex"] : nil,
                            embedded: training ? try arena["embeddedRows"] : nil, maskTokens: training ? try arena["maskTokenRows"] : nil)
            patches = try arena["patches"]
            tokens = try arena["tokens"]
            encoderStreams = try (0..<(training ? c.depth + 1 : 2)).map { try arena["encoderStream\($0)"] }
            decoderStreams = try (0..<(training ? c.decoderDepth + 1 : 2)).map { try arena["decoderStream\($0)"] }
            encoderActivations = try (0..<(training ? c.depth : 1)).map { try TransformerBlock.Activations(arena: arena, prefix: "encoder\($0).") }
            decoderActivations = try (0..<(training ? c.decoderDepth : 1)).map { try TransformerBlock.Activations(arena: arena, prefix: "decoder\($0).") }
            encoderScratch = try TransformerBlock.Scratch(arena: arena, prefix: "encoderScratch.")
            decoderScratch = try TransformerBlock.Scratch(arena: arena, prefix: "decoderScratch.")
            latent = try arena["latent"]
            latentMean = try arena["latentMean"]; latentRstd = try arena["latentRstd"]
            embedded = try arena["embedded"]
            normed = try (0..<2).map { try arena["normed\($0)"] }
            headMean = try (0..<2).map { try arena["headMean\($0)"] }
            headRstd = try (0..<2).map { try arena["headRstd\($0)"] }
            outputs = try (0..<2).map { try arena["output\($0)"] }
            if training {
                headGradients = try (0..<2).map { try arena["headGradient\($0)"] }
                dNormed = try arena["dNormed"]; dDecoder = try arena["dDecoder"]; dEmbedded = try arena["dEmbedded"]
                dLatent = try arena["dLatent"]; dEncoder = try arena["dEncoder"]; dTokens = try arena["dTokens"]
                clsRows = try arena["clsRows"]; maskRows = try arena["maskRows"]
            } else {
                headGradients = []
                dNormed = nil; dDecoder = nil; dEmbedded = nil; dLatent = nil; dEncoder = nil; dTokens = nil; clsRows = nil; maskRows = nil
            }
        }
    }

    private static let headNames = ["rec", "edge"]

    // MARK: Forward

    /// Which heads a forward pass runs: both (training, reconstruction) or the intensity head alone (MC inference).
    public enum HeadSelection: Sendable {
        case both, intensity
    }

    /// Runs encoder, decoder and the heads on `images` (`[B, size * size]` flattened, uploaded into slots `0..<B`)
    /// with `mask`. Read the heads with ``headOutputs(_:)``.
    public func forward(_ w: Workspace, images: [Float], mask: PatchMask, dropout: TransformerBlock.Dropout? = nil,
                        heads: HeadSelection = .both) throws {
        precondition(images.count == mask.batch * configuration.pixelCount, "images hold \(images.count) values for a batch of \(mask.batch)")
        precondition(mask.batch <= w.capacity, "batch \(mask.batch) exceeds the workspace capacity \(w.capacity)")
        try backend.upload(images, to: w.images)
        try forward(w, imageSlots: Array(0..<mask.batch), mask: mask, dropout: dropout, heads: heads)
    }

    /// Writes `image` (`size * size`) into slot `slot` of the workspace's image store.
    public func placeImage(_ image: [Float], slot: Int, in w: Workspace) throws {
        let pixels = configuration.pixelCount
        precondition(image.count == pixels && (0..<w.capacity).contains(slot), "image of \(image.count) values into slot \(slot) of \(w.capacity)")
        try backend.upload(image, to: w.images, offset: slot * pixels)
    }

    /// Runs encoder, decoder and the selected heads with batch row `b` reading the image in slot `imageSlots[b]`
    /// (placed by ``placeImage(_:slot:in:)``), hiding the patches of `mask`. A batch uploads only what changed since the
    /// last pass: the mask as its patch order (4 bytes a patch), the slots, and nothing else.
    public func forward(_ w: Workspace, imageSlots: [Int], mask: PatchMask, dropout: TransformerBlock.Dropout? = nil,
                        heads: HeadSelection = .both) throws {
        let c = configuration, p = parameters
        let B = mask.batch, E = c.embedDim, D = c.decoderEmbedDim, L = c.patchCount
        precondition(B <= w.capacity, "batch \(B) exceeds the workspace capacity \(w.capacity)")
        precondition(imageSlots.count == B && imageSlots.allSatisfy { (0..<w.capacity).contains($0) }, "image slots \(imageSlots) for a batch of \(B)")
        let encoderTokens = 1 + mask.visibleCount, decoderTokens = 1 + L
        try setMask(mask, imageSlots: imageSlots, in: w)

        try backend.patchify(w.images, slots: w.imageSlots, into: w.patches, batch: B, size: c.imageSize, patch: c.patchSize)
        try backend.gemm(w.patches, p["patch_embed.proj.weight"], into: w.tokens, m: B * L, n: E, k: c.patchPixels, transposeA: false, transposeB: true,
                         fusion: GEMMFusion(bias: p["patch_embed.proj.bias"], residual: patchPositions, residualRows: L))
        try backend.gatherRows(w.tokens, rows: w.rows.encoder, into: w.encoderStreams[0], count: B * encoderTokens, width: E,
                               fill: p["cls_token"], table: nil, period: 1)
        let encoded = try runBlocks(encoderBlocks, streams: w.encoderStreams, activations: w.encoderActivations, scratch: w.encoderScratch,
                                training: w.isTraining, batch: B, tokens: encoderTokens, dropout: dropout)

        let latentNorm = LayerNormInput(gamma: p["norm.weight"], beta: p["norm.bias"], epsilon: TransformerBlock.layerNormEpsilon,
                                        normalized: w.latent, mean: w.latentMean, rstd: w.latentRstd, saved: w.isTraining)
        try backend.gemm(encoded, p["decoder_embed.weight"], into: w.embedded, m: B * encoderTokens, n: D, k: E, transposeA: false, transposeB: true,
                         fusion: GEMMFusion(bias: p["decoder_embed.bias"], layerNorm: latentNorm))
        try backend.gatherRows(w.embedded, rows: w.rows.decoder, into: w.decoderStreams[0], count: B * decoderTokens, width: D,
                               fill: p["mask_token"], table: decoderPositions, period: decoderTokens)
        let decoded = try runBlocks(decoderBlocks, streams: w.decoderStreams, activations: w.decoderActivations, scratch: w.decoderScratch,
                                training: w.isTraining, batch: B, tokens: decoderTokens, dropout: dropout)

        for (h, name) in Self.headNames.enumerated() where h == 0 || heads == .both {
            let headNorm = LayerNormInput(gamma: p["\(name)_norm.weight"], beta: p["\(name)_norm.bias"], epsilon: TransformerBlock.layerNormEpsilon,
                                          normalized: w.normed[h], mean: w.headMean[h], rstd: w.headRstd[h], saved: w.isTraining)
            try backend.gemm(decoded, p["\(name)_pred.weight"], into: w.outputs[h], m: B * decoderTokens, n: c.patchPixels, k: D, transposeA: false,
                             transposeB: true, fusion: GEMMFusion(bias: p["\(name)_pred.bias"], activation: .sigmoid, layerNorm: headNorm))
        }
        w.heads = heads
    }

    /// Runs `blocks` over `streams`; returns the buffer holding the last block's output.
    private func runBlocks(_ blocks: [TransformerBlock], streams: [Buffer], activations: [TransformerBlock.Activations],
                           scratch: TransformerBlock.Scratch, training: Bool, batch: Int, tokens: Int,
                           dropout: TransformerBlock.Dropout?) throws -> Buffer {
        for (i, block) in blocks.enumerated() {
            if training {
                try block.forward(streams[i], into: streams[i + 1], batch: batch, tokens: tokens, parameters: parameters,
                              saving: activations[i], scratch: scratch, dropout: dropout)
            } else {
                try block.infer(streams[i % 2], into: streams[(i + 1) % 2], batch: batch, tokens: tokens, parameters: parameters,
                            workspace: activations[0], scratch: scratch, dropout: dropout)
            }
        }
        return training ? streams[blocks.count] : streams[blocks.count % 2]
    }

    /// Uploads the mask's patch order and builds its row maps on the device, and uploads the image slots, each only
    /// when it differs from the last pass's.
    private func setMask(_ mask: PatchMask, imageSlots: [Int], in w: Workspace) throws {
        if w.mask != mask {
            w.mask = nil
            try backend.upload(mask.order, to: w.maskOrder)
            try backend.buildMaskRows(order: w.maskOrder, batch: mask.batch, patches: mask.patchCount, visible: mask.visibleCount, into: w.rows)
            w.mask = mask
        }
        if w.slots != imageSlots {
            try backend.upload(imageSlots.map { Int32($0) }, to: w.imageSlots)
            w.slots = imageSlots
        }
    }

    /// The intensity head's output of the last forward pass on the device, `[B, 1 + L, P*P]` (row `b (1 + L)` is the
    /// cls row): what MC inference accumulates without downloading it.
    public func intensityOutput(_ w: Workspace) -> Buffer { w.outputs[0] }

    /// The two heads' outputs of the last forward pass, patchified `[B, L, P*P]` (cls rows dropped); the edge head is
    /// empty when the pass ran the intensity head alone.
    public func headOutputs(_ w: Workspace) throws -> (intensity: [Float], edge: [Float]) {
        guard let mask = w.mask else { return ([], []) }
        let L = configuration.patchCount, P = configuration.patchPixels
        func strip(_ values: [Float]) -> [Float] {
            var out = [Float]()
            out.reserveCapacity(mask.batch * L * P)
            for b in 0..<mask.batch { out.append(contentsOf: values[((b * (1 + L) + 1) * P)..<((b + 1) * (1 + L) * P)]) }
            return out
        }
        return (strip(try backend.download(w.outputs[0])), w.heads == .both ? strip(try backend.download(w.outputs[1])) : [])
    }

    // MARK: Backward

    /// Back-propagates dLoss/d(head outputs) (patchified `[B, L, P*P]`, as from ``ReconstructionLoss``)
    /// through the last forward pass, writing every parameter gradient into the arena.
    public func backward(_ w: Workspace, intensityGradient: [Float], edgeGradient: [Float], dropout: TransformerBlock.Dropout? = nil) throws {
        guard w.isTraining, let mask = w.mask, w.heads == .both, let patchTokenRows = w.rows.patchTokens, let clsRowIndex = w.rows.cls,
              let embeddedRows = w.rows.embedded, let maskTokenRows = w.rows.maskTokens,
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
            try backend.upload(padded, to: w.headGradients[h])
            try backend.activationBackward(.sigmoid, pre: w.outputs[h], gradOutput: w.headGradients[h], into: w.headGradients[h], count: padded.count)
            try linearBackward(w.headGradients[h], input: w.normed[h], weight: "\(name)_pred", inFeatures: D, outFeatures: P,
                           rows: B * decoderTokens, gradInput: dNormed, parameters: p)
            try backend.layerNormBackward(dNormed, x: decoded, gamma: p["\(name)_norm.weight"], mean: w.headMean[h], rstd: w.headRstd[h],
                                      dx: dDecoder, adding: h == 1 ? dDecoder : nil, dgamma: p.gradient("\(name)_norm.weight"),
                                      dbeta: p.gradient("\(name)_norm.bias"), rows: B * decoderTokens, dim: D)
        }
        for i in stride(from: c.decoderDepth - 1, through: 0, by: -1) {
            try decoderBlocks[i].backward(dDecoder, input: w.decoderStreams[i], into: dDecoder, batch: B, tokens: decoderTokens,
                                      parameters: p, saved: w.decoderActivations[i], scratch: w.decoderScratch, dropout: dropout)
        }

        // Mask token and the unshuffle back to the encoder's rows.
        if mask.maskedCount > 0 {
            try backend.gatherRows(dDecoder, rows: maskTokenRows, into: maskRows, count: B * mask.maskedCount, width: D, fill: nil, table: nil, period: 1)
            try backend.reduce(maskRows, into: p.gradient("mask_token"), outer: 1, length: B * mask.maskedCount, inner: D, operation: .sum)
        } else {
            try backend.fill(p.gradient("mask_token"), with: 0, count: D)
        }
        try backend.gatherRows(dDecoder, rows: embeddedRows, into: dEmbedded, count: B * encoderTokens, width: D, fill: nil, table: nil, period: 1)
        try linearBackward(dEmbedded, input: w.latent, weight: "decoder_embed", inFeatures: E, outFeatures: D, rows: B * encoderTokens,
                       gradInput: dLatent, parameters: p)
        try backend.layerNormBackward(dLatent, x: encoded, gamma: p["norm.weight"], mean: w.latentMean, rstd: w.latentRstd, dx: dEncoder,
                                  adding: nil, dgamma: p.gradient("norm.weight"), dbeta: p.gradient("norm.bias"), rows: B * encoderTokens, dim: E)
        for i in stride(from: c.depth - 1, through: 0, by: -1) {
            try encoderBlocks[i].backward(dEncoder, input: w.encoderStreams[i], into: dEncoder, batch: B, tokens: encoderTokens,
                                      parameters: p, saved: w.encoderActivations[i], scratch: w.encoderScratch, dropout: dropout)
        }

        // cls token and patch embedding.
        try backend.gatherRows(dEncoder, rows: clsRowIndex, into: clsRows, count: B, width: E, fill: nil, table: nil, period: 1)
        try backend.reduce(clsRows, into: p.gradient("cls_token"), outer: 1, length: B, inner: E, operation: .sum)
        try backend.gatherRows(dEncoder, rows: patchTokenRows, into: dTokens, count: B * L, width: E, fill: nil, table: nil, period: 1)
        try linearBackward(dTokens, input: w.patches, weight: "patch_embed.proj", inFeatures: P, outFeatures: E, rows: B * L,
                       gradInput: nil, parameters: p)
    }

    /// One Adam step over every trainable parameter.
    public func applyAdam(_ step: AdamStep, moments: (first: Buffer, second: Buffer)) throws {
        try backend.adam(parameters: parameters.values, gradients: parameters.gradients, firstMoment: moments.first,
                     secondMoment: moments.second, count: parameters.capacity, step: step)
    }
}
