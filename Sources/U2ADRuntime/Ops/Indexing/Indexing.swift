/// Where the rows of one batch's masked tokens go, as built by ``IndexingOps/buildMaskRows(order:batch:patches:visible:into:)``
/// from the patch order: each is an int32 row index per destination row (`-1`: no source row).
///
/// With `B` images of `L` patches of which `V` are visible, encoder rows are `[B, 1 + V]` (cls, then the visible
/// patches in ascending order) and decoder rows `[B, 1 + L]` (cls, then every patch).
public struct MaskRows {
    /// `[B, 1 + V]`: encoder row <- patch-token row `b L + l` (`-1` for the cls row).
    public var encoder: Buffer
    /// `[B, 1 + L]`: decoder row <- embedded encoder row (`-1` for a hidden patch: the mask token).
    public var decoder: Buffer
    /// Backward only, `[B, L]`: patch-token row <- encoder row (`-1` for a hidden patch).
    public var patchTokens: Buffer?
    /// Backward only, `[B]`: the encoder's cls rows.
    public var cls: Buffer?
    /// Backward only, `[B, 1 + V]`: embedded encoder row <- decoder row.
    public var embedded: Buffer?
    /// Backward only, `[B, L - V]`: the decoder rows that hold the mask token.
    public var maskTokens: Buffer?

    public init(encoder: Buffer, decoder: Buffer, patchTokens: Buffer? = nil, cls: Buffer? = nil, embedded: Buffer? = nil, maskTokens: Buffer? = nil) {
        self.encoder = encoder
        self.decoder = decoder
        self.patchTokens = patchTokens
        self.cls = cls
        self.embedded = embedded
        self.maskTokens = maskTokens
    }

    /// True when the backward maps are all present.
    var hasBackward: Bool { patchTokens != nil && cls != nil && embedded != nil && maskTokens != nil }
}

/// Gathers (by element and by row), scatter, row-periodic broadcast, the mask's row maps and patchify: the patch
/// embedding, masking and positional-embedding steps of the model.
public protocol IndexingOps: AnyObject {
    /// `out[i] = index[i] >= 0 ? source[index[i]] : fill[i % fillPeriod]` (or 0 when `fill` is nil).
    func gather(_ source: Buffer, index: Buffer, into out: Buffer, count: Int, fill: Buffer?, fillPeriod: Int) throws
    /// `out[index[i]] += source[i]` for `index[i] >= 0`; `index` must not repeat a target.
    func scatterAdd(_ source: Buffer, index: Buffer, into out: Buffer, count: Int) throws
    /// `out[r, c] = x[r, c] + table[r % period, c]` over `rows x cols` (positional embeddings).
    func addBroadcastRows(_ x: Buffer, table: Buffer, into out: Buffer, rows: Int, cols: Int, period: Int) throws
    /// `out[r, c] = (rows[r] >= 0 ? source[rows[r], c] : fill[c]) + table[r % period, c]` over `count` rows of
    /// `width` values; a nil `fill` is 0 and a nil `table` adds nothing.
    func gatherRows(_ source: Buffer, rows: Buffer, into out: Buffer, count: Int, width: Int, fill: Buffer?, table: Buffer?, period: Int) throws
    /// The row maps of ``MaskRows`` from `order` (`[batch, patches]` int32: each image's `visible` visible patches in
    /// ascending order, then its hidden ones, as ``PatchRankingOps/rankPatches(roi:weights:images:into:ranking:)``
    /// writes it). The backward maps are written when present.
    func buildMaskRows(order: Buffer, batch: Int, patches: Int, visible: Int, into rows: MaskRows) throws
    /// Image `slots[b]` of `images` (`size x size` each) as patches `[b, l, patch * patch]`, patch `l = r * grid + c`
    /// and pixel `py * patch + px` within it (``Patchify``), for `batch` images.
    func patchify(_ images: Buffer, slots: Buffer, into patches: Buffer, batch: Int, size: Int, patch: Int) throws
}


public enum Indexing: OpDescription {
    public static let name = "indexing"
    public static let kernelFile = "indexing.cl"

    public static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws { _ = try backend.kernels(IndexingKernels.self) }

    /// The decoder's gather of `[batch, 1025, 64]` rows with the mask token as fill, and the positional-embedding add.
    public static func benchmarks(batch: Int) -> [OpBenchmark] {
        let count = batch * referenceTokens * 64
        return [
            OpBenchmark("gather \(count) with fill", bytes: 12 * Double(count)) { backend in
                let source = try backend.makeBuffer(benchmarkValues(count, seed: 1)), out = try backend.makeBuffer([count])
                let index = try backend.makeIndexBuffer((0..<count).map { $0 % 5 == 0 ? -1 : Int32(($0 * 7) % count) })
                let fill = try backend.makeBuffer(benchmarkValues(64, seed: 2))
                return { try backend.gather(source, index: index, into: out, count: count, fill: fill, fillPeriod: 64) }
            },
            OpBenchmark("add positions \(batch * referenceTokens) x 64", bytes: 12 * Double(count)) { backend in
                let x = try backend.makeBuffer(benchmarkValues(count, seed: 1)), table = try backend.makeBuffer(benchmarkValues(referenceTokens * 64, seed: 2))
                return { try backend.addBroadcastRows(x, table: table, into: x, rows: batch * referenceTokens, cols: 64, period: referenceTokens) }
            },
            OpBenchmark("decoder rows \(batch * referenceTokens) x 64 with mask token and positions", bytes: 12 * Double(count)) { backend in
                let rows = batch * referenceTokens
                let source = try backend.makeBuffer(benchmarkValues(count, seed: 1)), out = try backend.makeBuffer([count])
                let index = try backend.makeIndexBuffer((0..<rows).map { $0 % 20 == 0 ? -1 : Int32(($0 * 7) % rows) })
                let fill = try backend.makeBuffer(benchmarkValues(64, seed: 2))
                let table = try backend.makeBuffer(benchmarkValues(referenceTokens * 64, seed: 3))
                return { try backend.gatherRows(source, rows: index, into: out, count: rows, width: 64, fill: fill, table: table, period: referenceTokens) }
            },
            OpBenchmark("patchify \(batch) x 256 x 256", bytes: 8 * Double(batch * 65536)) { backend in
                let images = try backend.makeBuffer(benchmarkValues(batch * 65536, seed: 1)), out = try backend.makeBuffer([batch * 65536])
                let slots = try backend.makeIndexBuffer((0..<batch).map(Int32.init))
                return { try backend.patchify(images, slots: slots, into: out, batch: batch, size: 256, patch: 8) }
            },
        ]
    }
}
