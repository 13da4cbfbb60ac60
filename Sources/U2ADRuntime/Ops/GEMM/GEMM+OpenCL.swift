import Foundation

/// `gemm.cl` compiled per ``GEMM/Variant`` with the device's tiles, and the split-k reduction.
final class GEMMKernels: OpenCLKernelSet {
    let tiles: GEMMTiles
    private let compiler: OpenCLCompiler
    private var variants: [GEMM.Variant: OpenCLKernel] = [:]
    private var reduce: OpenCLKernel?

    init(_ backend: OpenCLBackend) throws {
        tiles = GEMMTiles.tuned(for: backend.device, settings: backend.settings)
        compiler = backend.compiler
    }

    func kernel(_ variant: GEMM.Variant) throws -> OpenCLKernel {
        if let kernel = variants[variant] { return kernel }
        let kernel = try compiler.kernel("gemm", file: GEMM.kernelFile, defines: variant.defines(tiles))
        variants[variant] = kernel
        return kernel
    }

    func splitReduce() throws -> OpenCLKernel {
        if let reduce { return reduce }
        let kernel = try compiler.kernel("gemm_split_reduce", file: GEMM.kernelFile, defines: GEMM.Variant(transposeA: false, transposeB: false).defines(tiles))
        reduce = kernel
        return kernel
    }
}

extension OpenCLBackend: GEMMOps {
    public func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, fusion: GEMMFusion) throws {
        precondition(fusion.layerNorm == nil || !transposeA, "a LayerNorm of A's rows needs A stored [m, k]")
        precondition(fusion.derivativeAt == nil || (fusion.bias == nil && fusion.preActivation == nil), "an activation's derivative takes no bias")
        guard m > 0, n > 0 else { return }
        let kernels = try kernels(GEMMKernels.self)
        let tiles = kernels.tiles
        let splits = GEMM.splits(m: m, n: n, k: k, transposeA: transposeA, fusion: fusion)
        let variant = GEMM.Variant(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, fusion: fusion, splits: splits)
        let local = [tiles.tileN / tiles.workPerThreadN, tiles.tileM / tiles.workPerThreadM, 1]
        let global = [(n + tiles.tileN - 1) / tiles.tileN * local[0], (m + tiles.tileM - 1) / tiles.tileM * local[1], splits]
        let partial = splits > 1 ? try makeBuffer(count: splits * m * n, shape: nil, elementType: .float32) : c
        let partialSums = splits > 1 && fusion.rowSums != nil ? try makeBuffer(count: splits * m, shape: nil, elementType: .float32) : fusion.rowSums
        let layerNorm = fusion.layerNorm
        try kernels.kernel(variant).launch(
            global: global, local: local,
            [.int(m), .int(n), .int(k), .buffer(a), .buffer(b), .buffer(partial), .buffer(fusion.bias ?? c), .buffer(fusion.residual ?? c),
             .int(fusion.residualRows ?? m), .buffer(fusion.preActivation ?? fusion.derivativeAt ?? c), .buffer(partialSums ?? c),
             .int(GEMM.splitChunk), .buffer(layerNorm?.gamma ?? c), .buffer(layerNorm?.beta ?? c), .float(layerNorm?.epsilon ?? 0),
             .buffer(layerNorm?.normalized ?? c), .buffer(layerNorm?.mean ?? c), .buffer(layerNorm?.rstd ?? c)],
            flops: GEMM.flops(m: m, n: n, k: k), bytes: GEMM.bytes(m: m, n: n, k: k))
        guard splits > 1 else { return }
        let rowSums = fusion.rowSums.map { _ in m } ?? 0
        try kernels.splitReduce().launch(
            global: [m * n + rowSums], local: [Elementwise.groupSize],
            [.buffer(partial), .buffer(c), .int(m * n), .int(splits), .buffer(partialSums ?? c), .buffer(fusion.rowSums ?? c), .int(rowSums)],
            bytes: 4 * Double((splits + 1) * m * n))
    }
}
