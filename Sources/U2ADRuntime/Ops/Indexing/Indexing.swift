/// Gather, scatter and row-periodic broadcast: the patchify, masking and positional-embedding steps of the model.
public protocol IndexingOps: AnyObject {
    /// `out[i] = index[i] >= 0 ? source[index[i]] : fill[i % fillPeriod]` (or 0 when `fill` is nil).
    func gather(_ source: Buffer, index: Buffer, into out: Buffer, count: Int, fill: Buffer?, fillPeriod: Int) throws
    /// `out[index[i]] += source[i]` for `index[i] >= 0`; `index` must not repeat a target.
    func scatterAdd(_ source: Buffer, index: Buffer, into out: Buffer, count: Int) throws
    /// `out[r, c] = x[r, c] + table[r % period, c]` over `rows x cols` (positional embeddings).
    func addBroadcastRows(_ x: Buffer, table: Buffer, into out: Buffer, rows: Int, cols: Int, period: Int) throws
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
        ]
    }
}
