extension CPUBackend: PatchRankingOps {
    /// Rows in parallel, each scored and sorted on its own.
    public func rankPatches(roi: Buffer, weights: Buffer?, images: Buffer, into order: Buffer, ranking: PatchRanking) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("rank_patches", started) }
        let roiPointer = floats(roi), weightPointer = weights.map { floats($0) }, imagePointer = ints(images), out = ints(order)
        let n = ranking.patches, visible = min(max(ranking.visibleCount, 0), n)
        parallelRanges(ranking.rows, grain: 1) { rows in
            var keys = [Float](repeating: 0, count: n)
            var hidden = [Bool](repeating: false, count: n)
            for row in rows {
                let image = UInt32(bitPattern: imagePointer[row])
                for l in 0..<n {
                    let u = ranking.uniform(image: image, patch: UInt32(l))
                    let w: Float = weightPointer.map { $0[row * n + l] } ?? 1
                    let product = u * w
                    keys[l] = product + roiPointer[row * n + l]
                }
                let sorted = (0..<n).sorted { a, b in keys[a] < keys[b] || (keys[a] == keys[b] && a < b) }
                for (rank, l) in sorted.enumerated() { hidden[l] = rank >= visible }
                var v = 0, h = visible
                for l in 0..<n {
                    if hidden[l] { out[row * n + h] = Int32(l); h += 1 } else { out[row * n + v] = Int32(l); v += 1 }
                }
            }
        }
    }
}
