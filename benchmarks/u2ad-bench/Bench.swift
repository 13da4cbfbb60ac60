import ArgumentParser
import CBLAS
import Dispatch
import Foundation
import U2ADData
import U2ADModel
import U2ADRandom
import U2ADRuntime

/// Throughput benchmarks for the runtime's kernels and the model, printed as Markdown tables.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "u2ad-bench",
        abstract: "Benchmarks: one suite per op, blas, block, model, or all. Figures go to docs/performance.md.",
        discussion: "Op suites: \(allOps.map { $0.name }.joined(separator: ", ")). blas compares the CPU backend's GEMM with a direct cblas_sgemm call. "
            + "parity checks every backend against the first (the ops' probes and the model's MC forward); maps compares two detect outputs (--maps A,B).")

    @Argument(help: "An op's name, blas, block, model, ops (every op) or all.")
    var suite: String = "all"

    @Option(help: "Backends to measure, comma-separated: cpu, opencl, opencl:P:D.")
    var backends: String = "cpu"

    @Option(help: "Minimum seconds per measurement.")
    var seconds: Double = 1.0

    @Option(help: "Batch sizes for attention/block/model forward.")
    var batches: String = "1,10,32"

    @Option(help: "For the maps suite: two folders of u2ad detect output, comma-separated.")
    var maps: String?

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)
        let choices = try backends.split(separator: ",").map { try BackendSelector.make(try BackendRequest(parsing: String($0))) }
        let batchSizes = batches.split(separator: ",").compactMap { Int($0) }
        print("machine: \(CPUInfo.modelName), \(cpuThreadCount) threads; OpenBLAS core \(BLASInfo.coreName)")
        for choice in choices { print("backend: \(choice.backend.kind.rawValue) on \(choice.backend.deviceName)") }
        let opNames = allOps.map { $0.name }
        let suites = suite == "all" ? opNames + ["blas", "block", "model"] : suite == "ops" ? opNames : [suite]
        let backends = choices.map(\.backend)
        for name in suites {
            switch name {
            case "blas": try blas(backends)
            case "block": try block(backends, batchSizes)
            case "model": try model(backends, batchSizes)
            case "parity": try parity(backends)
            case "maps": try compareMaps()
            default:
                guard let op = allOps.first(where: { $0.name == name }) else {
                    throw ValidationError("unknown suite '\(name)'; use one of \((opNames + ["blas", "block", "model", "parity", "maps", "ops", "all"]).joined(separator: ", "))")
                }
                try opSuite(op, backends, batchSizes)
            }
        }
    }

    /// Every benchmark case of `op` on every backend: median time, GFLOP/s, GB/s, and the time ratio to the first backend.
    func opSuite(_ op: OpDescription.Type, _ backends: [Backend], _ batches: [Int]) throws {
        print("\n## \(op.name) (\(op.kernelFile)): median ms, GFLOP/s and GB/s of the minimum traffic\n")
        print("| case | batch | backend | ms | GFLOP/s | GB/s | time / \(backends[0].kind.rawValue) |")
        print("|---|---|---|---|---|---|---|")
        for batch in batches {
            for (index, item) in op.benchmarks(batch: batch).enumerated() {
                var first: Double?
                for backend in backends {
                    let call = try item.setUp(backend)
                    let t = try time(backend, call)
                    first = first ?? t
                    let gflops = item.flops > 0 ? String(format: "%.1f", item.flops / t / 1e9) : "-"
                    print("| \(item.label) | \(batch) | \(backend.kind.rawValue) | \(String(format: "%.3f", t * 1e3)) | \(gflops) | "
                          + "\(String(format: "%.1f", item.bytes / t / 1e9)) | \(String(format: "%.2f", t / first!)) |")
                }
                _ = index
            }
        }
    }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// Median seconds of `body` over repeated runs lasting at least `seconds` in total (after one warm-up).
    func time(_ backend: Backend?, seconds: Double? = nil, _ body: () throws -> Void) throws -> Double {
        let seconds = seconds ?? self.seconds
        try body(); try backend?.synchronize()
        var samples: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body(); try backend?.synchronize()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds || samples.count < 3
        return samples.sorted()[samples.count / 2]
    }

    func randomValues(_ count: Int, seed: Int) -> [Float] {
        var random = RandomKey(seed: 0x42454E43).fold(in: seed).stream()
        return (0..<count).map { _ in Float(random.uniform() * 2 - 1) }
    }

    func blas(_ backends: [Backend]) throws {
        print("\n## GEMM against a direct cblas_sgemm (C = A B^T, the model's Linear layers), GFLOP/s; ratio = median of 5 alternating rounds\n")
        let kn = [(128, 384), (128, 128), (128, 512), (512, 128), (64, 192), (64, 64), (64, 256), (256, 64)]
        var header = "| M | K | N | direct cblas_sgemm |"
        for b in backends { header += " \(b.kind.rawValue) | \(b.kind.rawValue) / direct |" }
        print(header)
        print("|" + String(repeating: "---|", count: 4 + 2 * backends.count))
        for batch in [1, 10, 32] {
            let m = 1025 * batch
            for (k, n) in kn {
                let a = randomValues(m * k, seed: 1), w = randomValues(n * k, seed: 2)
                var c = [Float](repeating: 0, count: m * n)
                let flops = 2.0 * Double(m) * Double(n) * Double(k)
                let directCall = {
                    a.withUnsafeBufferPointer { ap in w.withUnsafeBufferPointer { wp in c.withUnsafeMutableBufferPointer { cp in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, ap.baseAddress, Int32(k),
                                    wp.baseAddress, Int32(k), 0, cp.baseAddress, Int32(n))
                    } } }
                }
                var row = ""
                var directTimes: [Double] = []
                for backend in backends {
                    let ab = try backend.makeBuffer(a), wb = try backend.makeBuffer(w), cb = try backend.makeBuffer([m * n])
                    // Alternate short rounds so that load from other tenants hits both alike. The direct call gets
                    // OpenBLAS's own threads; the CPU backend runs OpenBLAS single-threaded inside its own workers.
                    var ratios: [Double] = [], backendTimes: [Double] = []
                    for _ in 0..<5 {
                        openblas_set_num_threads(Int32(cpuThreadCount))
                        let direct = try time(nil, seconds: seconds / 5, directCall)
                        openblas_set_num_threads(1)
                        let t = try time(backend, seconds: seconds / 5) { try backend.gemm(ab, wb, into: cb, m: m, n: n, k: k, transposeA: false, transposeB: true) }
                        directTimes.append(direct)
                        backendTimes.append(t)
                        ratios.append(direct / t)
                    }
                    row += " \(String(format: "%.1f", flops / median(backendTimes) / 1e9)) | \(String(format: "%.2f", median(ratios))) |"
                }
                row = "| \(m) | \(k) | \(n) | \(String(format: "%.1f", flops / median(directTimes) / 1e9)) |" + row
                print(row)
            }
        }
    }

    func block(_ backends: [Backend], _ batches: [Int]) throws {
        print("\n## Transformer block forward + backward, T = 1025 (ms)\n")
        print("| backend | dim | heads | batch | forward ms | backward ms | total ms |")
        print("|---|---|---|---|---|---|---|")
        for backend in backends {
            for (dim, heads) in [(128, 16), (64, 8)] {
                for batch in batches {
                    let block = TransformerBlock(prefix: "", dim: dim, heads: heads, layer: 0)
                    let arena = try ParameterArena(backend: backend, tensors: block.parameterShapes)
                    for (name, shape) in block.parameterShapes { try arena.set(name, randomValues(shape.reduce(1, *), seed: 5).map { $0 * 0.1 }) }
                    let rows = batch * 1025
                    let acts = try TransformerBlock.Activations(backend: backend, block: block, batch: batch, tokens: 1025)
                    let scratch = try TransformerBlock.Scratch(backend: backend, dim: dim, hiddenDim: 4 * dim, rows: rows)
                    let x = try backend.makeBuffer(randomValues(rows * dim, seed: 6)), y = try backend.makeBuffer([rows * dim])
                    let dy = try backend.makeBuffer(randomValues(rows * dim, seed: 7)), dx = try backend.makeBuffer([rows * dim])
                    let forward = try time(backend) {
                        try block.forward(x, into: y, batch: batch, tokens: 1025, parameters: arena, saving: acts, scratch: scratch)
                    }
                    let backward = try time(backend) {
                        try block.backward(dy, input: x, into: dx, batch: batch, tokens: 1025, parameters: arena, saved: acts, scratch: scratch)
                    }
                    print("| \(backend.kind.rawValue) | \(dim) | \(heads) | \(batch) | \(String(format: "%.1f", forward * 1e3)) | \(String(format: "%.1f", backward * 1e3)) | \(String(format: "%.1f", (forward + backward) * 1e3)) |")
                }
            }
        }
    }

    /// A batch of the model's typical masking: the ROI (about 60 patches) 75% hidden; `shift` varies which.
    func typicalMask(batch: Int, shift: Int = 0) throws -> PatchMask {
        let roi = Array(400..<460)
        var rows: [[Bool]] = []
        for b in 0..<batch {
            var hidden = [Bool](repeating: false, count: 1024)
            for (i, l) in roi.enumerated() where (i + b + shift) % 4 != 0 { hidden[l] = true }
            rows.append(hidden)
        }
        return try PatchMask(hidden: rows)
    }

    /// Kernel launches and bytes each way of one call of `body` on `backend`, as table cells.
    func traffic(_ backend: Backend, _ body: () throws -> Void) throws -> String {
        try backend.synchronize()
        let before = backend.traffic
        try body()
        try backend.synchronize()
        let used = backend.traffic - before
        let launches = backend.kind == .cpu ? "-" : "\(used.launches)"
        return "\(launches) | \(String(format: "%.3f", Double(used.hostToDeviceBytes) / 1e6)) | \(String(format: "%.3f", Double(used.deviceToHostBytes) / 1e6))"
    }

    func model(_ backends: [Backend], _ batches: [Int]) throws {
        print("\n## Full UGMAE (12 + 8 blocks)\n")
        print("Launches and MB to / from the device are those of one call (the mask already on the device for forward).\n")
        print("| backend | measurement | batch | seconds | images/s | launches | MB to device | MB back |")
        print("|---|---|---|---|---|---|---|---|")
        for backend in backends {
            let model = try UGMAE(backend: backend)
            try model.initializeRandomly(key: RandomKey(seed: 1))
            for batch in batches {
                let workspace = try UGMAE.Workspace(model: model, batch: batch, training: false)
                let images = randomValues(batch * 65536, seed: 8).map { abs($0) }
                let mask = try typicalMask(batch: batch)
                let t = try time(backend) { try model.forward(workspace, images: images, mask: mask) }
                let moved = try traffic(backend) { try model.forward(workspace, images: images, mask: mask) }
                print("| \(backend.kind.rawValue) | forward | \(batch) | \(String(format: "%.3f", t)) | \(String(format: "%.2f", Double(batch) / t)) | \(moved) |")
                // An MC batch: images already in their slots, the intensity head alone, a new mask each batch.
                let masks = [mask, try typicalMask(batch: batch, shift: 1)]
                var next = 0
                let slots = Array(0..<batch)
                let mc = try time(backend) {
                    try model.forward(workspace, imageSlots: slots, mask: masks[next % 2], heads: .intensity)
                    next += 1
                }
                let mcMoved = try traffic(backend) { try model.forward(workspace, imageSlots: slots, mask: masks[next % 2], heads: .intensity); next += 1 }
                print("| \(backend.kind.rawValue) | MC forward (intensity head, new mask) | \(batch) | \(String(format: "%.3f", mc)) | "
                      + "\(String(format: "%.2f", Double(batch) / mc)) | \(mcMoved) |")
            }
            let batch = 10
            let workspace = try UGMAE.Workspace(model: model, batch: batch, training: true)
            let images = randomValues(batch * 65536, seed: 9).map { abs($0) }
            let mask = try typicalMask(batch: batch)
            let first = try backend.makeBuffer([model.parameters.capacity]), second = try backend.makeBuffer([model.parameters.capacity])
            try backend.fill(first, with: 0, count: first.count); try backend.fill(second, with: 0, count: second.count)
            let patched = (0..<batch).flatMap { b in Patchify.patchify(Array(images[(b * 65536)..<((b + 1) * 65536)]), size: 256, patch: 8) }
            let roi = [Float](repeating: 1, count: patched.count)
            var step = 0
            let trainingStep = {
                try model.forward(workspace, images: images, mask: mask)
                let (intensity, edge) = try model.headOutputs(workspace)
                let loss = ReconstructionLoss.evaluate(intensity: intensity, edge: edge, images: patched, edgeTargets: patched, rois: roi,
                                                       mask: mask, grid: 32, epoch: 1)
                try model.backward(workspace, intensityGradient: loss.intensityGradient, edgeGradient: loss.edgeGradient)
                step += 1
                try model.applyAdam(AdamStep(learningRate: 1e-4, beta2: 0.95, step: step), moments: (first, second))
            }
            let t = try time(backend, trainingStep)
            let moved = try traffic(backend, trainingStep)
            print("| \(backend.kind.rawValue) | training step (fwd + bwd + Adam) | \(batch) | \(String(format: "%.3f", t)) | \(String(format: "%.2f", Double(batch) / t)) | \(moved) |")
        }
    }

    /// Largest relative difference a backend may show from the first in the parity suite.
    static let parityTolerance = 1e-4

    /// Every backend after the first against the first: the ops' probes (``ParityProbes``) and the full model's MC
    /// forward (intensity head) on a typical mask. Fails when a difference exceeds ``parityTolerance``.
    func parity(_ backends: [Backend]) throws {
        guard backends.count >= 2 else { throw ValidationError("parity needs two backends, e.g. --backends cpu,opencl") }
        print("\n## Parity against \(backends[0].kind.rawValue): max |difference| / max |value|\n")
        print("| check | backend | relative difference | within \(Self.parityTolerance) |")
        print("|---|---|---|---|")
        var failures: [String] = []
        func report(_ name: String, _ backend: Backend, _ difference: Double) {
            let ok = difference <= Self.parityTolerance
            if !ok { failures.append("\(name) on \(backend.deviceName)") }
            print("| \(name) | \(backend.kind.rawValue) | \(String(format: "%.3g", difference)) | \(ok ? "yes" : "NO") |")
        }
        for probe in ParityProbes.all {
            let expected = try probe.run(backends[0])
            for backend in backends.dropFirst() { report(probe.name, backend, ParityProbes.relativeDifference(try probe.run(backend), expected)) }
        }
        func modelForward(_ backend: Backend) throws -> [Float] {
            let model = try UGMAE(backend: backend)
            try model.initializeRandomly(key: RandomKey(seed: 3))
            let batch = 4, workspace = try UGMAE.Workspace(model: model, batch: batch, training: false)
            let images = randomValues(batch * 65536, seed: 8).map { abs($0) }
            for b in 0..<batch { try model.placeImage(Array(images[(b * 65536)..<((b + 1) * 65536)]), slot: b, in: workspace) }
            try model.forward(workspace, imageSlots: [2, 0, 3, 1], mask: try typicalMask(batch: batch), heads: .intensity)
            return try backend.download(model.intensityOutput(workspace))
        }
        let expected = try modelForward(backends[0])
        for backend in backends.dropFirst() { report("model MC forward, batch 4", backend, ParityProbes.relativeDifference(try modelForward(backend), expected)) }
        guard failures.isEmpty else { throw ValidationError("parity failed: \(failures.joined(separator: "; "))") }
    }

    /// The largest difference between the maps two `u2ad detect` runs wrote (`--maps A,B`), per map kind.
    func compareMaps() throws {
        let folders = (maps ?? "").split(separator: ",").map { URL(fileURLWithPath: String($0)) }
        guard folders.count == 2 else { throw ValidationError("maps needs --maps A,B: two folders of u2ad detect output") }
        let files = (FileManager.default.enumerator(atPath: folders[0].path)?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix(".npy") }.sorted()
        guard !files.isEmpty else { throw ValidationError("no .npy maps under \(folders[0].path)") }
        print("\n## Maps of \(folders[1].path) against \(folders[0].path): max |difference|\n")
        print("| map | files | max difference | max value |")
        print("|---|---|---|---|")
        var worst: [String: (files: Int, difference: Float, value: Float)] = [:]
        for file in files {
            let kind = file.split(separator: ".").dropLast().last.map(String.init) ?? file
            let a = try NPY.readFloats(folders[0].appendingPathComponent(file)).1, b = try NPY.readFloats(folders[1].appendingPathComponent(file)).1
            guard a.count == b.count else { throw ValidationError("\(file): \(a.count) values against \(b.count)") }
            let difference = zip(a, b).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            let entry = worst[kind, default: (0, 0, 0)]
            worst[kind] = (entry.files + 1, max(entry.difference, difference), max(entry.value, a.map(abs).max() ?? 0))
        }
        for (kind, entry) in worst.sorted(by: { $0.key < $1.key }) {
            print("| \(kind) | \(entry.files) | \(String(format: "%.3g", entry.difference)) | \(String(format: "%.3g", entry.value)) |")
        }
    }
}
