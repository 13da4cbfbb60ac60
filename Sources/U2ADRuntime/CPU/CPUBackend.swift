import CBLAS
import Foundation

/// Host memory for the CPU backend, 64-byte aligned.
final class HostStorage: BufferStorage {
    let byteCount: Int
    let pointer: UnsafeMutableRawPointer
    private let owned: Bool

    init(byteCount: Int) {
        self.byteCount = byteCount
        pointer = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        owned = true
    }

    /// Aliases memory owned by another storage.
    init(aliasing pointer: UnsafeMutableRawPointer, byteCount: Int) {
        self.pointer = pointer
        self.byteCount = byteCount
        owned = false
    }

    deinit { if owned { pointer.deallocate() } }
}

/// The CPU backend: GEMM through OpenBLAS `cblas_sgemm`, the other ops in vectorised, multithreaded Swift.
public final class CPUBackend: Backend {
    public let kind = BackendKind.cpu
    public let deviceName: String
    public let pool: BufferPool

    public init() {
        deviceName = CPUInfo.modelName
        pool = BufferPool { HostStorage(byteCount: $0) }
        // The backend splits each GEMM over its own workers, so OpenBLAS runs single-threaded inside them
        // (no second thread pool spinning against the attention workers).
        openblas_set_num_threads(1)
    }

    @inline(__always)
    func floats(_ buffer: Buffer) -> UnsafeMutablePointer<Float> {
        (buffer.storage as! HostStorage).pointer.assumingMemoryBound(to: Float.self)
    }

    @inline(__always)
    func ints(_ buffer: Buffer) -> UnsafeMutablePointer<Int32> {
        (buffer.storage as! HostStorage).pointer.assumingMemoryBound(to: Int32.self)
    }

    public func makeBuffer(count: Int, shape: [Int]?, elementType: ElementType) throws -> Buffer {
        let storage = try pool.take(bytes: max(count, 1) * 4)
        return Buffer(storage: storage, count: count, shape: shape ?? [count], elementType: elementType, pool: pool)
    }

    public func upload(_ values: [Float], to buffer: Buffer) {
        precondition(values.count <= buffer.count, "upload of \(values.count) values into a buffer of \(buffer.count)")
        values.withUnsafeBufferPointer { floats(buffer).update(from: $0.baseAddress!, count: values.count) }
    }

    public func upload(_ values: [Int32], to buffer: Buffer) {
        precondition(values.count <= buffer.count, "upload of \(values.count) values into a buffer of \(buffer.count)")
        values.withUnsafeBufferPointer { ints(buffer).update(from: $0.baseAddress!, count: values.count) }
    }

    public func download(_ buffer: Buffer) -> [Float] {
        Array(UnsafeBufferPointer(start: floats(buffer), count: buffer.count))
    }

    public func downloadInts(_ buffer: Buffer) -> [Int32] {
        Array(UnsafeBufferPointer(start: ints(buffer), count: buffer.count))
    }

    public func synchronize() {}

    public func view(of buffer: Buffer, offset: Int, count: Int, shape: [Int]) throws -> Buffer {
        precondition(offset % viewAlignment == 0 && offset + count <= buffer.count, "view [\(offset), +\(count)) of a buffer of \(buffer.count)")
        let base = (buffer.storage as! HostStorage).pointer
        return Buffer(viewOf: buffer, storage: HostStorage(aliasing: base + offset * 4, byteCount: count * 4), count: count, shape: shape)
    }

    public func applyActivation(_ activation: Activation, _ x: Buffer, into y: Buffer, count: Int) {
        let xp = floats(x), yp = floats(y)
        if xp != yp { yp.update(from: xp, count: count) }
        parallelRanges(count, grain: 1 << 14) { range in
            switch activation {
            case .gelu:
                let x = yp + range.lowerBound
                mapLanes(x, x, into: x, count: range.count) { value, _ in gelu8(value) }
            case .sigmoid: for i in range { yp[i] = sigmoid(yp[i]) }
            case .none: break
            }
        }
    }

    // MARK: GEMM

    public func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int,
                     transposeA: Bool, transposeB: Bool,
                     bias: Buffer?, activation: Activation, residual: Buffer?) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("gemm", started, flops: 2 * Double(m) * Double(n) * Double(k), bytes: 4 * Double(m * k + k * n + m * n)) }
        let cp = floats(c)
        // Accumulating into C itself with no activation is BLAS's beta = 1.
        let accumulateInPlace = residual === c && activation == .none
        var savedResidual: [Float]? = nil
        if residual === c && !accumulateInPlace {
            savedResidual = Array(UnsafeBufferPointer(start: cp, count: m * n))
        }
        let ap = UnsafePointer(floats(a)), bp = UnsafePointer(floats(b))
        let biasPointer = bias.map { UnsafePointer(floats($0)) }
        let beta: Float = accumulateInPlace ? 1 : 0
        let run = { (rp: UnsafePointer<Float>?) in
            // Split the larger output side across the workers; each piece is one single-threaded sgemm
            // followed by its epilogue while the piece is still in cache.
            let splitRows = m >= n
            let extent = splitRows ? m : n
            let pieces = max(1, min(cpuThreadCount, extent / 16))
            let step = ((extent + pieces - 1) / pieces + 15) / 16 * 16
            parallelFor((extent + step - 1) / step) { piece in
                let start = piece * step, end = min(extent, start + step)
                if splitRows {
                    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                Int32(end - start), Int32(n), Int32(k), 1,
                                transposeA ? ap + start : ap + start * k, Int32(transposeA ? m : k),
                                bp, Int32(transposeB ? k : n), beta, cp + start * n, Int32(n))
                    if biasPointer != nil || activation != .none || rp != nil {
                        for row in start..<end {
                            applyEpilogue(cp + row * n, n, bias: biasPointer, activation: activation, residual: rp.map { $0 + row * n })
                        }
                    }
                } else {
                    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(end - start), Int32(k), 1,
                                ap, Int32(transposeA ? m : k),
                                transposeB ? bp + start * k : bp + start, Int32(transposeB ? k : n), beta, cp + start, Int32(n))
                    if biasPointer != nil || activation != .none || rp != nil {
                        for row in 0..<m {
                            applyEpilogue(cp + row * n + start, end - start, bias: biasPointer.map { $0 + start }, activation: activation,
                                          residual: rp.map { $0 + row * n + start })
                        }
                    }
                }
            }
        }
        let residualPointer: UnsafePointer<Float>? = accumulateInPlace ? nil : residual.map { UnsafePointer(floats($0)) }
        if let saved = savedResidual { saved.withUnsafeBufferPointer { run($0.baseAddress) } } else { run(residualPointer) }
    }

    // MARK: Elementwise and reductions

    public func fill(_ x: Buffer, with value: Float, count: Int) {
        floats(x).update(repeating: value, count: count)
    }

    public func copy(_ source: Buffer, into destination: Buffer, count: Int) {
        floats(destination).update(from: floats(source), count: count)
    }

    public func add(_ a: Buffer, _ b: Buffer, into out: Buffer, count: Int) {
        let ap = floats(a), bp = floats(b), op = floats(out)
        parallelRanges(count, grain: 1 << 16) { range in
            for i in range { op[i] = ap[i] + bp[i] }
        }
    }

    public func scale(_ x: Buffer, by alpha: Float, count: Int) {
        let xp = floats(x)
        parallelRanges(count, grain: 1 << 16) { range in
            for i in range { xp[i] *= alpha }
        }
    }

    public func reduce(_ x: Buffer, into out: Buffer, outer: Int, length: Int, inner: Int, operation: Reduction) {
        let xp = floats(x), op = floats(out)
        let blocks = (inner + 63) / 64
        parallelFor(outer * blocks) { task in
            let o = task / blocks
            let start = (task % blocks) * 64
            let end = min(inner, start + 64)
            let base = xp + o * length * inner
            let destination = op + o * inner
            for i in start..<end { destination[i] = operation == .max ? -.infinity : 0 }
            for j in 0..<length {
                let row = base + j * inner
                if operation == .max {
                    for i in start..<end { destination[i] = Swift.max(destination[i], row[i]) }
                } else {
                    for i in start..<end { destination[i] += row[i] }
                }
            }
            if operation == .mean {
                let scale = 1 / Float(length)
                for i in start..<end { destination[i] *= scale }
            }
        }
    }

    public func activationBackward(_ activation: Activation, pre: Buffer, gradOutput: Buffer, into gradInput: Buffer, count: Int) {
        let xp = floats(pre), gp = floats(gradOutput), op = floats(gradInput)
        parallelRanges(count, grain: 1 << 14) { range in
            switch activation {
            case .gelu:
                mapLanes(xp + range.lowerBound, gp + range.lowerBound, into: op + range.lowerBound, count: range.count) { x, g in
                    geluDerivative8(x) * g
                }
            case .sigmoid: for i in range { op[i] = xp[i] * (1 - xp[i]) * gp[i] }
            case .none: for i in range { op[i] = gp[i] }
            }
        }
    }

    // MARK: Indexing

    public func gather(_ source: Buffer, index: Buffer, into out: Buffer, count: Int, fill: Buffer?, fillPeriod: Int) {
        let sp = floats(source), ip = ints(index), op = floats(out)
        let fp = fill.map { floats($0) }
        parallelRanges(count, grain: 1 << 15) { range in
            for i in range {
                let j = Int(ip[i])
                op[i] = j >= 0 ? sp[j] : (fp.map { $0[i % fillPeriod] } ?? 0)
            }
        }
    }

    public func scatterAdd(_ source: Buffer, index: Buffer, into out: Buffer, count: Int) {
        let sp = floats(source), ip = ints(index), op = floats(out)
        parallelRanges(count, grain: 1 << 15) { range in
            for i in range where ip[i] >= 0 { op[Int(ip[i])] += sp[i] }
        }
    }

    public func addBroadcastRows(_ x: Buffer, table: Buffer, into out: Buffer, rows: Int, cols: Int, period: Int) {
        let xp = floats(x), tp = floats(table), op = floats(out)
        parallelRanges(rows, grain: max(1, 16384 / max(cols, 1))) { range in
            for r in range {
                let t = tp + (r % period) * cols
                for c in 0..<cols { op[r * cols + c] = xp[r * cols + c] + t[c] }
            }
        }
    }
}

/// Bias, activation and residual applied to one row of a GEMM result.
@inline(__always)
func applyEpilogue(_ row: UnsafeMutablePointer<Float>, _ n: Int, bias: UnsafePointer<Float>?, activation: Activation,
                   residual: UnsafePointer<Float>?) {
    if let bias { for i in 0..<n { row[i] += bias[i] } }
    switch activation {
    case .gelu: mapLanes(row, row, into: row, count: n) { value, _ in gelu8(value) }
    case .sigmoid: for i in 0..<n { row[i] = sigmoid(row[i]) }
    case .none: break
    }
    if let residual { for i in 0..<n { row[i] += residual[i] } }
}

/// What the CPU reports about itself.
public enum CPUInfo {
    public static let modelName: String = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "CPU"
    }()
}
