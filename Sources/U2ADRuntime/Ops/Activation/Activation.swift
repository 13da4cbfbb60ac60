/// Activation applied in a GEMM epilogue (after the bias, before the residual add) or on its own.
public enum Activation: Int32, Sendable, Hashable {
    case none = 0
    /// Exact GELU, `0.5 x (1 + erf(x / sqrt 2))`, as PyTorch's `nn.GELU()`.
    case gelu = 1
    case sigmoid = 2
}

/// The unfused activations, used when training needs the pre-activation.
public protocol ActivationOps: AnyObject {
    /// `y = act(x)` elementwise; `y` may be `x`.
    func applyActivation(_ activation: Activation, _ x: Buffer, into y: Buffer, count: Int) throws
    /// `dPre = dPost * act'(pre)` for GELU, or `dPre = dPost * y (1 - y)` for sigmoid where `pre` holds `y`;
    /// `gradInput` may be `gradOutput`.
    func activationBackward(_ activation: Activation, pre: Buffer, gradOutput: Buffer, into gradInput: Buffer, count: Int) throws
}

extension Activation: OpDescription {
    public static let name = "activation"
    public static let kernelFile = "activation.cl"

    public static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws { _ = try backend.kernels(ActivationKernels.self) }

    /// GELU forward and backward over the MLP hidden layer of a 128-wide block.
    public static func benchmarks(batch: Int) -> [OpBenchmark] {
        let count = batch * referenceTokens * 512
        return [
            OpBenchmark("gelu forward \(count)", bytes: 8 * Double(count)) { backend in
                let x = try backend.makeBuffer(benchmarkValues(count, seed: 1)), y = try backend.makeBuffer([count])
                return { try backend.applyActivation(.gelu, x, into: y, count: count) }
            },
            OpBenchmark("gelu backward \(count)", bytes: 12 * Double(count)) { backend in
                let x = try backend.makeBuffer(benchmarkValues(count, seed: 1)), g = try backend.makeBuffer(benchmarkValues(count, seed: 2))
                let out = try backend.makeBuffer([count])
                return { try backend.activationBackward(.gelu, pre: x, gradOutput: g, into: out, count: count) }
            },
        ]
    }
}
