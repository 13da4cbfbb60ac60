import Foundation

/// General matrix multiply with a fused epilogue: the model's Linear layers, forward and backward.
public protocol GEMMOps: AnyObject {
    /// `c[m, n] = act(op(a)[m, k] · op(b)[k, n] + bias[n]) + residual[m, n]`.
    ///
    /// `op(a)` is `a` stored `[m, k]` or, transposed, `a` stored `[k, m]`; likewise `op(b)`.
    /// `residual` may be `c` itself to accumulate.
    func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int,
              transposeA: Bool, transposeB: Bool,
              bias: Buffer?, activation: Activation, residual: Buffer?) throws
}

public extension GEMMOps {
    /// Plain GEMM without an epilogue.
    func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false) throws {
        try gemm(a, b, into: c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                 bias: nil, activation: .none, residual: nil)
    }
}

/// GEMM tile sizes on OpenCL devices, passed to `gemm.cl` as `-D` defines (CLBlast's `Xgemm` parameters, reduced).
public struct GEMMTiles: Sendable, Hashable, CustomStringConvertible {
    public var tileM = 64, tileN = 64, tileK = 16, workPerThreadM = 4, workPerThreadN = 4

    public init(tileM: Int = 64, tileN: Int = 64, tileK: Int = 16, workPerThreadM: Int = 4, workPerThreadN: Int = 4) {
        self.tileM = tileM; self.tileN = tileN; self.tileK = tileK
        self.workPerThreadM = workPerThreadM; self.workPerThreadN = workPerThreadN
    }

    static let requirement = "TM,TN,TK,WM,WN: whole numbers with WM dividing TM, WN dividing TN, at most 1024 work items and 32 KiB of tiles"

    /// `TM,TN,TK,WM,WN`, or nil when the tiles could not run (see ``requirement``).
    init?(parsing text: String) {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 5, let tm = values[0], let tn = values[1], let tk = values[2], let wm = values[3], let wn = values[4],
              [tm, tn, tk, wm, wn].allSatisfy({ $0 >= 1 && $0 <= 256 }), tm % wm == 0, tn % wn == 0 else { return nil }
        self.init(tileM: tm, tileN: tn, tileK: tk, workPerThreadM: wm, workPerThreadN: wn)
        guard workGroupSize <= 1024, localMemoryBytes <= 32 * 1024 else { return nil }
    }

    /// The tuning table's entry by device type; ``RuntimeSettings/gemmTiles`` (`U2AD_GEMM_TILES`) overrides it.
    public static func tuned(for device: OpenCLDevice, settings: RuntimeSettings) -> GEMMTiles {
        if let tiles = settings.gemmTiles { return tiles }
        switch device.type {
        case .gpu, .accelerator: return GEMMTiles()
        case .cpu, .other: return GEMMTiles(tileM: 32, tileN: 32, tileK: 16, workPerThreadM: 4, workPerThreadN: 4)
        }
    }

    /// Work items per group.
    public var workGroupSize: Int { (tileM / workPerThreadM) * (tileN / workPerThreadN) }
    /// Local memory of the two tiles (one padding column each).
    public var localMemoryBytes: Int { 4 * tileK * (tileM + 1 + tileN + 1) }

    public var description: String {
        "-DTILE_M=\(tileM) -DTILE_N=\(tileN) -DTILE_K=\(tileK) -DWPT_M=\(workPerThreadM) -DWPT_N=\(workPerThreadN)"
    }
}

/// The GEMM op: shapes, costs, variants and benchmark cases.
public enum GEMM: OpDescription {
    public static let name = "gemm"
    public static let kernelFile = "gemm.cl"

    /// One compiled form of `gemm.cl`: transposes and the fused epilogue.
    struct Variant: Hashable {
        var transposeA, transposeB, bias, residual: Bool
        var activation: Activation

        func defines(_ tiles: GEMMTiles) -> String {
            "\(tiles) -DTRANS_A=\(transposeA ? 1 : 0) -DTRANS_B=\(transposeB ? 1 : 0) -DHAS_BIAS=\(bias ? 1 : 0) "
                + "-DHAS_RESIDUAL=\(residual ? 1 : 0) -DACTIVATION=\(activation.rawValue)"
        }
    }

    public static func flops(m: Int, n: Int, k: Int) -> Double { 2 * Double(m) * Double(n) * Double(k) }
    public static func bytes(m: Int, n: Int, k: Int) -> Double { 4 * Double(m * k + k * n + m * n) }

    public static func tuning(for device: OpenCLDevice, settings: RuntimeSettings) -> String {
        GEMMTiles.tuned(for: device, settings: settings).description
    }

    public static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws {
        let kernels = try backend.kernels(GEMMKernels.self)
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                _ = try kernels.kernel(Variant(transposeA: transposeA, transposeB: transposeB, bias: false, residual: false, activation: .none))
            }
        }
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
