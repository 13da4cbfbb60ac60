/// How `layernorm.cl` divides a row on an OpenCL device (its tuning entry).
public struct LayerNormTiles: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Work items per row (a power of two).
    public var groupSize: Int

    public init(groupSize: Int) { self.groupSize = groupSize }

    public var isValid: Bool { (1...1024).contains(groupSize) && groupSize & (groupSize - 1) == 0 }

    public var description: String { "-DWG=\(groupSize)" }
}

/// LayerNorm over the last dimension, forward and backward, with deterministic parameter-gradient sums.
public protocol LayerNormOps: AnyObject {
    /// `y = (x - mean) / sqrt(var + epsilon) * gamma + beta` per row of `dim` values (biased variance, as PyTorch);
    /// saves `mean` and `rstd = 1 / sqrt(var + epsilon)` per row for the backward pass.
    func layerNormForward(_ x: Buffer, gamma: Buffer, beta: Buffer, into y: Buffer,
                          mean: Buffer, rstd: Buffer, rows: Int, dim: Int, epsilon: Float) throws
    /// `dx = addend + rstd (dy gamma - mean(dy gamma) - xhat mean(dy gamma xhat))` (no addend when nil; `addend` may be
    /// `dx`, to accumulate); `dgamma = sum over rows of dy xhat` and `dbeta = sum of dy` are overwritten.
    func layerNormBackward(_ dy: Buffer, x: Buffer, gamma: Buffer, mean: Buffer, rstd: Buffer,
                           dx: Buffer, adding addend: Buffer?, dgamma: Buffer, dbeta: Buffer, rows: Int, dim: Int) throws
}

public enum LayerNorm: OpDescription {
    public static let name = "layernorm"
    public static let kernelFile = "layernorm.cl"
    /// Row chunks of the parameter-gradient sums on the CPU: fixed, so that results do not depend on the thread count.
    static let gradientChunks = 32
    /// Rows per chunk of the parameter-gradient sums on an OpenCL device (one work-group each): fixed, so that results
    /// do not depend on the device.
    static let gradientChunkRows = 16

    /// Work items per row on an OpenCL device (a power of two): the tuning entry.
    /// The work-group a device type gets when the tuning table has no entry for the device.
    public static func defaults(for type: OpenCLDeviceType) -> LayerNormTiles { LayerNormTiles(groupSize: type == .gpu ? 32 : 8) }

    static func groupSize(for device: OpenCLDevice, settings: RuntimeSettings) -> Int {
        DeviceTuning(device: device, settings: settings).layerNorm.groupSize
    }

    static func defines(groupSize: Int, columnsPerItem: Int) -> String {
        "-DWG=\(groupSize) -DCHUNK_ROWS=\(gradientChunkRows) -DCOLUMNS_PER_ITEM=\(columnsPerItem)"
    }

    public static func flops(rows: Int, dim: Int) -> Double { 8 * Double(rows * dim) }

    public static func tuning(for device: OpenCLDevice, settings: RuntimeSettings) -> String { "-DWG=\(groupSize(for: device, settings: settings))" }

    public static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws { _ = try backend.kernels(LayerNormKernels.self) }

    public static func benchmarks(batch: Int) -> [OpBenchmark] {
        let rows = batch * referenceTokens
        return [128, 64].flatMap { dim -> [OpBenchmark] in
            func inputs(_ backend: Backend) throws -> (x: Buffer, gamma: Buffer, beta: Buffer, y: Buffer, mean: Buffer, rstd: Buffer) {
                (try backend.makeBuffer(benchmarkValues(rows * dim, seed: 1)), try backend.makeBuffer(benchmarkValues(dim, seed: 2)),
                 try backend.makeBuffer(benchmarkValues(dim, seed: 3)), try backend.makeBuffer([rows, dim]),
                 try backend.makeBuffer([rows]), try backend.makeBuffer([rows]))
            }
            return [
                OpBenchmark("forward \(rows) x \(dim)", flops: flops(rows: rows, dim: dim), bytes: 8 * Double(rows * dim)) { backend in
                    let t = try inputs(backend)
                    return { try backend.layerNormForward(t.x, gamma: t.gamma, beta: t.beta, into: t.y, mean: t.mean, rstd: t.rstd, rows: rows, dim: dim, epsilon: 1e-5) }
                },
                OpBenchmark("backward \(rows) x \(dim)", flops: 1.5 * flops(rows: rows, dim: dim), bytes: 12 * Double(rows * dim)) { backend in
                    let t = try inputs(backend)
                    try backend.layerNormForward(t.x, gamma: t.gamma, beta: t.beta, into: t.y, mean: t.mean, rstd: t.rstd, rows: rows, dim: dim, epsilon: 1e-5)
                    let dy = try backend.makeBuffer(benchmarkValues(rows * dim, seed: 4)), dx = try backend.makeBuffer([rows, dim])
                    let dgamma = try backend.makeBuffer([dim]), dbeta = try backend.makeBuffer([dim])
                    return { try backend.layerNormBackward(dy, x: t.x, gamma: t.gamma, mean: t.mean, rstd: t.rstd, dx: dx, adding: nil, dgamma: dgamma,
                                                           dbeta: dbeta, rows: rows, dim: dim) }
                },
            ]
        }
    }
}
