import U2ADRandom

/// The op set. A backend is a ``Device`` that implements every op's protocol; the model is written against this
/// composition only, so it does not know which backend runs it.
///
/// An op lives in `Ops/<Op>/`: `<op>.cl` (its kernels), `<Op>.swift` (its protocol with the exact semantics, shapes,
/// FLOP and byte counts, tuning entry and variants, benchmark cases), `<Op>+CPU.swift` and `<Op>+OpenCL.swift`.
/// Its tests are `Tests/RuntimeTests/<Op>Tests.swift`. Registering an op is its protocol here and its description
/// in ``allOps``.
public typealias Backend = Device & GEMMOps & ElementwiseOps & ActivationOps & ReductionOps & IndexingOps
    & LayerNormOps & AttentionOps & DropoutOps & AdamOps & PatchRankingOps & PixelMomentsOps

/// Every op, in the order `u2ad-bench all` and `u2ad devices` list them. Drives the eager kernel builds
/// (``OpenCLBackend/prepare(headDims:)``), the tuning table and the benchmark suites.
public let allOps: [OpDescription.Type] = [
    GEMM.self, Elementwise.self, Activation.self, Reduction.self, Indexing.self,
    LayerNorm.self, Attention.self, Dropout.self, Adam.self, PatchRanking.self, PixelMoments.self,
]

/// What the runtime knows about an op beside its methods.
public protocol OpDescription {
    /// The op's name in `u2ad-bench <name>`.
    static var name: String { get }
    /// Its OpenCL C file, `Ops/<Op>/<file>`.
    static var kernelFile: String { get }
    /// The `-D` defines it builds with on `device` (its entry of the tuning table), for `u2ad devices`.
    static func tuning(for device: OpenCLDevice, settings: RuntimeSettings) -> String
    /// Builds the kernels the model will launch, so that a build failure surfaces before any work.
    static func prepare(_ backend: OpenCLBackend, headDims: [Int]) throws
    /// Representative calls at the reference model's shapes with `batch` images, timed by `u2ad-bench <name>`.
    static func benchmarks(batch: Int) -> [OpBenchmark]
}

public extension OpDescription {
    /// The tuning entry of the one-work-item-per-element ops: their work-group size.
    static func tuning(for device: OpenCLDevice, settings: RuntimeSettings) -> String { "local \(Elementwise.groupSize)" }
}

/// One timed call of an op: its label, the work it does, and how to set it up on a backend.
public struct OpBenchmark {
    public var label: String
    public var flops: Double
    /// Bytes the call must read and write at least.
    public var bytes: Double
    /// Allocates and fills the inputs on `backend`, and returns the call to time.
    public var setUp: (Backend) throws -> () throws -> Void

    public init(_ label: String, flops: Double = 0, bytes: Double, setUp: @escaping (Backend) throws -> () throws -> Void) {
        self.label = label
        self.flops = flops
        self.bytes = bytes
        self.setUp = setUp
    }
}

/// Tokens of the reference model's decoder (1 cls + 1024 patches): the length most benchmarks use.
let referenceTokens = 1025

/// Uniform values in [-1, 1) for benchmark inputs.
func benchmarkValues(_ count: Int, seed: Int) -> [Float] {
    var random = RandomKey(seed: 0x42454E43).fold(in: seed).stream()  // "BENC"
    return (0..<count).map { _ in Float(random.uniform() * 2 - 1) }
}
