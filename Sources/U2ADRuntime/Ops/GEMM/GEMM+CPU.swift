import CBLAS
import Foundation

extension CPUBackend: GEMMOps {
    /// `cblas_sgemm` on single-threaded OpenBLAS, the larger output side split over the workers, each piece followed
    /// by its epilogue while it is still in cache.
    public func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int,
                     transposeA: Bool, transposeB: Bool,
                     bias: Buffer?, activation: Activation, residual: Buffer?) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("gemm", started, flops: GEMM.flops(m: m, n: n, k: k), bytes: GEMM.bytes(m: m, n: n, k: k)) }
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
