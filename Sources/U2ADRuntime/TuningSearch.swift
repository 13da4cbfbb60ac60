import Dispatch
import Foundation
import U2ADRandom

/// `u2ad tune`: measures candidate parameters of the tunable ops (GEMM, attention, LayerNorm) on one OpenCL device at
/// the model's shapes and keeps, per op, the fastest candidate whose results agree with the CPU backend's; the result
/// is the device's ``TuningTable/Entry``.
public struct TuningSearch {
    public var device: OpenCLDevice
    public var settings: RuntimeSettings
    /// Images per batch of the timed shapes (rows = batch x 1025 tokens).
    public var batch: Int
    /// Least seconds per candidate and op.
    public var seconds: Double
    public var log: (String) -> Void

    public init(device: OpenCLDevice, settings: RuntimeSettings, batch: Int, seconds: Double, log: @escaping (String) -> Void) {
        self.device = device
        self.settings = settings
        self.batch = batch
        self.seconds = seconds
        self.log = log
    }

    /// Largest relative difference from the CPU backend a candidate may show.
    static let tolerance = 1e-4

    /// Searches the ops named in `ops` (`gemm`, `attention`, `layernorm`); the others keep the defaults of the device's type.
    public func run(ops: Set<String>) throws -> TuningTable.Entry {
        var entry = TuningTable.Entry(vendor: device.vendor, device: device.name, type: device.type.rawValue,
                                      note: "u2ad tune, batch \(batch), \(ISO8601DateFormatter().string(from: Date()))")
        if ops.contains("gemm") {
            entry.gemm = try fastest("gemm", Self.gemmCandidates(for: device.type), install: { $0.gemm = $1 }, probe: gemmProbe, timed: gemmWork)
        }
        if ops.contains("attention") {
            entry.attention = try fastest("attention", Self.attentionCandidates(for: device.type), install: { $0.attention = $1 },
                                          probe: attentionProbe, timed: attentionWork)
        }
        if ops.contains("layernorm") {
            entry.layerNorm = try fastest("layernorm", Self.layerNormCandidates(for: device.type), install: { $0.layerNorm = $1 },
                                          probe: layerNormProbe, timed: layerNormWork)
        }
        return entry
    }

    // MARK: Candidates

    /// Tiles around CLBlast's usual GPU choices (work-groups of 64 to 256 items), or a few small ones on a CPU device.
    static func gemmCandidates(for type: OpenCLDeviceType) -> [GEMMTiles] {
        var candidates: [GEMMTiles] = []
        let gpu = type == .gpu || type == .accelerator
        for (tileM, tileN) in gpu ? [(64, 64), (128, 64), (64, 128), (128, 128)] : [(32, 32), (64, 32), (64, 64)] {
            for tileK in gpu ? [16, 32] : [16] {
                for (wm, wn) in gpu ? [(4, 4), (8, 4), (4, 8), (8, 8)] : [(4, 4), (8, 4)] {
                    for doubleBuffer in gpu ? [false, true] : [false] {
                        let tiles = GEMMTiles(tileM: tileM, tileN: tileN, tileK: tileK, workPerThreadM: wm, workPerThreadN: wn, doubleBuffer: doubleBuffer)
                        if tiles.isValid && (gpu ? (64...256).contains(tiles.workGroupSize) : tiles.workGroupSize <= 128) { candidates.append(tiles) }
                    }
                }
            }
        }
        return candidates
    }

    static func attentionCandidates(for type: OpenCLDeviceType) -> [AttentionTiles] {
        let gpu = type == .gpu || type == .accelerator
        var candidates: [AttentionTiles] = []
        for block in gpu ? [64, 128] : [32] {
            for queries in gpu ? [1, 2, 4] : [1, 2] {
                for keys in gpu ? [1, 2, 4] : [1] {
                    for keyChunk in gpu ? [8, 16] : [8] { candidates.append(AttentionTiles(block: block, queries: queries, keys: keys, keyChunk: keyChunk)) }
                }
            }
        }
        return candidates.filter(\.isValid)
    }

    static func layerNormCandidates(for type: OpenCLDeviceType) -> [LayerNormTiles] {
        (type == .gpu || type == .accelerator ? [16, 32, 64, 128] : [4, 8, 16]).map { LayerNormTiles(groupSize: $0) }
    }

    // MARK: Search

    /// The fastest candidate of `op` whose `probe` output agrees with the CPU backend's; each candidate runs on a backend
    /// of its own whose table holds only it.
    private func fastest<Parameters: CustomStringConvertible>(_ op: String, _ candidates: [Parameters],
                                                              install: (inout TuningTable.Entry, Parameters) -> Void,
                                                              probe: (Backend) throws -> [Float],
                                                              timed: (Backend) throws -> () throws -> Void) throws -> Parameters {
        let expected = try probe(CPUBackend())
        var best: (parameters: Parameters, seconds: Double)?
        for candidate in candidates {
            var entry = TuningTable.Entry(vendor: device.vendor, device: device.name, type: device.type.rawValue)
            install(&entry, candidate)
            var candidateSettings = settings
            candidateSettings.tuning = TuningTable(entries: [entry])
            candidateSettings.gemmTiles = nil
            candidateSettings.tuneAs = nil
            do {
                let backend = try OpenCLBackend(device: device, settings: candidateSettings)
                let error = relativeDifference(try probe(backend), expected)
                guard error <= Self.tolerance else {
                    log("\(op) \(candidate): rejected, differs from the CPU backend by \(String(format: "%.2g", error))")
                    continue
                }
                let work = try timed(backend)
                let time = try median(backend, work)
                log("\(op) \(candidate): \(String(format: "%.3f", time * 1e3)) ms")
                if best == nil || time < best!.seconds { best = (candidate, time) }
            } catch {
                log("\(op) \(candidate): rejected, \(error)")
            }
        }
        guard let best else { throw RuntimeError.badSetting("u2ad tune", op, "at least one candidate that builds and agrees with the CPU backend") }
        log("\(op): \(best.parameters) (\(String(format: "%.3f", best.seconds * 1e3)) ms)")
        return best.parameters
    }

    private func median(_ backend: Backend, _ body: () throws -> Void) throws -> Double {
        try body()
        try backend.synchronize()
        var samples: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            try backend.synchronize()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds || samples.count < 3
        return samples.sorted()[samples.count / 2]
    }

    private func relativeDifference(_ actual: [Float], _ expected: [Float]) -> Double {
        guard actual.count == expected.count else { return .infinity }
        var worst = 0.0, scale = 1e-30
        for (a, e) in zip(actual, expected) {
            if !a.isFinite { return .infinity }
            worst = max(worst, abs(Double(a) - Double(e)))
            scale = max(scale, abs(Double(e)))
        }
        return worst / scale
    }

    // MARK: Work

    /// Every transpose pair and the fusions the model uses, on shapes that are not tile multiples.
    private func gemmProbe(_ backend: Backend) throws -> [Float] {
        let (m, n, k) = (1030, 196, 132)
        let a = try backend.makeBuffer(benchmarkValues(m * k, seed: 11)), b = try backend.makeBuffer(benchmarkValues(n * k, seed: 12))
        let bias = try backend.makeBuffer(benchmarkValues(n, seed: 13)), c = try backend.makeBuffer([m * n])
        var out: [Float] = []
        for (transposeA, transposeB) in [(false, true), (false, false), (true, false), (true, true)] {
            try backend.gemm(a, b, into: c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                             fusion: GEMMFusion(bias: transposeA ? nil : bias, activation: transposeA ? .none : .gelu))
            out += try backend.download(c)
        }
        let rows = 5000, dy = try backend.makeBuffer(benchmarkValues(rows * 64, seed: 14)), x = try backend.makeBuffer(benchmarkValues(rows * 32, seed: 15))
        let dw = try backend.makeBuffer([64 * 32]), db = try backend.makeBuffer([64])
        try backend.gemm(dy, x, into: dw, m: 64, n: 32, k: rows, transposeA: true, transposeB: false, fusion: GEMMFusion(rowSums: db))
        return out + (try backend.download(dw)) + (try backend.download(db))
    }

    /// The model's Linear layers at `batch` images, forward and the weight gradient.
    private func gemmWork(_ backend: Backend) throws -> () throws -> Void {
        let m = batch * referenceTokens
        let calls = try [(128, 384), (128, 512), (512, 128), (128, 128), (64, 192), (64, 256), (256, 64)].map { k, n -> () throws -> Void in
            let a = try backend.makeBuffer(benchmarkValues(m * k, seed: 1)), w = try backend.makeBuffer(benchmarkValues(n * k, seed: 2))
            let c = try backend.makeBuffer([m, n])
            return { try backend.gemm(a, w, into: c, m: m, n: n, k: k, transposeA: false, transposeB: true) }
        }
        let dy = try backend.makeBuffer(benchmarkValues(m * 512, seed: 3)), x = try backend.makeBuffer(benchmarkValues(m * 128, seed: 4))
        let dw = try backend.makeBuffer([512, 128]), db = try backend.makeBuffer([512])
        let weightGradient = { try backend.gemm(dy, x, into: dw, m: 512, n: 128, k: m, transposeA: true, transposeB: false, fusion: GEMMFusion(rowSums: db)) }
        return { for call in calls { try call() }; try weightGradient() }
    }

    /// Forward and backward with dropout on a shape that is not a tile multiple.
    private func attentionProbe(_ backend: Backend) throws -> [Float] {
        let shape = AttentionShape(batch: 2, tokens: 203, heads: 2, headDim: 8), rows = 2 * 203
        let qkv = try backend.makeBuffer(benchmarkValues(rows * 3 * shape.width, seed: 21)), out = try backend.makeBuffer([rows * shape.width])
        let lse = try backend.makeBuffer([2 * 2 * 203]), dout = try backend.makeBuffer(benchmarkValues(rows * shape.width, seed: 22))
        let dqkv = try backend.makeBuffer([rows * 3 * shape.width])
        let dropout = DropoutSpec(rate: 0.1, key: RandomKey(seed: 5), step: 1, layer: 2, firstPass: 3)
        try backend.attentionForward(qkv: qkv, into: out, logSumExp: lse, shape: shape, dropout: dropout)
        try backend.attentionBackward(qkv: qkv, out: out, gradOut: dout, logSumExp: lse, into: dqkv, shape: shape, dropout: dropout)
        return try backend.download(out) + backend.download(dqkv)
    }

    /// The encoder's and the decoder's attention at `batch` images, forward and backward.
    private func attentionWork(_ backend: Backend) throws -> () throws -> Void {
        let calls = try Attention.benchmarks(batch: batch).map { try $0.setUp(backend) }
        return { for call in calls { try call() } }
    }

    private func layerNormProbe(_ backend: Backend) throws -> [Float] {
        let rows = 333, dim = 128
        let x = try backend.makeBuffer(benchmarkValues(rows * dim, seed: 31)), gamma = try backend.makeBuffer(benchmarkValues(dim, seed: 32))
        let beta = try backend.makeBuffer(benchmarkValues(dim, seed: 33)), y = try backend.makeBuffer([rows * dim])
        let mean = try backend.makeBuffer([rows]), rstd = try backend.makeBuffer([rows])
        let dy = try backend.makeBuffer(benchmarkValues(rows * dim, seed: 34)), dx = try backend.makeBuffer([rows * dim])
        let dgamma = try backend.makeBuffer([dim]), dbeta = try backend.makeBuffer([dim])
        try backend.layerNormForward(x, gamma: gamma, beta: beta, into: y, mean: mean, rstd: rstd, rows: rows, dim: dim, epsilon: 1e-5)
        try backend.layerNormBackward(dy, x: x, gamma: gamma, mean: mean, rstd: rstd, dx: dx, adding: nil, dgamma: dgamma, dbeta: dbeta, rows: rows, dim: dim)
        return try backend.download(y) + backend.download(dx) + backend.download(dgamma) + backend.download(dbeta)
    }

    private func layerNormWork(_ backend: Backend) throws -> () throws -> Void {
        let calls = try LayerNorm.benchmarks(batch: batch).map { try $0.setUp(backend) }
        return { for call in calls { try call() } }
    }
}
