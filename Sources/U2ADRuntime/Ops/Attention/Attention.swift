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
    /// `4 T^2 d` per head: the two products QK^T and PV, multiply-adds counted as two.
    public var forwardFLOPs: Double { 4 * Double(batch * width) * Double(tokens) * Double(tokens) }
    /// Twice the forward: dV, dP, dS·K and dS^T·Q.
    public var backwardFLOPs: Double { 2 * forwardFLOPs }
}

/// Fused softmax attention without the tokens x tokens matrix, with dropout on the probabilities.
public protocol AttentionOps: AnyObject {
    /// `out = drop(softmax(q k^T / sqrt(headDim))) v` per head; saves the row log-sum-exp (base e) of the scaled scores.
    /// Dropout element of (batch row b, head h, query i, key j) is `(h T + i) T + j` of pass `firstPass + b`
    /// (``DropoutSpec/keeps(pass:element:)``: word `element % 4` of the Philox block at counter `element / 4`).
    func attentionForward(qkv: Buffer, into out: Buffer, logSumExp: Buffer, shape: AttentionShape, dropout: DropoutSpec?) throws
    /// Gradients of ``attentionForward`` into `dqkv` (same layout as `qkv`), with the same dropout mask.
    func attentionBackward(qkv: Buffer, out: Buffer, gradOut: Buffer, logSumExp: Buffer, into dqkv: Buffer,
                           shape: AttentionShape, dropout: DropoutSpec?) throws
}

/// How `attention.cl` divides the work on an OpenCL device (its tuning entry).
public struct AttentionTiles: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Work items per group, and the keys (forward, dQ) or queries (dK/dV) of each local tile.
    public var block: Int
    /// Queries per work item in the forward and dQ passes.
    public var queries: Int
    /// Consecutive keys per work item in the dK/dV pass.
    public var keys: Int
    /// Keys whose scores a work item holds in registers at once: the running maximum is rescaled once per chunk.
    public var keyChunk: Int

    /// Whether the kernels can be built and launched with these on any device within NVIDIA's limits.
    public var isValid: Bool {
        (1...1024).contains(block) && (1...8).contains(queries) && (1...8).contains(keys) && (1...64).contains(keyChunk)
            && block % keyChunk == 0
    }

    public var description: String { "-DBLOCK=\(block) -DQUERIES=\(queries) -DKEYS=\(keys) -DKEY_CHUNK=\(keyChunk)" }
}

public enum Attention: OpDescription {
    public static let name = "attention"
    public static let kernelFile = "attention.cl"

    /// The tiles a device type gets when the tuning table has no entry for the device.
    public static func defaults(for type: OpenCLDeviceType) -> AttentionTiles {
        switch type {
        case .gpu, .accelerator: return AttentionTiles(block: 64, queries: 2, keys: 2, keyChunk: 16)
        case .cpu, .other: return AttentionTiles(block: 32, queries: 1, keys: 1, keyChunk: 8)
        }
    }

    /// The tuning table's entry for `device`.
    static func tiles(for device: OpenCLDevice, settings: RuntimeSettings) -> AttentionTiles { DeviceTuning(device: device, settings: settings).attention }

    static func defines(headDim: Int, tiles: AttentionTiles) -> String { "-DHEAD_DIM=\(headDim) \(tiles)" }

    public static func tuning(for device: OpenCLDevice, settings: RuntimeSettings) -> String { tiles(for: device, settings: settings).description }

    public static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws {
        let kernels = try backend.kernels(AttentionKernels.self)
        for headDim in headDims { _ = try kernels.kernels(headDim: headDim) }
    }

    /// The encoder's (128 wide, 16 heads) and the decoder's (64 wide, 8 heads) attention at 1025 tokens.
    public static func benchmarks(batch: Int) -> [OpBenchmark] {
        [(128, 16), (64, 8)].flatMap { width, heads -> [OpBenchmark] in
            let shape = AttentionShape(batch: batch, tokens: referenceTokens, heads: heads, headDim: width / heads)
            let rows = batch * referenceTokens
            func inputs(_ backend: Backend) throws -> (qkv: Buffer, out: Buffer, lse: Buffer) {
                (try backend.makeBuffer(benchmarkValues(rows * 3 * width, seed: 3)), try backend.makeBuffer([rows, width]),
                 try backend.makeBuffer([batch * heads * referenceTokens]))
            }
            return [
                OpBenchmark("forward width \(width), \(heads) heads", flops: shape.forwardFLOPs, bytes: 16 * Double(rows * width)) { backend in
                    let t = try inputs(backend)
                    return { try backend.attentionForward(qkv: t.qkv, into: t.out, logSumExp: t.lse, shape: shape, dropout: nil) }
                },
                OpBenchmark("backward width \(width), \(heads) heads", flops: shape.backwardFLOPs, bytes: 32 * Double(rows * width)) { backend in
                    let t = try inputs(backend)
                    try backend.attentionForward(qkv: t.qkv, into: t.out, logSumExp: t.lse, shape: shape, dropout: nil)
                    let dout = try backend.makeBuffer(benchmarkValues(rows * width, seed: 4)), dqkv = try backend.makeBuffer([rows, 3 * width])
                    return { try backend.attentionBackward(qkv: t.qkv, out: t.out, gradOut: dout, logSumExp: t.lse, into: dqkv, shape: shape, dropout: nil) }
                },
            ]
        }
    }
}
