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
            entry.gemm = try fastest("gemm", Self.gemmCandidates(for: device.type), install: { $0.gemm = $1 }, probe: ParityProbes.gemm, timed: gemmWork)
        }
        if ops.contains("attention") {
            entry.attention = try fastest("attention", Self.attentionCandidates(for: device.type), install: { $0.attention = $1 },
                                          probe: ParityProbes.attention, timed: attentionWork)
        }
        if ops.contains("layernorm") {
            entry.layerNorm = try fastest("layernorm", Self.layerNormCandidates(for: device.type), install: { $0.layerNorm = $1 },
                                          probe: ParityProbes.layerNorm, timed: layerNormWork)
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
                let error = ParityProbes.relativeDifference(try probe(backend), expected)
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

    // MARK: Work

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

    /// The encoder's and the decoder's attention at `batch` images, forward and backward.
    private func attentionWork(_ backend: Backend) throws -> () throws -> Void {
        let calls = try Attention.benchmarks(batch: batch).map { try $0.setUp(backend) }
        return { for call in calls { try call() } }
    }

    private func layerNormWork(_ backend: Backend) throws -> () throws -> Void {
        let calls = try LayerNorm.benchmarks(batch: batch).map { try $0.setUp(backend) }
        return { for call in calls { try call() } }
    }
}
