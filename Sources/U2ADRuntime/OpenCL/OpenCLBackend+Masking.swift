import Foundation

extension OpenCLBackend {
    // MARK: Masking

    /// `rank_patches` of `Kernels/masking.cl`: one work-group per row, the row sorted in local memory.
    /// Rows of more than 2048 patches (beyond any model here) run on the host twin.
    public func rankPatches(roi: Buffer, weights: Buffer?, images: Buffer, into order: Buffer, ranking: PatchRanking) {
        guard ranking.rows > 0, ranking.patches > 0 else { return }
        var padded = 1
        while padded < ranking.patches { padded <<= 1 }
        guard padded <= 2048 else { return rankPatchesOnHost(roi: roi, weights: weights, images: images, into: order, ranking: ranking) }
        let local = min(256, padded)
        launch("rank_patches", file: "masking.cl", options: "-DMASK_PADDED=\(padded)", global: [ranking.rows * local], local: [local],
               [.buffer(roi), .buffer(weights ?? roi), .int(weights == nil ? 0 : 1), .buffer(images), .buffer(order),
                .int(ranking.patches), .int(min(max(ranking.visibleCount, 0), ranking.patches)),
                .uint(UInt32(truncatingIfNeeded: ranking.seed)), .uint(UInt32(truncatingIfNeeded: ranking.seed >> 32)),
                .uint(ranking.step), .uint(ranking.stream)])
    }

    private func rankPatchesOnHost(roi: Buffer, weights: Buffer?, images: Buffer, into order: Buffer, ranking: PatchRanking) {
        let host = CPUBackend()
        func copy(_ buffer: Buffer, ints: Bool) -> Buffer? {
            guard let copy = try? host.makeBuffer(count: buffer.count, shape: nil, elementType: ints ? .int32 : .float32) else { return nil }
            if ints { host.upload(downloadInts(buffer), to: copy) } else { host.upload(download(buffer), to: copy) }
            return copy
        }
        guard let r = copy(roi, ints: false), let i = copy(images, ints: true), let o = copy(order, ints: true) else {
            fatal("out of host memory for rank_patches")
        }
        host.rankPatches(roi: r, weights: weights.flatMap { copy($0, ints: false) }, images: i, into: o, ranking: ranking)
        upload(host.downloadInts(o), to: order)
    }
}
