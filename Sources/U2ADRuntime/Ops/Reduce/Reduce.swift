/// Which reduction ``ReductionOps/reduce(_:into:outer:length:inner:operation:)`` computes.
public enum Reduction: Int32, Sendable {
    case sum = 0
    case mean = 1
    case max = 2
}

/// Deterministic reductions: the same chunking on every device and thread count, no float atomics.
public protocol ReductionOps: AnyObject {
    /// `out[o, i] = op over j of x[o, j, i]`, for `x` viewed as `[outer, length, inner]`.
    func reduce(_ x: Buffer, into out: Buffer, outer: Int, length: Int, inner: Int, operation: Reduction) throws
}

extension Reduction: OpDescription {
    public static let name = "reduce"
    public static let kernelFile = "reduce.cl"
    /// Rows per partial sum on OpenCL devices: fixed, so that results do not depend on the device.
    static let chunkLength = 256

    public static func tuning(for device: OpenCLDevice, settings: RuntimeSettings) -> String { "chunks of \(chunkLength) rows" }

    public static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws { _ = try backend.kernels(ReductionKernels.self) }

    /// Bias gradients: column sums of `[batch x 1025, 512]` and `[batch x 1025, 128]`.
    public static func benchmarks(batch: Int) -> [OpBenchmark] {
        let rows = batch * referenceTokens
        return [512, 128].map { width in
            OpBenchmark("column sum \(rows) x \(width)", bytes: 4 * Double(rows * width)) { backend in
                let x = try backend.makeBuffer(benchmarkValues(rows * width, seed: 1)), out = try backend.makeBuffer([width])
                return { try backend.reduce(x, into: out, outer: 1, length: rows, inner: width, operation: .sum) }
            }
        }
    }
}
