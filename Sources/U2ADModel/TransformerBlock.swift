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

    /// Activations saved by the forward pass for the backward pass, planned once for a row capacity.
    public final class Activations {
        let ln1, mean1, rstd1, qkv, attention, logSumExp, x1, ln2, mean2, rstd2, hidden, activated: Buffer

        /// `training: false` leaves out the GELU pre-activation, which only the backward pass reads.
        public init(backend: Backend, block: TransformerBlock, batch: Int, tokens: Int, training: Bool = true) throws {
            let rows = batch * tokens, d = block.dim
            ln1 = try backend.makeBuffer([rows, d]); mean1 = try backend.makeBuffer([rows]); rstd1 = try backend.makeBuffer([rows])
            qkv = try backend.makeBuffer([rows, 3 * d]); attention = try backend.makeBuffer([rows, d])
            logSumExp = try backend.makeBuffer([batch * block.heads * tokens])
            x1 = try backend.makeBuffer([rows, d])
            ln2 = try backend.makeBuffer([rows, d]); mean2 = try backend.makeBuffer([rows]); rstd2 = try backend.makeBuffer([rows])
            hidden = try backend.makeBuffer([training ? rows : 1, block.hiddenDim]); activated = try backend.makeBuffer([rows, block.hiddenDim])
        }
    }

    /// Scratch shared by the backward passes of every block of one width.
    public final class Scratch {
        let dHidden, dNormed, dAttention, dQKV, dX1, projected: Buffer

        /// `training: false` plans only what an inference pass with dropout needs.
        public init(backend: Backend, dim: Int, hiddenDim: Int, rows: Int, training: Bool = true) throws {
            let gradientRows = training ? rows : 1
            dHidden = try backend.makeBuffer([gradientRows, hiddenDim])
            dNormed = try backend.makeBuffer([gradientRows, dim])
            dAttention = try backend.makeBuffer([gradientRows, dim])
            dQKV = try backend.makeBuffer([gradientRows, 3 * dim])
            dX1 = try backend.makeBuffer([gradientRows, dim])
            projected = try backend.makeBuffer([rows, dim])
        }
    }

    /// Dropout settings for one call: `nil` or rate 0 disables it.
    public struct Dropout {
        public var rate: Float
        public var seed: UInt64
        public var step: UInt32
        public var firstPass: UInt32

        public init(rate: Float, seed: UInt64, step: UInt32 = 0, firstPass: UInt32 = 0) {
            self.rate = rate; self.seed = seed; self.step = step; self.firstPass = firstPass
        }

        func spec(layer: Int, site: Int) -> DropoutSpec {
            DropoutSpec(rate: rate, seed: seed, step: step, layer: UInt32(layer * 4 + site), firstPass: firstPass)
        }
    }

    // MARK: Forward

    /// `output = block(input)` for `batch x tokens` rows, saving what ``backward`` needs. `output` may not alias `input`.
    public func forward(_ input: Buffer, into output: Buffer, batch: Int, tokens: Int, parameters p: ParameterArena,
                        saving a: Activations, scratch: Scratch, dropout: Dropout? = nil) {
        run(input, into: output, batch: batch, tokens: tokens, parameters: p, activations: a, scratch: scratch, dropout: dropout, training: true)
    }

    /// Inference-only forward: GELU fused into the fc1 GEMM; `workspace` may be shared by every block.
    public func infer(_ input: Buffer, into output: Buffer, batch: Int, tokens: Int, parameters p: ParameterArena,
                      workspace a: Activations, scratch: Scratch, dropout: Dropout? = nil) {
        run(input, into: output, batch: batch, tokens: tokens, parameters: p, activations: a, scratch: scratch, dropout: dropout, training: false)
    }

    private func run(_ input: Buffer, into output: Buffer, batch: Int, tokens: Int, parameters p: ParameterArena,
                     activations a: Activations, scratch: Scratch, dropout: Dropout?, training: Bool) {
        let backend = p.backend
        let rows = batch * tokens, d = dim
        let shape = AttentionShape(batch: batch, tokens: tokens, heads: heads, headDim: d / heads)
        let drop = dropout.flatMap { $0.rate > 0 ? $0 : nil }

        backend.layerNormForward(input, gamma: p[prefix + "norm1.weight"], beta: p[prefix + "norm1.bias"], into: a.ln1,
                                 mean: a.mean1, rstd: a.rstd1, rows: rows, dim: d, epsilon: Self.layerNormEpsilon)
        backend.gemm(a.ln1, p[prefix + "attn.qkv.weight"], into: a.qkv, m: rows, n: 3 * d, k: d, transposeA: false, transposeB: true,
                     bias: p[prefix + "attn.qkv.bias"], activation: .none, residual: nil)
        backend.attentionForward(qkv: a.qkv, into: a.attention, logSumExp: a.logSumExp, shape: shape, dropout: drop?.spec(layer: layer, site: 0))
        projectWithResidual(a.attention, weight: p[prefix + "attn.proj.weight"], bias: p[prefix + "attn.proj.bias"], residual: input,
                            into: a.x1, rows: rows, inner: d, tokens: tokens, dropout: drop?.spec(layer: layer, site: 1), scratch: scratch, backend: backend)

        backend.layerNormForward(a.x1, gamma: p[prefix + "norm2.weight"], beta: p[prefix + "norm2.bias"], into: a.ln2,
                                 mean: a.mean2, rstd: a.rstd2, rows: rows, dim: d, epsilon: Self.layerNormEpsilon)
        // Training keeps the pre-activation for GELU's backward; inference fuses GELU into the GEMM.
        backend.gemm(a.ln2, p[prefix + "mlp.fc1.weight"], into: training ? a.hidden : a.activated, m: rows, n: hiddenDim, k: d,
                     transposeA: false, transposeB: true, bias: p[prefix + "mlp.fc1.bias"], activation: training ? .none : .gelu, residual: nil)
        if training { backend.applyActivation(.gelu, a.hidden, into: a.activated, count: rows * hiddenDim) }
        projectWithResidual(a.activated, weight: p[prefix + "mlp.fc2.weight"], bias: p[prefix + "mlp.fc2.bias"], residual: a.x1,
                            into: output, rows: rows, inner: hiddenDim, tokens: tokens, dropout: drop?.spec(layer: layer, site: 2), scratch: scratch, backend: backend)
    }

    /// `out = residual + dropout(x W^T + b)`; the residual add is fused into the GEMM when dropout is off.
    private func projectWithResidual(_ x: Buffer, weight: Buffer, bias: Buffer, residual: Buffer, into out: Buffer,
                                     rows: Int, inner: Int, tokens: Int, dropout: DropoutSpec?, scratch: Scratch, backend: Backend) {
        guard let dropout else {
            backend.gemm(x, weight, into: out, m: rows, n: dim, k: inner, transposeA: false, transposeB: true,
                         bias: bias, activation: .none, residual: residual)
            return
        }
        backend.gemm(x, weight, into: scratch.projected, m: rows, n: dim, k: inner, transposeA: false, transposeB: true,
                     bias: bias, activation: .none, residual: nil)
        backend.dropout(scratch.projected, into: scratch.projected, count: rows * dim, rowLength: tokens * dim, spec: dropout)
        backend.add(scratch.projected, residual, into: out, count: rows * dim)
    }

    // MARK: Backward

    /// Given `gradOutput` = dL/d output, writes dL/d input into `gradInput` (may alias `gradOutput`)
    /// and every parameter gradient of this block into the arena (overwritten).
    public func backward(_ gradOutput: Buffer, input: Buffer, into gradInput: Buffer, batch: Int, tokens: Int,
                         parameters p: ParameterArena, saved a: Activations, scratch s: Scratch, dropout: Dropout? = nil) {
        let backend = p.backend
        let rows = batch * tokens, d = dim
        let shape = AttentionShape(batch: batch, tokens: tokens, heads: heads, headDim: d / heads)
        let drop = dropout.flatMap { $0.rate > 0 ? $0 : nil }

        // MLP branch: out = x1 + drop(fc2(gelu(fc1(ln2(x1))))).
        backend.copy(gradOutput, into: s.dX1, count: rows * d)
        var dBranch = gradOutput
        if let spec = drop?.spec(layer: layer, site: 2) {
            backend.dropout(gradOutput, into: s.projected, count: rows * d, rowLength: tokens * d, spec: spec)
            dBranch = s.projected
        }
        linearBackward(dBranch, input: a.activated, weight: prefix + "mlp.fc2", inFeatures: hiddenDim, outFeatures: d, rows: rows,
                       gradInput: s.dHidden, parameters: p)
        backend.activationBackward(.gelu, pre: a.hidden, gradOutput: s.dHidden, into: s.dHidden, count: rows * hiddenDim)
        linearBackward(s.dHidden, input: a.ln2, weight: prefix + "mlp.fc1", inFeatures: d, outFeatures: hiddenDim, rows: rows,
                       gradInput: s.dNormed, parameters: p)
        backend.layerNormBackward(s.dNormed, x: a.x1, gamma: p[prefix + "norm2.weight"], mean: a.mean2, rstd: a.rstd2, dx: s.dX1,
                                  dgamma: p.gradient(prefix + "norm2.weight"), dbeta: p.gradient(prefix + "norm2.bias"),
                                  rows: rows, dim: d, accumulate: true)

        // Attention branch: x1 = x + drop(proj(attn(ln1(x)))).
        backend.copy(s.dX1, into: gradInput, count: rows * d)
        dBranch = s.dX1
        if let spec = drop?.spec(layer: layer, site: 1) {
            backend.dropout(s.dX1, into: s.projected, count: rows * d, rowLength: tokens * d, spec: spec)
            dBranch = s.projected
        }
        linearBackward(dBranch, input: a.attention, weight: prefix + "attn.proj", inFeatures: d, outFeatures: d, rows: rows,
                       gradInput: s.dAttention, parameters: p)
        backend.attentionBackward(qkv: a.qkv, out: a.attention, gradOut: s.dAttention, logSumExp: a.logSumExp, into: s.dQKV,
                                  shape: shape, dropout: drop?.spec(layer: layer, site: 0))
        linearBackward(s.dQKV, input: a.ln1, weight: prefix + "attn.qkv", inFeatures: d, outFeatures: 3 * d, rows: rows,
                       gradInput: s.dNormed, parameters: p)
        backend.layerNormBackward(s.dNormed, x: input, gamma: p[prefix + "norm1.weight"], mean: a.mean1, rstd: a.rstd1, dx: gradInput,
                                  dgamma: p.gradient(prefix + "norm1.weight"), dbeta: p.gradient(prefix + "norm1.bias"),
                                  rows: rows, dim: d, accumulate: true)
    }
}

/// Backward of `y = x W^T + b` for a Linear named `name` (`name.weight` [out, in], `name.bias` [out]):
/// `dx = dy W`, `dW = dy^T x`, `db = sum of dy over rows`. Gradients are overwritten.
public func linearBackward(_ gradOutput: Buffer, input: Buffer, weight name: String, inFeatures: Int, outFeatures: Int, rows: Int,
                           gradInput: Buffer?, parameters p: ParameterArena) {
    let backend = p.backend
    if let gradInput {
        backend.gemm(gradOutput, p[name + ".weight"], into: gradInput, m: rows, n: inFeatures, k: outFeatures, transposeA: false, transposeB: false)
    }
    backend.gemm(gradOutput, input, into: p.gradient(name + ".weight"), m: outFeatures, n: inFeatures, k: rows, transposeA: true, transposeB: false)
    if p.entry(name + ".bias") != nil {
        backend.reduce(gradOutput, into: p.gradient(name + ".bias"), outer: 1, length: rows, inner: outFeatures, operation: .sum)
    }
}
