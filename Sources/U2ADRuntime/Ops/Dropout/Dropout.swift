import U2ADRandom

/// Where a dropout mask comes from: Philox draws of `key` addressed by (step, layer, MC pass, element)
/// (``RandomKey/bits(stream:step:row:element:)`` with stream = layer, row = pass), so every backend and every
/// batching of the passes draws the same mask.
public struct DropoutSpec: Sendable, Equatable {
    public var rate: Float
    public var key: RandomKey
    public var step: UInt32
    public var layer: UInt32
    /// MC-pass index of the first batch row; row `b` uses pass `firstPass + b`.
    public var firstPass: UInt32

    public init(rate: Float, key: RandomKey, step: UInt32 = 0, layer: UInt32 = 0, firstPass: UInt32 = 0) {
        self.rate = rate
        self.key = key
        self.step = step
        self.layer = layer
        self.firstPass = firstPass
    }

    public var isActive: Bool { rate > 0 }

    /// Whether element `element` of pass `pass` is kept.
    @inline(__always)
    public func keeps(pass: UInt32, element: UInt32) -> Bool {
        Philox.uniform(key.bits(stream: layer, step: step, row: pass, element: element)) >= rate
    }

    /// The dropout arguments of every kernel that applies it: rate, key words, step, layer, first pass.
    var kernelArguments: [KernelArgument] {
        [.float(isActive ? rate : 0), .uint(key.low), .uint(key.high), .uint(step), .uint(layer), .uint(firstPass)]
    }

    static let inactive = DropoutSpec(rate: 0, key: RandomKey(seed: 0))
}

/// Dropout on activations (the attention probabilities apply it inside the attention kernels).
public protocol DropoutOps: AnyObject {
    /// `y = x * keep / (1 - rate)` with the mask of `spec` for rows of `rowLength` elements (row `b` = pass
    /// `firstPass + b`); a copy when the spec is inactive. `y` may be `x`.
    func dropout(_ x: Buffer, into y: Buffer, count: Int, rowLength: Int, spec: DropoutSpec) throws
}

public enum Dropout: OpDescription {
    public static let name = "dropout"
    public static let kernelFile = "dropout.cl"

    public static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws { _ = try backend.kernels(DropoutKernels.self) }

    public static func benchmarks(batch: Int) -> [OpBenchmark] {
        let rowLength = referenceTokens * 128, count = batch * rowLength
        return [OpBenchmark("dropout 0.1 on \(batch) x 1025 x 128", bytes: 8 * Double(count)) { backend in
            let x = try backend.makeBuffer(benchmarkValues(count, seed: 1)), y = try backend.makeBuffer([count])
            let spec = DropoutSpec(rate: 0.1, key: RandomKey(seed: 1))
            return { try backend.dropout(x, into: y, count: count, rowLength: rowLength, spec: spec) }
        }]
    }
}
