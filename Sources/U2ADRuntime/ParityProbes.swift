import U2ADRandom

/// Calls of the ops on fixed inputs whose outputs two backends must agree on (float tolerance): `u2ad tune` checks
/// each candidate against the CPU backend with them, and `u2ad-bench parity` checks a device (benchmarks/gpu).
/// Shapes are not tile multiples, and dropout is on where an op has it.
public enum ParityProbes {
    /// Every probe by name.
    public static let all: [(name: String, run: (Backend) throws -> [Float])] = [
        ("gemm", gemm), ("attention", attention), ("layernorm", layerNorm), ("indexing", indexing), ("pixel-moments", pixelMoments),
        ("patch-ranking", patchRanking),
    ]

    /// Every transpose pair and the fusions the model uses, on shapes that are not tile multiples.
    public static func gemm(_ backend: Backend) throws -> [Float] {
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

    /// Forward and backward with dropout on a shape that is not a tile multiple.
    public static func attention(_ backend: Backend) throws -> [Float] {
        let shape = AttentionShape(batch: 2, tokens: 203, heads: 2, headDim: 8), rows = 2 * 203
        let qkv = try backend.makeBuffer(benchmarkValues(rows * 3 * shape.width, seed: 21)), out = try backend.makeBuffer([rows * shape.width])
        let lse = try backend.makeBuffer([2 * 2 * 203]), dout = try backend.makeBuffer(benchmarkValues(rows * shape.width, seed: 22))
        let dqkv = try backend.makeBuffer([rows * 3 * shape.width])
        let dropout = DropoutSpec(rate: 0.1, key: RandomKey(seed: 5), step: 1, layer: 2, firstPass: 3)
        try backend.attentionForward(qkv: qkv, into: out, logSumExp: lse, shape: shape, dropout: dropout)
        try backend.attentionBackward(qkv: qkv, out: out, gradOut: dout, logSumExp: lse, into: dqkv, shape: shape, dropout: dropout)
        return try backend.download(out) + backend.download(dqkv)
    }

    /// Forward and backward (dx, dgamma, dbeta) over rows that fill no whole group.
    public static func layerNorm(_ backend: Backend) throws -> [Float] {
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

    /// The mask's row maps, a row gather with mask token and positions, and patchify by slot.
    public static func indexing(_ backend: Backend) throws -> [Float] {
        let (batch, patches, visible, width) = (3, 64, 50, 24)
        var order: [Int32] = []
        for b in 0..<batch {
            let hidden = Set((0..<(patches - visible)).map { (7 * $0 + 3 * b) % patches })
            order += (0..<patches).filter { !hidden.contains($0) }.map(Int32.init) + hidden.sorted().map(Int32.init)
        }
        func ints(_ count: Int) throws -> Buffer { try backend.makeBuffer(count: count, shape: nil, elementType: .int32) }
        let rows = MaskRows(encoder: try ints(batch * (1 + visible)), decoder: try ints(batch * (1 + patches)), patchTokens: try ints(batch * patches),
                            cls: try ints(batch), embedded: try ints(batch * (1 + visible)), maskTokens: try ints(batch * (patches - visible)))
        try backend.buildMaskRows(order: try backend.makeIndexBuffer(order), batch: batch, patches: patches, visible: visible, into: rows)
        let embedded = try backend.makeBuffer(benchmarkValues(batch * (1 + visible) * width, seed: 41))
        let decoder = try backend.makeBuffer([batch * (1 + patches) * width])
        try backend.gatherRows(embedded, rows: rows.decoder, into: decoder, count: batch * (1 + patches), width: width,
                               fill: try backend.makeBuffer(benchmarkValues(width, seed: 42)), table: try backend.makeBuffer(benchmarkValues((1 + patches) * width, seed: 43)),
                               period: 1 + patches)
        let images = try backend.makeBuffer(benchmarkValues(2 * 64 * 64, seed: 44)), patched = try backend.makeBuffer([batch * 64 * 64])
        try backend.patchify(images, slots: try backend.makeIndexBuffer([1, 0, 1]), into: patched, batch: batch, size: 64, patch: 8)
        let maps = [rows.encoder, rows.decoder, rows.patchTokens!, rows.cls!, rows.embedded!, rows.maskTokens!]
        return try maps.flatMap { try backend.downloadInts($0).map(Float.init) } + backend.download(decoder) + backend.download(patched)
    }

    /// Two batches of moments over two slots, finished into both slots' maps.
    public static func pixelMoments(_ backend: Backend) throws -> [Float] {
        let shape = PixelMomentsShape(size: 64, patch: 8, slots: 2)
        let rowsPerPass = 1 + shape.patchCount, area = 64
        let moments = try backend.makeBuffer([shape.momentWords])
        try backend.fill(moments, with: 0, count: shape.momentWords)
        for batch in 0..<2 {
            let passes = 5, sampled = (0..<passes).map { b in (0..<12).map { (5 * $0 + b + batch) % shape.patchCount } }
            let heads = try backend.makeBuffer(benchmarkValues(passes * rowsPerPass * area, seed: 51 + batch).map { 0.5 + 0.5 * $0 })
            let table = try backend.makeIndexBuffer(shape.table(runs: [(slot: 1, passes: 0..<2), (slot: 0, passes: 2..<passes)], sampled: sampled))
            try backend.accumulatePixelMoments(heads, table: table, runs: 2, into: moments, shape: shape)
        }
        let images = try backend.makeBuffer(benchmarkValues(2 * shape.pixels, seed: 53))
        let regions = try backend.makeIndexBuffer((0..<2).flatMap { s in shape.regionBits((0..<shape.pixels).map { ($0 + s) % 3 == 0 ? 0 : 1 }) })
        let maps = try backend.makeBuffer([3 * shape.pixels])
        var out: [Float] = []
        for slot in 0..<2 {
            try backend.finishPixelMoments(moments, slot: slot, images: images, regions: regions, into: maps, shape: shape)
            out += try backend.download(maps)
        }
        return out
    }

    /// Training masks of the model's 1024 patches with uncertainty weights: float32 scores compared unfused
    /// (`FP_CONTRACT OFF`), so the order must be the CPU twin's exactly (one patch out of place is a difference of 1e-3).
    public static func patchRanking(_ backend: Backend) throws -> [Float] {
        let rows = 4, patches = 1024
        let roi = try backend.makeBuffer((0..<(rows * patches)).map { ($0 % patches) % 9 < 3 ? Float(64) : 0 })
        let weights = try backend.makeBuffer(benchmarkValues(rows * patches, seed: 61).map { 1 + abs($0) })
        let order = try backend.makeBuffer(count: rows * patches, shape: nil, elementType: .int32)
        try backend.rankPatches(roi: roi, weights: weights, images: try backend.makeIndexBuffer([3, 1, 4, 1]), into: order,
                                ranking: PatchRanking(rows: rows, patches: patches, visibleCount: 700, key: RandomKey(seed: 9), step: 2, stream: 7))
        return try backend.downloadInts(order).map(Float.init)
    }

    /// max |actual - expected| / max |expected| (infinite when a value is not finite or the lengths differ).
    public static func relativeDifference(_ actual: [Float], _ expected: [Float]) -> Double {
        guard actual.count == expected.count else { return .infinity }
        var worst = 0.0, scale = 1e-30
        for (a, e) in zip(actual, expected) {
            if !a.isFinite { return .infinity }
            worst = max(worst, abs(Double(a) - Double(e)))
            scale = max(scale, abs(Double(e)))
        }
        return worst / scale
    }
}
