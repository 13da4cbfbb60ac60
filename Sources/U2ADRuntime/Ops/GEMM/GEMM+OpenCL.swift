import Foundation

/// `gemm.cl` compiled per ``GEMM/Variant`` with the device's tiles.
final class GEMMKernels: OpenCLKernelSet {
    let tiles: GEMMTiles
    private let compiler: OpenCLCompiler
    private var variants: [GEMM.Variant: OpenCLKernel] = [:]

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
}

extension OpenCLBackend: GEMMOps {
    public func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int,
                     transposeA: Bool, transposeB: Bool,
                     bias: Buffer?, activation: Activation, residual: Buffer?) throws {
        let kernels = try kernels(GEMMKernels.self)
        let tiles = kernels.tiles
        let variant = GEMM.Variant(transposeA: transposeA, transposeB: transposeB, bias: bias != nil, residual: residual != nil, activation: activation)
        let local = [tiles.tileN / tiles.workPerThreadN, tiles.tileM / tiles.workPerThreadM]
        let global = [(n + tiles.tileN - 1) / tiles.tileN * local[0], (m + tiles.tileM - 1) / tiles.tileM * local[1]]
        try kernels.kernel(variant).launch(global: global, local: local,
                                           [.int(m), .int(n), .int(k), .buffer(a), .buffer(b), .buffer(c), .buffer(bias ?? c), .buffer(residual ?? c)],
                                           flops: GEMM.flops(m: m, n: n, k: k), bytes: GEMM.bytes(m: m, n: n, k: k))
    }
}
