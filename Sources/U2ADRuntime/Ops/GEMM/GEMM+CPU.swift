import CBLAS
import Foundation

extension CPUBackend: GEMMOps {
    /// `cblas_sgemm` on single-threaded OpenBLAS, the larger output side split over the workers, each piece followed
    /// by its epilogue while it is still in cache. A LayerNorm of A runs first (into `normalized`), and the row sums of
    /// `op(a)` are the deterministic reduction ``ReductionOps/reduce(_:into:outer:length:inner:operation:)``.
    public func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, fusion: GEMMFusion) {
        precondition(fusion.layerNorm == nil || !transposeA, "a LayerNorm of A's rows needs A stored [m, k]")
        precondition(fusion.derivativeAt == nil || (fusion.bias == nil && fusion.preActivation == nil), "an activation's derivative takes no bias")
        var a = a
        if let norm = fusion.layerNorm {
            layerNormForward(a, gamma: norm.gamma, beta: norm.beta, into: norm.normalized, mean: norm.mean, rstd: norm.rstd, rows: m, dim: k,
                             epsilon: norm.epsilon)
            a = norm.normalized
        }
        if let sums = fusion.rowSums {
            if transposeA { reduce(a, into: sums, outer: 1, length: k, inner: m, operation: .sum) } else { reduce(a, into: sums, outer: m, length: k, inner: 1, operation: .sum) }
        }
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("gemm", started, flops: GEMM.flops(m: m, n: n, k: k), bytes: GEMM.bytes(m: m, n: n, k: k)) }
        let bias = fusion.bias, activation = fusion.activation, residual = fusion.residual
        let residualRows = fusion.residualRows ?? m
        let pre = fusion.preActivation.map { floats($0) }, derivativeAt = fusion.derivativeAt.map { UnsafePointer(floats($0)) }
        let epilogue = Epilogue(bias: nil, activation: activation, residual: nil, preActivation: nil, derivativeAt: nil)
        let cp = floats(c)
        // Accumulating into C itself with no activation is BLAS's beta = 1.
        let accumulateInPlace = residual === c && activation == .none && derivativeAt == nil && residualRows == m
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
                    if biasPointer != nil || activation != .none || rp != nil || pre != nil {
                        for row in start..<end {
                            var rowEpilogue = epilogue
                            rowEpilogue.bias = biasPointer
                            rowEpilogue.residual = rp.map { $0 + (row % residualRows) * n }
                            rowEpilogue.preActivation = pre.map { $0 + row * n }
                            rowEpilogue.derivativeAt = derivativeAt.map { $0 + row * n }
                            rowEpilogue.apply(cp + row * n, n)
                        }
                    }
                } else {
                    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(end - start), Int32(k), 1,
                                ap, Int32(transposeA ? m : k),
                                transposeB ? bp + start * k : bp + start, Int32(transposeB ? k : n), beta, cp + start, Int32(n))
                    if biasPointer != nil || activation != .none || rp != nil || pre != nil {
                        for row in 0..<m {
                            var rowEpilogue = epilogue
                            rowEpilogue.bias = biasPointer.map { $0 + start }
                            rowEpilogue.residual = rp.map { $0 + (row % residualRows) * n + start }
                            rowEpilogue.preActivation = pre.map { $0 + row * n + start }
                            rowEpilogue.derivativeAt = derivativeAt.map { $0 + row * n + start }
                            rowEpilogue.apply(cp + row * n + start, end - start)
                        }
                    }
                }
            }
        }
        let residualPointer: UnsafePointer<Float>? = accumulateInPlace ? nil : residual.map { UnsafePointer(floats($0)) }
        if let saved = savedResidual { saved.withUnsafeBufferPointer { run($0.baseAddress) } } else { run(residualPointer) }
    }
}

/// What follows the product on one row (or part of a row) of C: pointers already placed at that row.
struct Epilogue {
    var bias: UnsafePointer<Float>?
    var activation: Activation
    var residual: UnsafePointer<Float>?
    var preActivation: UnsafeMutablePointer<Float>?
    var derivativeAt: UnsafePointer<Float>?

    /// Bias, then the pre-activation saved, then the activation (or the product with its derivative), then the residual.
    @inline(__always)
    func apply(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
        if let bias { for i in 0..<n { row[i] += bias[i] } }
        if let preActivation { preActivation.update(from: row, count: n) }
        if let derivativeAt {
            switch activation {
            case .gelu: mapLanes(derivativeAt, row, into: row, count: n) { x, g in geluDerivative8(x) * g }
            case .sigmoid:
                for i in 0..<n {
                    let s = sigmoid(derivativeAt[i])
                    row[i] *= s * (1 - s)
                }
            case .none: break
            }
        } else {
            switch activation {
            case .gelu: mapLanes(row, row, into: row, count: n) { value, _ in gelu8(value) }
            case .sigmoid: for i in 0..<n { row[i] = sigmoid(row[i]) }
            case .none: break
            }
        }
        if let residual { for i in 0..<n { row[i] += residual[i] } }
    }
}
