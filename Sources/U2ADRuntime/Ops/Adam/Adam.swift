import Foundation

/// Adam hyperparameters for one step, with `torch.optim.Adam` semantics.
public struct AdamStep: Sendable {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// Decoupled (AdamW-style) weight decay; 0 disables it.
    public var weightDecay: Float = 0
    /// 1-based step number used for bias correction.
    public var step: Int

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, step: Int) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.step = step
    }

    /// `lr / (1 - beta1^t)`.
    var stepSize: Float { learningRate / (1 - Float(pow(Double(beta1), Double(step)))) }
    /// `sqrt(1 - beta2^t)`.
    var correction2Root: Float { Float(Double(1 - pow(Double(beta2), Double(step))).squareRoot()) }
    /// The factor of decoupled weight decay, `1 - lr * decay`.
    var decay: Float { 1 - learningRate * weightDecay }
}

/// The optimizer, over a whole flat parameter arena in one call.
public protocol AdamOps: AnyObject {
    /// `m = beta1 m + (1 - beta1) g`, `v = beta2 v + (1 - beta2) g^2`,
    /// `p = p (1 - lr decay) - lr / (1 - beta1^t) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)`.
    func adam(parameters: Buffer, gradients: Buffer, firstMoment: Buffer, secondMoment: Buffer, count: Int, step: AdamStep) throws
}

public enum Adam: OpDescription {
    public static let name = "adam"
    public static let kernelFile = "adam.cl"

    public static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws { _ = try backend.kernels(AdamKernels.self) }

    /// One step over the reference model's arena (about 2.8 M values).
    public static func benchmarks(batch: Int) -> [OpBenchmark] {
        let count = 2_800_000
        return [OpBenchmark("adam over \(count) parameters", bytes: 28 * Double(count)) { backend in
            let p = try backend.makeBuffer(benchmarkValues(count, seed: 1)), g = try backend.makeBuffer(benchmarkValues(count, seed: 2))
            let m = try backend.makeBuffer([count]), v = try backend.makeBuffer([count])
            try backend.fill(m, with: 0, count: count)
            try backend.fill(v, with: 0, count: count)
            return { try backend.adam(parameters: p, gradients: g, firstMoment: m, secondMoment: v, count: count, step: AdamStep(learningRate: 1e-4, step: 1)) }
        }]
    }
}
