/// Activation applied in a GEMM epilogue, after the bias and before the residual add.
public enum Activation: Int32, Sendable {
    case none = 0
    /// Exact GELU, `0.5 x (1 + erf(x / sqrt 2))`, as PyTorch's `nn.GELU()`.
    case gelu = 1
    case sigmoid = 2
}

/// Which reduction ``Backend/reduce(_:into:outer:length:inner:operation:)`` computes.
public enum Reduction: Int32, Sendable {
    case sum = 0
    case mean = 1
    case max = 2
}

/// Adam hyperparameters for one step, with `torch.optim.Adam` semantics.
public struct AdamStep: Sendable {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// Decoupled (AdamW-style) weight decay; 0 disables it.
    public var weightDecay: Float = 0
    /// 1-based step number used for bias correction.
    public var step: Int

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, step: Int) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.step = step
    }
}

/// Where a dropout mask comes from: a Philox4x32-10 stream addressed by
/// (seed, step, layer, MC pass, element), so every backend draws the same mask.
public struct DropoutSpec: Sendable, Equatable {
    public var rate: Float
    public var seed: UInt64
    public var step: UInt32
    public var layer: UInt32
    /// MC-pass index of the first batch row; row `b` uses pass `firstPass + b`.
    public var firstPass: UInt32

    public init(rate: Float, seed: UInt64, step: UInt32 = 0, layer: UInt32 = 0, firstPass: UInt32 = 0) {
        self.rate = rate
        self.seed = seed
        self.step = step
        self.layer = layer
        self.firstPass = firstPass
    }

    public var isActive: Bool { rate > 0 }
}

/// Shape of a multi-head attention call.
///
/// `qkv` is `[batch * tokens, 3 * heads * headDim]` as timm's fused qkv Linear writes it:
/// row `t` holds q, k and v, each as `heads` contiguous runs of `headDim` values.
/// The output is `[batch * tokens, heads * headDim]` and the log-sum-exp `[batch, heads, tokens]`.
public struct AttentionShape: Sendable, Equatable {
    public var batch: Int
    public var tokens: Int
    public var heads: Int
    public var headDim: Int

    public init(batch: Int, tokens: Int, heads: Int, headDim: Int) {
        self.batch = batch
        self.tokens = tokens
        self.heads = heads
        self.headDim = headDim
    }

    public var width: Int { heads * headDim }
}

/// Which kind of backend runs the ops.
public enum BackendKind: String, Sendable {
    case cpu
    case openCL = "opencl"
}

/// The operation set every backend implements. The model is written against this protocol only.
///
/// All matrices are row-major `Float` buffers. Every op is deterministic: no float atomics,
/// reductions in a fixed order, so the same inputs give the same bits run to run.
public protocol Backend: AnyObject {
    var kind: BackendKind { get }
    /// Device name as the driver reports it (or the CPU model for the CPU backend).
    var deviceName: String { get }
    var pool: BufferPool { get }

    /// A buffer of `count` elements from the pool; contents undefined.
    func makeBuffer(count: Int, shape: [Int]?, elementType: ElementType) throws -> Buffer
    func upload(_ values: [Float], to buffer: Buffer)
    func upload(_ values: [Int32], to buffer: Buffer)
    func download(_ buffer: Buffer) -> [Float]
    func downloadInts(_ buffer: Buffer) -> [Int32]
    /// Waits for queued work to finish.
    func synchronize()
    /// A buffer aliasing `count` elements of `buffer` from `offset`, which must be a multiple of ``viewAlignment``.
    func view(of buffer: Buffer, offset: Int, count: Int, shape: [Int]) throws -> Buffer

    // MARK: GEMM

    /// `c[m, n] = act(op(a)[m, k] · op(b)[k, n] + bias[n]) + residual[m, n]`.
    ///
    /// `op(a)` is `a` stored `[m, k]` or, transposed, `a` stored `[k, m]`; likewise `op(b)`.
    /// `residual` may be `c` itself to accumulate.
    func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int,
              transposeA: Bool, transposeB: Bool,
              bias: Buffer?, activation: Activation, residual: Buffer?)

    // MARK: Elementwise and reductions

    func fill(_ x: Buffer, with value: Float, count: Int)
    func copy(_ source: Buffer, into destination: Buffer, count: Int)
    /// `out = a + b`.
    func add(_ a: Buffer, _ b: Buffer, into out: Buffer, count: Int)
    /// `x *= alpha`.
    func scale(_ x: Buffer, by alpha: Float, count: Int)
    /// `out[o, i] = op over j of x[o, j, i]`, for `x` viewed as `[outer, length, inner]`.
    func reduce(_ x: Buffer, into out: Buffer, outer: Int, length: Int, inner: Int, operation: Reduction)
    /// `y = act(x)` elementwise (the unfused form, used when training needs the pre-activation).
    func applyActivation(_ activation: Activation, _ x: Buffer, into y: Buffer, count: Int)
    /// `dPre = dPost * act'(pre)` for GELU, or `dPre = dPost * y (1 - y)` for sigmoid where `pre` holds `y`.
    func activationBackward(_ activation: Activation, pre: Buffer, gradOutput: Buffer, into gradInput: Buffer, count: Int)

    // MARK: Indexing

    /// `out[i] = index[i] >= 0 ? source[index[i]] : fill[i % fillPeriod]` (or 0 when `fill` is nil).
    func gather(_ source: Buffer, index: Buffer, into out: Buffer, count: Int, fill: Buffer?, fillPeriod: Int)
    /// `out[index[i]] += source[i]` for `index[i] >= 0`; `index` must not repeat a target.
    func scatterAdd(_ source: Buffer, index: Buffer, into out: Buffer, count: Int)
    /// `out[r, c] = x[r, c] + table[r % period, c]` over `rows x cols` (positional embeddings).
    func addBroadcastRows(_ x: Buffer, table: Buffer, into out: Buffer, rows: Int, cols: Int, period: Int)

    // MARK: Transformer ops

    /// LayerNorm over the last `dim` values of each row; saves mean and 1/std per row.
    func layerNormForward(_ x: Buffer, gamma: Buffer, beta: Buffer, into y: Buffer,
                          mean: Buffer, rstd: Buffer, rows: Int, dim: Int, epsilon: Float)
    /// `dx (+)= dLN/dx · dy`; `dgamma`, `dbeta` are overwritten.
    func layerNormBackward(_ dy: Buffer, x: Buffer, gamma: Buffer, mean: Buffer, rstd: Buffer,
                           dx: Buffer, dgamma: Buffer, dbeta: Buffer, rows: Int, dim: Int, accumulate: Bool)
    /// Softmax attention per head without materialising the token x token matrix.
    func attentionForward(qkv: Buffer, into out: Buffer, logSumExp: Buffer, shape: AttentionShape, dropout: DropoutSpec?)
    /// Gradients of ``attentionForward`` into `dqkv` (same layout as `qkv`).
    func attentionBackward(qkv: Buffer, out: Buffer, gradOut: Buffer, logSumExp: Buffer, into dqkv: Buffer,
                           shape: AttentionShape, dropout: DropoutSpec?)
    /// `y = x * keep / (1 - rate)` with the Philox mask for rows of `rowLength` elements (row `b` = pass `firstPass + b`).
    func dropout(_ x: Buffer, into y: Buffer, count: Int, rowLength: Int, spec: DropoutSpec)
    /// One Adam step over a flat parameter arena.
    func adam(parameters: Buffer, gradients: Buffer, firstMoment: Buffer, secondMoment: Buffer, count: Int, step: AdamStep)

    // MARK: Masking

    /// Patch masks for training (see ``PatchRanking``): for each row `b`, `score[l] = u * weights[b, l] + roi[b, l]` in
    /// float32 (weight 1 when `weights` is nil), `u` the Philox uniform of (seed, step, stream, pass `images[b]`, element `l`);
    /// patches sorted by ascending (score, index); the first `visibleCount` stay visible. Writes `order[b]` (int32):
    /// the visible patches in ascending index, then the hidden ones in ascending index. Inputs must be finite.
    func rankPatches(roi: Buffer, weights: Buffer?, images: Buffer, into order: Buffer, ranking: PatchRanking)
}

/// Shape and random stream of ``Backend/rankPatches(roi:weights:images:into:ranking:)``.
public struct PatchRanking: Sendable, Equatable {
    /// Images in the batch.
    public var rows: Int
    /// Patches per image.
    public var patches: Int
    /// Patches kept visible in every row.
    public var visibleCount: Int
    /// Philox key.
    public var seed: UInt64
    /// Philox counter word 2 (the trainer passes the epoch).
    public var step: UInt32
    /// Philox counter word 1, separating mask draws from dropout draws.
    public var stream: UInt32

    public init(rows: Int, patches: Int, visibleCount: Int, seed: UInt64, step: UInt32, stream: UInt32) {
        self.rows = rows
        self.patches = patches
        self.visibleCount = visibleCount
        self.seed = seed
        self.step = step
        self.stream = stream
    }
}

/// Offsets of buffer views are multiples of this many elements (1 KiB, above every OpenCL device's base-address alignment).
public let viewAlignment = 256

public extension Backend {
    /// A float32 buffer of the given shape.
    func makeBuffer(_ shape: [Int]) throws -> Buffer {
        try makeBuffer(count: shape.reduce(1, *), shape: shape, elementType: .float32)
    }

    /// A float32 buffer holding `values`.
    func makeBuffer(_ values: [Float], shape: [Int]? = nil) throws -> Buffer {
        let buffer = try makeBuffer(count: values.count, shape: shape ?? [values.count], elementType: .float32)
        upload(values, to: buffer)
        return buffer
    }

    /// An int32 buffer holding `values`.
    func makeIndexBuffer(_ values: [Int32]) throws -> Buffer {
        let buffer = try makeBuffer(count: max(values.count, 1), shape: [values.count], elementType: .int32)
        if !values.isEmpty { upload(values, to: buffer) }
        return buffer
    }

    /// Plain GEMM without an epilogue.
    func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false) {
        gemm(a, b, into: c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
             bias: nil, activation: .none, residual: nil)
    }
}
