import U2ADRandom

/// Shape and random stream of ``PatchRankingOps/rankPatches(roi:weights:images:into:ranking:)``.
public struct PatchRanking: Sendable, Equatable {
    /// Images in the batch.
    public var rows: Int
    /// Patches per image.
    public var patches: Int
    /// Patches kept visible in every row.
    public var visibleCount: Int
    public var key: RandomKey
    /// Counter word 2 (the trainer passes the epoch).
    public var step: UInt32
    /// Counter word 1, separating mask draws from dropout draws (which put the layer there).
    public var stream: UInt32

    public init(rows: Int, patches: Int, visibleCount: Int, key: RandomKey, step: UInt32, stream: UInt32) {
        self.rows = rows
        self.patches = patches
        self.visibleCount = visibleCount
        self.key = key
        self.step = step
        self.stream = stream
    }

    /// The uniform draw of patch `patch` of the image with training-set index `image`.
    @inline(__always)
    public func uniform(image: UInt32, patch: UInt32) -> Float {
        Philox.uniform(key.bits(stream: stream, step: step, row: image, element: patch))
    }
}

/// The training masks' ranking step, on the device.
public protocol PatchRankingOps: AnyObject {
    /// For each row `b`: `score[l] = u * weights[b, l] + roi[b, l]` in float32, not fused (weight 1 when `weights` is
    /// nil), `u` = ``PatchRanking/uniform(image:patch:)`` of image `images[b]`; patches sorted by ascending
    /// (score, index); the first `visibleCount` stay visible. Writes `order[b]` (int32): the visible patches in
    /// ascending index, then the hidden ones in ascending index. Inputs must be finite.
    func rankPatches(roi: Buffer, weights: Buffer?, images: Buffer, into order: Buffer, ranking: PatchRanking) throws
}

extension PatchRanking: OpDescription {
    public static let name = "patch-ranking"
    public static let kernelFile = "patch_ranking.cl"
    /// Rows of more patches than this run on the host twin (beyond any model here: 1024 patches at the reference size).
    static let largestDeviceRow = 2048

    /// The power of two the kernel sorts over.
    static func paddedLength(_ patches: Int) -> Int {
        var padded = 1
        while padded < patches { padded <<= 1 }
        return padded
    }

    public static func tuning(for device: OpenCLDevice, settings: RuntimeSettings) -> String { "local min(256, patches)" }

    public static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws {
        _ = try backend.kernels(PatchRankingKernels.self).kernel(padded: 1024)
    }

    public static func benchmarks(batch: Int) -> [OpBenchmark] {
        [OpBenchmark("\(batch) rows of 1024 patches", bytes: 12 * Double(batch * 1024)) { backend in
            let roi = try backend.makeBuffer((0..<(batch * 1024)).map { $0 % 1024 >= 400 && $0 % 1024 < 460 ? Float(1) : 0 })
            let images = try backend.makeIndexBuffer((0..<batch).map(Int32.init))
            let order = try backend.makeBuffer(count: batch * 1024, shape: nil, elementType: .int32)
            let ranking = PatchRanking(rows: batch, patches: 1024, visibleCount: 979, key: RandomKey(seed: 1), step: 0, stream: 0)
            return { try backend.rankPatches(roi: roi, weights: nil, images: images, into: order, ranking: ranking) }
        }]
    }
}
