import U2ADRandom
import U2ADRuntime

/// A pre-norm ViT block as timm's `Block(dim, heads, mlp_ratio=4, qkv_bias=True, norm_layer=nn.LayerNorm)`:
/// `x + proj(attn(ln1(x)))`, then `x + fc2(gelu(fc1(ln2(x))))`. Forward and backward side by side.
///
/// Parameters live in a ``ParameterArena`` under `prefix` (e.g. `blocks.3.`) with timm's names.
public struct TransformerBlock {
    public let prefix: String
    public let dim: Int
    public let heads: Int
    public let hiddenDim: Int
    /// Index used to address this block's dropout streams.
    public let layer: Int
    public static let layerNormEpsilon: Float = 1e-5

    public init(prefix: String, dim: Int, heads: Int, mlpRatio: Int = 4, layer: Int) {
        self.prefix = prefix
        self.dim = dim
        self.heads = heads
        self.hiddenDim = dim * mlpRatio
        self.layer = layer
    }

    /// The block's tensors with timm's names and shapes.
    public var parameterShapes: [(String, [Int])] {
        [("norm1.weight", [dim]), ("norm1.bias", [dim]),
         ("attn.qkv.weight", [3 * dim, dim]), ("attn.qkv.bias", [3 * dim]),
         ("attn.proj.weight", [dim, dim]), ("attn.proj.bias", [dim]),
         ("norm2.weight", [dim]), ("norm2.bias", [dim]),
         ("mlp.fc1.weight", [hiddenDim, dim]), ("mlp.fc1.bias", [hiddenDim]),
         ("mlp.fc2.weight", [dim, hiddenDim]), ("mlp.fc2.bias", [dim])].map { (prefix + $0.0, $0.1) }
    }

    /// Activations saved by the forward pass for the backward pass: views of a workspace arena, planned once for a
    /// row capacity.
    public final class Activations {
        let ln1, mean1, rstd1, qkv, attention, logSumExp, x1, ln2, mean2, rstd2, hidden, activated: Buffer

        /// Reserves one block's activations under `prefix`. `training: false` leaves out the GELU pre-activation,
        /// which only the backward pass reads.
        public static func plan(_ layout: inout ArenaLayout, prefix: String, block: TransformerBlock, batch: Int, tokens: Int, training: Bool) {
            let rows = batch * tokens, d = block.dim
            for name in ["ln1", "x1", "ln2", "attention"] { layout.add(prefix + name, [rows, d]) }
            for name in ["mean1", "rstd1", "mean2", "rstd2"] { layout.add(prefix + name, [rows]) }
            layout.add(prefix + "qkv", [rows, 3 * d])
            layout.add(prefix + "logSumExp", [batch * block.heads * tokens])
            layout.add(prefix + "hidden", [training ? rows : 1, block.hiddenDim])
            layout.add(prefix + "activated", [rows, block.hiddenDim])
        }

        /// The views of the activations planned under `prefix`.
        public init(arena: Arena, prefix: String) throws {
            ln1 = try arena[prefix + "ln1"]; mean1 = try arena[prefix + "mean1"]; rstd1 = try arena[prefix + "rstd1"]
            qkv = try arena[prefix + "qkv"]; attention = try arena[prefix + "attention"]; logSumExp = try arena[prefix + "logSumExp"]
            x1 = try arena[prefix + "x1"]
            ln2 = try arena[prefix + "ln2"]; mean2 = try arena[prefix + "mean2"]; rstd2 = try arena[prefix + "rstd2"]
            hidden = try arena[prefix + "hidden"]; activated = try arena[prefix + "activated"]
        }

        /// One block's activations in an arena of their own.
        public convenience init(backend: Backend, block: TransformerBlock, batch: Int, tokens: Int, training: Bool = true) throws {
            var layout = ArenaLayout()
            Activations.plan(&layout, prefix: "", block: block, batch: batch, tokens: tokens, training: training)
            try self.init(arena: Arena(device: backend, layout: layout), prefix: "")
        }
    }

    /// Scratch shared by the backward passes of every block of one width.
    public final class Scratch {
        let dHidden, dNormed, dAttention, dQKV, dX1, projected: Buffer

        /// Reserves the scratch of blocks `dim` wide over `rows` rows; `training: false` plans only what an inference
        /// pass with dropout needs.
        public static func plan(_ layout: inout ArenaLayout, prefix: String, dim: Int, hiddenDim: Int, rows: Int, training: Bool) {
            let gradientRows = training ? rows : 1
            layout.add(prefix + "dHidden", [gradientRows, hiddenDim])
            for name in ["dNormed", "dAttention", "dX1"] { layout.add(prefix + name, [gradientRows, dim]) }
            layout.add(prefix + "dQKV", [gradientRows, 3 * dim])
            layout.add(prefix + "projected", [rows, dim])
        }

        public init(arena: Arena, prefix: String) throws {
            dHidden = try arena[prefix + "dHidden"]; dNormed = try arena[prefix + "dNormed"]; dAttention = try arena[prefix + "dAttention"]
            dQKV = try arena[prefix + "dQKV"]; dX1 = try arena[prefix + "dX1"]; projected = try arena[prefix + "projected"]
        }

        /// Scratch in an arena of its own.
        public convenience init(backend: Backend, dim: Int, hiddenDim: Int, rows: Int, training: Bool = true) throws {
            var layout = ArenaLayout()
            Scratch.plan(&layout, prefix: "", dim: dim, hiddenDim: hiddenDim, rows: rows, training: training)
            try self.init(arena: Arena(device: backend, layout: layout), prefix: "")
        }
    }

    /// Dropout settings for one call: `nil` or rate 0 disables it.
    public struct Dropout {
        public var rate: Float
        public var key: RandomKey
        public var step: UInt32
        public var firstPass: UInt32

        public init(rate: Float, key: RandomKey, step: UInt32 = 0, firstPass: UInt32 = 0) {
            self.rate = rate; self.key = key; self.step = step; self.firstPass = firstPass
        }

        func spec(layer: Int, site: Int) -> DropoutSpec {
            DropoutSpec(rate: rate, key: key, step: step, layer: UInt32(layer * 4 + site), firstPass: firstPass)
        }
    }

    // MARK: Forward

    /// `output = block(input)` for `batch x tokens` rows, saving what ``backward`` needs. `output` may not alias `input`.
    public func forward(_ input: Buffer, into output: Buffer, batch: Int, tokens: Int, parameters p: ParameterArena,
                        saving a: Activations, scratch: Scratch, dropout: Dropout? = nil) throws {
        try run(input, into: output, batch: batch, tokens: tokens, parameters: p, activations: a, scratch: scratch, dropout: dropout, training: true)
    }

    /// Inference-only forward: nothing kept for a backward pass; `workspace` may be shared by every block.
    public func infer(_ input: Buffer, into output: Buffer, batch: Int, tokens: Int, parameters p: ParameterArena,
                      workspace a: Activations, scratch: Scratch, dropout: Dropout? = nil) throws {
        try run(input, into: output, batch: batch, tokens: tokens, parameters: p, activations: a, scratch: scratch, dropout: dropout, training: false)
    }

    private func run(_ input: Buffer, into output: Buffer, batch: Int, tokens: Int, parameters p: ParameterArena,
                     activations a: Activations, scratch: Scratch, dropout: Dropout?, training: Bool) throws {
        let backend = p.backend
        let rows = batch * tokens, d = dim
        let shape = AttentionShape(batch: batch, tokens: tokens, heads: heads, headDim: d / heads)
        let drop = dropout.flatMap { $0.rate > 0 ? $0 : nil }

        // Each LayerNorm runs inside the GEMM that reads it; training keeps its output and statistics for the backward.
        let norm1 = LayerNormInput(gamma: p[prefix + "norm1.weight"], beta: p[prefix + "norm1.bias"], epsilon: Self.layerNormEpsilon,
                                   normalized: a.ln1, mean: a.mean1, rstd: a.rstd1, saved: training)
        try backend.gemm(input, p[prefix + "attn.qkv.weight"], into: a.qkv, m: rows, n: 3 * d, k: d, transposeA: false, transposeB: true,
                         fusion: GEMMFusion(bias: p[prefix + "attn.qkv.bias"], layerNorm: norm1))
        try backend.attentionForward(qkv: a.qkv, into: a.attention, logSumExp: a.logSumExp, shape: shape, dropout: drop?.spec(layer: layer, site: 0))
        try projectWithResidual(a.attention, weight: p[prefix + "attn.proj.weight"], bias: p[prefix + "attn.proj.bias"], residual: input,
                            into: a.x1, rows: rows, inner: d, tokens: tokens, dropout: drop?.spec(layer: layer, site: 1), scratch: scratch, backend: backend)

        let norm2 = LayerNormInput(gamma: p[prefix + "norm2.weight"], beta: p[prefix + "norm2.bias"], epsilon: Self.layerNormEpsilon,
                                   normalized: a.ln2, mean: a.mean2, rstd: a.rstd2, saved: training)
        // GELU in the epilogue; training also keeps its input for GELU's backward.
        try backend.gemm(a.x1, p[prefix + "mlp.fc1.weight"], into: a.activated, m: rows, n: hiddenDim, k: d, transposeA: false, transposeB: true,
                         fusion: GEMMFusion(bias: p[prefix + "mlp.fc1.bias"], activation: .gelu, preActivation: training ? a.hidden : nil, layerNorm: norm2))
        try projectWithResidual(a.activated, weight: p[prefix + "mlp.fc2.weight"], bias: p[prefix + "mlp.fc2.bias"], residual: a.x1,
                            into: output, rows: rows, inner: hiddenDim, tokens: tokens, dropout: drop?.spec(layer: layer, site: 2), scratch: scratch, backend: backend)
    }

    /// `out = residual + dropout(x W^T + b)`; the residual add is fused into the GEMM when dropout is off.
    private func projectWithResidual(_ x: Buffer, weight: Buffer, bias: Buffer, residual: Buffer, into out: Buffer,
                                     rows: Int, inner: Int, tokens: Int, dropout: DropoutSpec?, scratch: Scratch, backend: Backend) throws {
        guard let dropout else {
            try backend.gemm(x, weight, into: out, m: rows, n: dim, k: inner, transposeA: false, transposeB: true,
                         bias: bias, activation: .none, residual: residual)
            return
        }
        try backend.gemm(x, weight, into: scratch.projected, m: rows, n: dim, k: inner, transposeA: false, transposeB: true,
                     bias: bias, activation: .none, residual: nil)
        try backend.dropout(scratch.projected, into: scratch.projected, count: rows * dim, rowLength: tokens * dim, spec: dropout)
        try backend.add(scratch.projected, residual, into: out, count: rows * dim)
    }

    // MARK: Backward

    /// Given `gradOutput` = dL/d output, writes dL/d input into `gradInput` (may alias `gradOutput`)
    /// and every parameter gradient of this block into the arena (overwritten).
    public func backward(_ gradOutput: Buffer, input: Buffer, into gradInput: Buffer, batch: Int, tokens: Int,
                         parameters p: ParameterArena, saved a: Activations, scratch s: Scratch, dropout: Dropout? = nil) throws {
        let backend = p.backend
        let rows = batch * tokens, d = dim
        let shape = AttentionShape(batch: batch, tokens: tokens, heads: heads, headDim: d / heads)
        let drop = dropout.flatMap { $0.rate > 0 ? $0 : nil }

        // MLP branch: out = x1 + drop(fc2(gelu(fc1(ln2(x1))))); GELU's backward rides on the fc2 input gradient's GEMM.
        var dBranch = gradOutput
        if let spec = drop?.spec(layer: layer, site: 2) {
            try backend.dropout(gradOutput, into: s.projected, count: rows * d, rowLength: tokens * d, spec: spec)
            dBranch = s.projected
        }
        try linearBackward(dBranch, input: a.activated, weight: prefix + "mlp.fc2", inFeatures: hiddenDim, outFeatures: d, rows: rows,
                       gradInput: s.dHidden, throughActivation: (.gelu, a.hidden), parameters: p)
        try linearBackward(s.dHidden, input: a.ln2, weight: prefix + "mlp.fc1", inFeatures: d, outFeatures: hiddenDim, rows: rows,
                       gradInput: s.dNormed, parameters: p)
        try backend.layerNormBackward(s.dNormed, x: a.x1, gamma: p[prefix + "norm2.weight"], mean: a.mean2, rstd: a.rstd2, dx: s.dX1,
                                  adding: gradOutput, dgamma: p.gradient(prefix + "norm2.weight"), dbeta: p.gradient(prefix + "norm2.bias"),
                                  rows: rows, dim: d)

        // Attention branch: x1 = x + drop(proj(attn(ln1(x)))).
        dBranch = s.dX1
        if let spec = drop?.spec(layer: layer, site: 1) {
            try backend.dropout(s.dX1, into: s.projected, count: rows * d, rowLength: tokens * d, spec: spec)
            dBranch = s.projected
        }
        try linearBackward(dBranch, input: a.attention, weight: prefix + "attn.proj", inFeatures: d, outFeatures: d, rows: rows,
                       gradInput: s.dAttention, parameters: p)
        try backend.attentionBackward(qkv: a.qkv, out: a.attention, gradOut: s.dAttention, logSumExp: a.logSumExp, into: s.dQKV,
                                  shape: shape, dropout: drop?.spec(layer: layer, site: 0))
        try linearBackward(s.dQKV, input: a.ln1, weight: prefix + "attn.qkv", inFeatures: d, outFeatures: 3 * d, rows: rows,
                       gradInput: s.dNormed, parameters: p)
        try backend.layerNormBackward(s.dNormed, x: input, gamma: p[prefix + "norm1.weight"], mean: a.mean1, rstd: a.rstd1, dx: gradInput,
                                  adding: s.dX1, dgamma: p.gradient(prefix + "norm1.weight"), dbeta: p.gradient(prefix + "norm1.bias"),
                                  rows: rows, dim: d)
    }
}

/// Backward of `y = x W^T + b` for a Linear named `name` (`name.weight` [out, in], `name.bias` [out]):
/// `dx = dy W` (times `act'(pre)` when `throughActivation` gives the activation that produced `x` and its input `pre`),
/// `dW = dy^T x` and, in the same GEMM, `db = sum of dy over rows`. Gradients are overwritten.
public func linearBackward(_ gradOutput: Buffer, input: Buffer, weight name: String, inFeatures: Int, outFeatures: Int, rows: Int,
                           gradInput: Buffer?, throughActivation: (Activation, Buffer)? = nil, parameters p: ParameterArena) throws {
    let backend = p.backend
    if let gradInput {
        let fusion = throughActivation.map { GEMMFusion(activation: $0.0, derivativeAt: $0.1) } ?? .none
        try backend.gemm(gradOutput, p[name + ".weight"], into: gradInput, m: rows, n: inFeatures, k: outFeatures, transposeA: false, transposeB: false,
                         fusion: fusion)
    }
    let biasGradient = p.entry(name + ".bias") != nil ? p.gradient(name + ".bias") : nil
    try backend.gemm(gradOutput, input, into: p.gradient(name + ".weight"), m: outFeatures, n: inFeatures, k: rows, transposeA: true, transposeB: false,
                     fusion: GEMMFusion(rowSums: biasGradient))
}
