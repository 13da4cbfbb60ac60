import Foundation

/// What a GEMM does beside the product: a LayerNorm of A's rows on the way in, and per element of C the epilogue
/// `act(acc + bias) + residual` or, backward through an activation, `acc * act'(derivativeAt)`.
public struct GEMMFusion {
    public var bias: Buffer?
    public var activation: Activation
    public var residual: Buffer?
    /// Rows of `residual`: row `i` of C adds row `i % residualRows` (a table of positions repeating per image); nil: C's rows.
    public var residualRows: Int?
    /// Also receives the pre-activation `acc + bias` (`[m, n]`): GELU's input, which training keeps for the backward.
    public var preActivation: Buffer?
    /// Multiplies `acc` by the derivative of `activation` at these values (`[m, n]`) instead of applying it; no bias.
    public var derivativeAt: Buffer?
    /// Receives the sums of `op(a)` over k, one per row of C (`[m]`): with `a = dY` transposed, a Linear layer's bias gradient.
    public var rowSums: Buffer?
    /// Normalises A's rows before the product (A not transposed).
    public var layerNorm: LayerNormInput?

    public init(bias: Buffer? = nil, activation: Activation = .none, residual: Buffer? = nil, residualRows: Int? = nil,
                preActivation: Buffer? = nil, derivativeAt: Buffer? = nil, rowSums: Buffer? = nil, layerNorm: LayerNormInput? = nil) {
        self.bias = bias
        self.activation = activation
        self.residual = residual
        self.residualRows = residualRows
        self.preActivation = preActivation
        self.derivativeAt = derivativeAt
        self.rowSums = rowSums
        self.layerNorm = layerNorm
    }

    /// The product alone.
    public static let none = GEMMFusion()
}

/// A LayerNorm applied to A's rows inside a GEMM, as ``LayerNormOps/layerNormForward(_:gamma:beta:into:mean:rstd:rows:dim:epsilon:)``
/// would compute them (float tolerance on OpenCL).
public struct LayerNormInput {
    public var gamma: Buffer
    public var beta: Buffer
    public var epsilon: Float
    /// `[m, k]`, `[m]`, `[m]`: the normalised rows and their mean and `1 / sqrt(var + epsilon)`. Written when `saved`
    /// (training keeps them for the backward); otherwise scratch a backend may or may not write.
    public var normalized: Buffer
    public var mean: Buffer
    public var rstd: Buffer
    public var saved: Bool

    public init(gamma: Buffer, beta: Buffer, epsilon: Float, normalized: Buffer, mean: Buffer, rstd: Buffer, saved: Bool) {
        self.gamma = gamma
        self.beta = beta
        self.epsilon = epsilon
        self.normalized = normalized
        self.mean = mean
        self.rstd = rstd
        self.saved = saved
    }
}

/// General matrix multiply with fusions: the model's Linear layers, forward and backward.
public protocol GEMMOps: AnyObject {
    /// `c[m, n] = op(a)[m, k] · op(b)[k, n]` with `fusion` (``GEMMFusion``).
    ///
    /// `op(a)` is `a` stored `[m, k]` or, transposed, `a` stored `[k, m]`; likewise `op(b)`. `residual` may be `c`
    /// itself to accumulate.
    func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, fusion: GEMMFusion) throws
}

public extension GEMMOps {
    /// `c[m, n] = act(op(a)[m, k] · op(b)[k, n] + bias[n]) + residual[m, n]`.
    func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int,
              transposeA: Bool, transposeB: Bool,
              bias: Buffer?, activation: Activation, residual: Buffer?) throws {
        try gemm(a, b, into: c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                 fusion: GEMMFusion(bias: bias, activation: activation, residual: residual))
    }

    /// Plain GEMM without an epilogue.
    func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false) throws {
        try gemm(a, b, into: c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, fusion: .none)
    }
}

/// GEMM tile sizes on OpenCL devices, passed to `gemm.cl` as `-D` defines (CLBlast's `Xgemm` parameters, reduced):
/// the work-group's tile of C (`tileM x tileN`), the depth of its tiles of A and B (`tileK`), each work item's
/// register block (`workPerThreadM x workPerThreadN`) and whether the local tiles are double-buffered.
public struct GEMMTiles: Sendable, Hashable, Codable, CustomStringConvertible {
    public var tileM = 64, tileN = 64, tileK = 16, workPerThreadM = 4, workPerThreadN = 4
    public var doubleBuffer = false

    public init(tileM: Int = 64, tileN: Int = 64, tileK: Int = 16, workPerThreadM: Int = 4, workPerThreadN: Int = 4, doubleBuffer: Bool = false) {
        self.tileM = tileM; self.tileN = tileN; self.tileK = tileK
        self.workPerThreadM = workPerThreadM; self.workPerThreadN = workPerThreadN
        self.doubleBuffer = doubleBuffer
    }

    static let requirement = "TM,TN,TK,WM,WN[,DB]: whole numbers with WM dividing TM, WN dividing TN, TM, TN and TK multiples of 4, "
        + "DB 0 or 1 (double-buffered tiles), at most 1024 work items and 32 KiB of tiles"

    /// `TM,TN,TK,WM,WN[,DB]`, or nil when the tiles could not run (see ``requirement``).
    init?(parsing text: String) {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 5 || values.count == 6, values.allSatisfy({ $0 != nil }) else { return nil }
        let v = values.map { $0! }
        guard v.count == 5 || (0...1).contains(v[5]) else { return nil }
        self.init(tileM: v[0], tileN: v[1], tileK: v[2], workPerThreadM: v[3], workPerThreadN: v[4], doubleBuffer: v.count == 6 && v[5] == 1)
        guard isValid else { return nil }
    }

    /// Whether the kernel can be built and launched with these tiles on any device within NVIDIA's limits.
    public var isValid: Bool {
        [tileM, tileN, tileK, workPerThreadM, workPerThreadN].allSatisfy { $0 >= 1 && $0 <= 256 }
            && tileM % workPerThreadM == 0 && tileN % workPerThreadN == 0
            && tileM % 4 == 0 && tileN % 4 == 0 && tileK % 4 == 0
            && workGroupSize <= 1024 && localMemoryBytes <= 32 * 1024
    }

    /// The tuning table's entry for `device` (``TuningTable``); ``RuntimeSettings/gemmTiles`` (`U2AD_GEMM_TILES`) overrides it.
    public static func tuned(for device: OpenCLDevice, settings: RuntimeSettings) -> GEMMTiles {
        DeviceTuning(device: device, settings: settings).gemm
    }

    /// Work items per group.
    public var workGroupSize: Int { (tileM / workPerThreadM) * (tileN / workPerThreadN) }
    /// Local memory of the tiles (two of each when double-buffered) and the LayerNorm row statistics.
    public var localMemoryBytes: Int { 4 * ((doubleBuffer ? 2 : 1) * tileK * (tileM + tileN) + 2 * tileM) }

    public var description: String {
        "-DTILE_M=\(tileM) -DTILE_N=\(tileN) -DTILE_K=\(tileK) -DWPT_M=\(workPerThreadM) -DWPT_N=\(workPerThreadN) -DDOUBLE_BUFFER=\(doubleBuffer ? 1 : 0)"
    }
}

/// The GEMM op: shapes, costs, variants and benchmark cases.
public enum GEMM: OpDescription {
    public static let name = "gemm"
    public static let kernelFile = "gemm.cl"

    /// Weight-gradient GEMMs (`op(a)` transposed, C at most 512 x 512) split their k range into chunks of this many
    /// (fixed, so the sums do not depend on the device), each chunk a work-group of its own, added in order after.
    static let splitChunk = 2048

    /// The tiles a device type gets when the tuning table has no entry for the device.
    public static func defaults(for type: OpenCLDeviceType) -> GEMMTiles {
        switch type {
        case .gpu, .accelerator: return GEMMTiles(tileM: 128, tileN: 64, tileK: 16, workPerThreadM: 8, workPerThreadN: 8, doubleBuffer: true)
        case .cpu, .other: return GEMMTiles(tileM: 32, tileN: 32, tileK: 16, workPerThreadM: 4, workPerThreadN: 4, doubleBuffer: false)
        }
    }

    /// How many k chunks a product is split into: more than one only for the weight gradients, whose C is too small to
    /// fill a GPU (1 to 16 work-groups) while k = batch x tokens is long.
    static func splits(m: Int, n: Int, k: Int, transposeA: Bool, fusion: GEMMFusion) -> Int {
        guard transposeA, m <= 512, n <= 512, k > splitChunk, fusion.bias == nil, fusion.residual == nil, fusion.activation == .none,
              fusion.layerNorm == nil, fusion.preActivation == nil, fusion.derivativeAt == nil else { return 1 }
        return (k + splitChunk - 1) / splitChunk
    }

    /// The forms the model launches (its widths are multiples of four): the plain products in every layout, the Linear
    /// layers forward (LayerNorm prologue with and without its output kept, bias, GELU with and without its input
    /// kept, sigmoid, residuals) and backward (through GELU, weight gradients with their bias gradients, split or not).
    static var modelVariants: [Variant] {
        var variants: [Variant] = []
        for transposeA in [false, true] {
            for transposeB in [false, true] { variants.append(Variant(transposeA: transposeA, transposeB: transposeB, vectorA: 4, vectorB: 4)) }
        }
        func linear(_ change: (inout Variant) -> Void) -> Variant {
            var variant = Variant(transposeA: false, transposeB: true, vectorA: 4, vectorB: 4, bias: true)
            change(&variant)
            return variant
        }
        variants.append(linear { $0.bias = true })
        variants.append(linear { $0.residual = true })
        for saved in [false, true] {
            variants.append(linear { $0.layerNorm = true; $0.saveLayerNorm = saved })
            variants.append(linear { $0.layerNorm = true; $0.saveLayerNorm = saved; $0.activation = .sigmoid })
            variants.append(linear { $0.layerNorm = true; $0.saveLayerNorm = saved; $0.activation = .gelu; $0.savePreActivation = saved })
        }
        var throughGELU = Variant(transposeA: false, transposeB: false, vectorA: 4, vectorB: 4, activation: .gelu)
        throughGELU.derivative = true
        variants.append(throughGELU)
        for split in [false, true] {
            var weightGradient = Variant(transposeA: true, transposeB: false, vectorA: 4, vectorB: 4)
            weightGradient.rowSums = true
            weightGradient.splitK = split
            variants.append(weightGradient)
        }
        return variants
    }

    /// One compiled form of `gemm.cl`: transposes, load widths and the fusions.
    struct Variant: Hashable {
        var transposeA, transposeB: Bool
        var vectorA = 1, vectorB = 1
        var bias = false, residual = false
        var activation = Activation.none
        var savePreActivation = false, derivative = false, rowSums = false
        var layerNorm = false, saveLayerNorm = false
        var splitK = false

        init(transposeA: Bool, transposeB: Bool, vectorA: Int = 1, vectorB: Int = 1, bias: Bool = false, residual: Bool = false,
             activation: Activation = .none) {
            self.transposeA = transposeA
            self.transposeB = transposeB
            self.vectorA = vectorA
            self.vectorB = vectorB
            self.bias = bias
            self.residual = residual
            self.activation = activation
        }

        /// The variant of a call: global loads four wide where the operand's contiguous axis is a multiple of four.
        init(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, fusion: GEMMFusion, splits: Int) {
            self.init(transposeA: transposeA, transposeB: transposeB, vectorA: (transposeA ? m : k) % 4 == 0 ? 4 : 1,
                      vectorB: (transposeB ? k : n) % 4 == 0 ? 4 : 1, bias: fusion.bias != nil, residual: fusion.residual != nil,
                      activation: fusion.activation)
            savePreActivation = fusion.preActivation != nil
            derivative = fusion.derivativeAt != nil
            rowSums = fusion.rowSums != nil
            layerNorm = fusion.layerNorm != nil
            saveLayerNorm = fusion.layerNorm?.saved ?? false
            splitK = splits > 1
        }

        func defines(_ tiles: GEMMTiles) -> String {
            func flag(_ name: String, _ value: Bool) -> String { "-D\(name)=\(value ? 1 : 0)" }
            return ["\(tiles)", flag("TRANS_A", transposeA), flag("TRANS_B", transposeB), "-DVEC_A=\(vectorA)", "-DVEC_B=\(vectorB)",
                    flag("HAS_BIAS", bias), flag("HAS_RESIDUAL", residual), "-DACTIVATION=\(activation.rawValue)",
                    flag("SAVE_PRE", savePreActivation), flag("ACT_DERIVATIVE", derivative), flag("BIAS_GRAD", rowSums),
                    flag("LAYER_NORM", layerNorm), flag("SAVE_NORM", saveLayerNorm), flag("SPLIT_K", splitK)].joined(separator: " ")
        }
    }

    public static func flops(m: Int, n: Int, k: Int) -> Double { 2 * Double(m) * Double(n) * Double(k) }
    public static func bytes(m: Int, n: Int, k: Int) -> Double { 4 * Double(m * k + k * n + m * n) }

    public static func tuning(for device: OpenCLDevice, settings: RuntimeSettings) -> String {
        GEMMTiles.tuned(for: device, settings: settings).description
    }

    public static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws {
        let kernels = try backend.kernels(GEMMKernels.self)
        for variant in modelVariants { _ = try kernels.kernel(variant) }
        _ = try kernels.splitReduce()
    }

    /// The Linear layers of one encoder block (`C = A W^T` with M = batch x 1025 rows), and the weight-gradient shape.
    public static func benchmarks(batch: Int) -> [OpBenchmark] {
        let m = batch * referenceTokens
        var cases = [(128, 384), (128, 128), (128, 512), (512, 128), (64, 192), (64, 256)].map { k, n in
            OpBenchmark("M \(m) K \(k) N \(n) (A W^T)", flops: flops(m: m, n: n, k: k), bytes: bytes(m: m, n: n, k: k)) { backend in
                let a = try backend.makeBuffer(benchmarkValues(m * k, seed: 1)), w = try backend.makeBuffer(benchmarkValues(n * k, seed: 2))
                let c = try backend.makeBuffer([m, n])
                return { try backend.gemm(a, w, into: c, m: m, n: n, k: k, transposeA: false, transposeB: true) }
            }
        }
        cases.append(OpBenchmark("dW: M 512 N 128 K \(m) (dY^T X)", flops: flops(m: 512, n: 128, k: m), bytes: bytes(m: 512, n: 128, k: m)) { backend in
            let dy = try backend.makeBuffer(benchmarkValues(m * 512, seed: 3)), x = try backend.makeBuffer(benchmarkValues(m * 128, seed: 4))
            let dw = try backend.makeBuffer([512, 128])
            return { try backend.gemm(dy, x, into: dw, m: 512, n: 128, k: m, transposeA: true, transposeB: false) }
        })
        return cases
    }
}
