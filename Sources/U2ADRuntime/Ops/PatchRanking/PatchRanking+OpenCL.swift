/// `patch_ranking.cl` per padded row length.
final class PatchRankingKernels: OpenCLKernelSet {
    private let compiler: OpenCLCompiler
    private var byPadded: [Int: OpenCLKernel] = [:]

    init(_ backend: OpenCLBackend) throws { compiler = backend.compiler }

    func kernel(padded: Int) throws -> OpenCLKernel {
        if let kernel = byPadded[padded] { return kernel }
        let kernel = try compiler.kernel("rank_patches", file: PatchRanking.kernelFile, defines: "-DMASK_PADDED=\(padded)")
        byPadded[padded] = kernel
        return kernel
    }
}

extension OpenCLBackend: PatchRankingOps {
    /// One work-group per row, the row sorted in local memory (bitonic). Longer rows than
    /// ``PatchRanking/largestDeviceRow`` run on the host twin.
    public func rankPatches(roi: Buffer, weights: Buffer?, images: Buffer, into order: Buffer, ranking: PatchRanking) throws {
        guard ranking.rows > 0, ranking.patches > 0 else { return }
        let padded = PatchRanking.paddedLength(ranking.patches)
        guard padded <= PatchRanking.largestDeviceRow else {
            return try rankPatchesOnHost(roi: roi, weights: weights, images: images, into: order, ranking: ranking)
        }
        let local = min(256, padded)
        try kernels(PatchRankingKernels.self).kernel(padded: padded).launch(
            global: [ranking.rows * local], local: [local],
            [.buffer(roi), .buffer(weights ?? roi), .int(weights == nil ? 0 : 1), .buffer(images), .buffer(order),
             .int(ranking.patches), .int(min(max(ranking.visibleCount, 0), ranking.patches)),
             .uint(ranking.key.low), .uint(ranking.key.high), .uint(ranking.step), .uint(ranking.stream)])
    }

    private func rankPatchesOnHost(roi: Buffer, weights: Buffer?, images: Buffer, into order: Buffer, ranking: PatchRanking) throws {
        let host = CPUBackend()
        let hostOrder = try host.makeBuffer(count: order.count, shape: nil, elementType: .int32)
        host.rankPatches(roi: try host.makeBuffer(try download(roi)), weights: try weights.map { try host.makeBuffer(try download($0)) },
                         images: try host.makeIndexBuffer(try downloadInts(images)), into: hostOrder, ranking: ranking)
        try upload(host.downloadInts(hostOrder), to: order)
    }
}
