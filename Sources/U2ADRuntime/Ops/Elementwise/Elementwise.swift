/// Fill, copy, add and scale over `count` floats.
public protocol ElementwiseOps: AnyObject {
    func fill(_ x: Buffer, with value: Float, count: Int) throws
    func copy(_ source: Buffer, into destination: Buffer, count: Int) throws
    /// `out = a + b`.
    func add(_ a: Buffer, _ b: Buffer, into out: Buffer, count: Int) throws
    /// `x *= alpha`.
    func scale(_ x: Buffer, by alpha: Float, count: Int) throws
}

public enum Elementwise: OpDescription {
    public static let name = "elementwise"
    public static let kernelFile = "elementwise.cl"
    /// Work items per group of the one-item-per-element kernels of this folder and its neighbours.
    static let groupSize = 64

    public static func tuning(for device: OpenCLDevice, settings: RuntimeSettings) -> String { "local \(groupSize)" }

    public static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws { _ = try backend.kernels(ElementwiseKernels.self) }

    public static func benchmarks(batch: Int) -> [OpBenchmark] {
        let count = batch * referenceTokens * 512
        return [
            OpBenchmark("add \(count)", bytes: 12 * Double(count)) { backend in
                let a = try backend.makeBuffer(benchmarkValues(count, seed: 1)), b = try backend.makeBuffer(benchmarkValues(count, seed: 2))
                let out = try backend.makeBuffer([count])
                return { try backend.add(a, b, into: out, count: count) }
            },
            OpBenchmark("copy \(count)", bytes: 8 * Double(count)) { backend in
                let a = try backend.makeBuffer(benchmarkValues(count, seed: 1)), out = try backend.makeBuffer([count])
                return { try backend.copy(a, into: out, count: count) }
            },
        ]
    }
}
