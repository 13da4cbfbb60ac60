/// The geometry of per-pixel moments kept on the device for MC inference: `slots` images of `size x size` pixels cut
/// into `patch x patch` patches, each slot with its running moments and its region.
///
/// The moments of all slots are one buffer of ``momentWords`` 4-byte words; slot `s` starts at word `s * slotWords`
/// and holds the mean (`pixels` 8-byte values), then M2 (`pixels` 8-byte values), then the sample count (`pixels`
/// int32). The 8-byte values are float64, or float32 in their first half on a device without float64.
/// A slot of all-zero words is empty, so ``ElementwiseOps/fill(_:with:count:)`` with 0 resets one.
public struct PixelMomentsShape: Sendable, Equatable {
    public var size: Int
    public var patch: Int
    public var slots: Int

    public init(size: Int, patch: Int, slots: Int) {
        precondition(size > 0 && patch > 0 && size % patch == 0 && slots > 0, "moments of \(slots) slots of \(size) x \(size) in \(patch)-pixel patches")
        self.size = size
        self.patch = patch
        self.slots = slots
    }

    public var pixels: Int { size * size }
    public var patchCount: Int { (size / patch) * (size / patch) }
    /// uint32 words of one pass's sampled-patch bits.
    public var sampledWords: Int { (patchCount + 31) / 32 }
    /// uint32 words of one slot's region bits.
    public var regionWords: Int { (pixels + 31) / 32 }
    /// Words of one slot's moments, padded so that every slot starts at a view boundary.
    public var slotWords: Int { (5 * pixels + viewAlignment - 1) / viewAlignment * viewAlignment }
    public var momentWords: Int { slots * slotWords }

    /// The table ``PixelMomentsOps/accumulatePixelMoments(_:table:runs:into:shape:)`` reads: for each run its
    /// `(slot, first pass, end pass)`, then for each pass of the batch the bits of its sampled patches (bit `l % 32` of
    /// word `l / 32`).
    public func table(runs: [(slot: Int, passes: Range<Int>)], sampled: [[Int]]) -> [Int32] {
        var table: [Int32] = []
        table.reserveCapacity(3 * runs.count + sampled.count * sampledWords)
        for run in runs { table += [Int32(run.slot), Int32(run.passes.lowerBound), Int32(run.passes.upperBound)] }
        for patches in sampled { table += bits(patches, words: sampledWords) }
        return table
    }

    /// A region (`pixels` values, nonzero inside) as the bits ``PixelMomentsOps/finishPixelMoments(_:slot:images:regions:into:shape:)``
    /// reads from word `slot * regionWords` on.
    public func regionBits(_ region: [Float]) -> [Int32] {
        precondition(region.count == pixels, "region of \(region.count) pixels, expected \(pixels)")
        return bits(region.indices.filter { region[$0] != 0 }, words: regionWords)
    }

    private func bits(_ set: [Int], words: Int) -> [Int32] {
        var bits = [UInt32](repeating: 0, count: words)
        for i in set { bits[i / 32] |= 1 << UInt32(i % 32) }
        return bits.map { Int32(bitPattern: $0) }
    }
}

/// Per-pixel running mean and variance of MC reconstructions on the device, so that an MC run downloads three maps
/// per slice instead of every pass's head output.
public protocol PixelMomentsOps: AnyObject {
    /// Welford's update, per pixel in pass order. `reconstructions` is the intensity head's output `[B, 1 + L, P*P]`
    /// (row `b (1 + L)` the cls row). For each of the `runs` runs `(slot, first, end)` of `table`
    /// (``PixelMomentsShape/table(runs:sampled:)``) and each pass `b` in `first..<end` whose bit for patch `l` is set,
    /// every pixel `k` of patch `l` of slot `slot` takes the value `x = reconstructions[(b (1 + L) + 1 + l) P*P + k]`:
    /// `n += 1; delta = x - mean; mean += delta / n; M2 += delta (x - mean)`, in float64 (float32 on an OpenCL device
    /// without float64), no fused multiply-add.
    func accumulatePixelMoments(_ reconstructions: Buffer, table: Buffer, runs: Int, into moments: Buffer, shape: PixelMomentsShape) throws
    /// The three maps of slot `slot` into `maps` (`3 x pixels`): the reconstruction (`Float(mean)` at a region pixel
    /// with a sample, the image elsewhere), the epistemic map (`Float(M2 / n)` there, 0 elsewhere) and the aleatoric map
    /// (`|image - reconstruction|` in the region, 0 elsewhere). The image is slot `slot` of `images`
    /// (`slots x pixels`) and the region its bits in `regions` (``PixelMomentsShape/regionBits(_:)`` at word
    /// `slot * regionWords`).
    func finishPixelMoments(_ moments: Buffer, slot: Int, images: Buffer, regions: Buffer, into maps: Buffer, shape: PixelMomentsShape) throws
}

public enum PixelMoments: OpDescription {
    public static let name = "pixel-moments"
    public static let kernelFile = "pixel_moments.cl"

    public static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws { _ = try backend.kernels(PixelMomentsKernels.self) }

    /// One batch of `batch` passes over two slices (about 45 sampled patches a pass) at the reference geometry, and
    /// the finishing of one slice.
    public static func benchmarks(batch: Int) -> [OpBenchmark] {
        let shape = PixelMomentsShape(size: 256, patch: 8, slots: 2)
        let rows = batch * (1 + shape.patchCount)
        func inputs(_ backend: Backend) throws -> (table: Buffer, moments: Buffer, runs: Int) {
            let half = (batch + 1) / 2
            let runs = batch > 1 ? [(slot: 0, passes: 0..<half), (slot: 1, passes: half..<batch)] : [(slot: 0, passes: 0..<1)]
            let sampled = (0..<batch).map { b in (0..<45).map { (400 + 3 * $0 + b) % shape.patchCount } }
            let moments = try backend.makeBuffer([shape.momentWords])
            try backend.fill(moments, with: 0, count: shape.momentWords)
            return (try backend.makeIndexBuffer(shape.table(runs: runs, sampled: sampled)), moments, runs.count)
        }
        return [
            OpBenchmark("accumulate \(batch) passes", bytes: Double(batch * 45 * 64 * 4 + 2 * 20 * shape.pixels)) { backend in
                let reconstructions = try backend.makeBuffer(benchmarkValues(rows * 64, seed: 1))
                let t = try inputs(backend)
                return { try backend.accumulatePixelMoments(reconstructions, table: t.table, runs: t.runs, into: t.moments, shape: shape) }
            },
            OpBenchmark("finish one slice", bytes: Double(36 * shape.pixels)) { backend in
                let t = try inputs(backend)
                let images = try backend.makeBuffer(benchmarkValues(2 * shape.pixels, seed: 2)), maps = try backend.makeBuffer([3 * shape.pixels])
                let regions = try backend.makeIndexBuffer(shape.regionBits(benchmarkValues(shape.pixels, seed: 3).map { $0 > 0 ? 1 : 0 })
                                                            + [Int32](repeating: 0, count: shape.regionWords))
                return { try backend.finishPixelMoments(t.moments, slot: 0, images: images, regions: regions, into: maps, shape: shape) }
            },
        ]
    }
}
