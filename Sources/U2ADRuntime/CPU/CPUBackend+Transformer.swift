import Foundation

/// Row chunks for column reductions; fixed so results do not depend on the thread count.
private let reductionChunks = 32

extension CPUBackend {
    // MARK: LayerNorm

    public func layerNormForward(_ x: Buffer, gamma: Buffer, beta: Buffer, into y: Buffer,
                                 mean: Buffer, rstd: Buffer, rows: Int, dim: Int, epsilon: Float) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("layernorm_forward", started, flops: 0) }
        let xp = floats(x), gp = floats(gamma), bp = floats(beta), yp = floats(y), mp = floats(mean), rp = floats(rstd)
        parallelRanges(rows, grain: 64) { range in
            for r in range {
                let row = xp + r * dim
                var sum: Float = 0
                for i in 0..<dim { sum += row[i] }
                let mu = sum / Float(dim)
                var squares: Float = 0
                for i in 0..<dim { let d = row[i] - mu; squares += d * d }
                let inv = 1 / (squares / Float(dim) + epsilon).squareRoot()
                mp[r] = mu
                rp[r] = inv
                let out = yp + r * dim
                for i in 0..<dim { out[i] = (row[i] - mu) * inv * gp[i] + bp[i] }
            }
        }
    }

    public func layerNormBackward(_ dy: Buffer, x: Buffer, gamma: Buffer, mean: Buffer, rstd: Buffer,
                                  dx: Buffer, dgamma: Buffer, dbeta: Buffer, rows: Int, dim: Int, accumulate: Bool) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("layernorm_backward", started, flops: 0) }
        let dyp = floats(dy), xp = floats(x), gp = floats(gamma), mp = floats(mean), rp = floats(rstd)
        let dxp = floats(dx)
        var partial = [Float](repeating: 0, count: reductionChunks * 2 * dim)
        let chunkRows = (rows + reductionChunks - 1) / reductionChunks
        partial.withUnsafeMutableBufferPointer { partialBuffer in
            let pp = partialBuffer.baseAddress!
            parallelFor(reductionChunks) { chunk in
                let start = chunk * chunkRows, end = min(rows, start + chunkRows)
                guard start < end else { return }
                let dg = pp + chunk * 2 * dim, db = dg + dim
                for r in start..<end {
                    let row = xp + r * dim, grad = dyp + r * dim, out = dxp + r * dim
                    let mu = mp[r], inv = rp[r]
                    var meanG: Float = 0, meanGX: Float = 0
                    for i in 0..<dim {
                        let xhat = (row[i] - mu) * inv
                        let g = grad[i] * gp[i]
                        meanG += g
                        meanGX += g * xhat
                        dg[i] += grad[i] * xhat
                        db[i] += grad[i]
                    }
                    meanG /= Float(dim)
                    meanGX /= Float(dim)
                    for i in 0..<dim {
                        let xhat = (row[i] - mu) * inv
                        let value = inv * (grad[i] * gp[i] - meanG - xhat * meanGX)
                        out[i] = accumulate ? out[i] + value : value
                    }
                }
            }
        }
        let dgp = floats(dgamma), dbp = floats(dbeta)
        for i in 0..<dim { dgp[i] = 0; dbp[i] = 0 }
        for chunk in 0..<reductionChunks {
            for i in 0..<dim {
                dgp[i] += partial[chunk * 2 * dim + i]
                dbp[i] += partial[chunk * 2 * dim + dim + i]
            }
        }
    }

    // MARK: Attention
    //
    // Queries are processed four at a time so that every load of K, V (stored transposed, head dim x tokens)
    // feeds four rows; the inner loops run over tokens and vectorise.

    public func attentionForward(qkv: Buffer, into out: Buffer, logSumExp: Buffer, shape: AttentionShape, dropout: DropoutSpec?) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("attention_forward", started, flops: 4 * Double(shape.batch * shape.width) * Double(shape.tokens * shape.tokens)) }
        let T = shape.tokens, H = shape.heads, hd = shape.headDim, W = shape.width
        let qp = floats(qkv), op = floats(out), lp = floats(logSumExp)
        let scale = 1 / Float(hd).squareRoot()
        let queryChunk = 64
        let chunks = (T + queryChunk - 1) / queryChunk
        let dropoutSpec = dropout.flatMap { $0.isActive ? $0 : nil }
        parallelFor(shape.batch * H * chunks) { task in
            let b = task / (H * chunks), h = (task / chunks) % H, chunk = task % chunks
            let scratch = AttentionScratch(tokens: T, headDim: hd)
            defer { scratch.deallocate() }
            let base = qp + b * T * 3 * W + h * hd
            scratch.loadKeysAndValues(base, rowStride: 3 * W, width: W)
            let end = min(T, (chunk + 1) * queryChunk)
            for i0 in stride(from: chunk * queryChunk, to: end, by: 4) {
                let rows = min(4, end - i0)
                scratch.loadRows(base, rowStride: 3 * W, first: i0, count: rows, scale: scale)
                scores4(scratch.rows, scratch.kt, scratch.s, T, hd)
                // Unnormalised probabilities; the 1 / sum is applied to the four outputs instead of the rows.
                var inverse = SIMD4<Float>(repeating: 0)
                for r in 0..<rows {
                    let row = scratch.s + r * T
                    let rowMax = maxValue(row, T)
                    let total = expShiftInPlace(row, T, shift: rowMax)
                    lp[(b * H + h) * T + i0 + r] = rowMax + log(total)
                    inverse[r] = 1 / total
                    if let spec = dropoutSpec {
                        inverse[r] /= 1 - spec.rate
                        let pass = spec.firstPass + UInt32(b), first = UInt32((h * T + i0 + r) * T)
                        for j in 0..<T where !Philox.keeps(spec, pass: pass, element: first + UInt32(j)) { row[j] = 0 }
                    }
                }
                scratch.zeroRows(from: rows)
                for d in 0..<hd {
                    let o = dot4(scratch.s, T, scratch.vt + d * T) * inverse
                    for r in 0..<rows { op[(b * T + i0 + r) * W + h * hd + d] = o[r] }
                }
            }
        }
    }

    public func attentionBackward(qkv: Buffer, out: Buffer, gradOut: Buffer, logSumExp: Buffer, into dqkv: Buffer,
                                  shape: AttentionShape, dropout: DropoutSpec?) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("attention_backward", started, flops: 8 * Double(shape.batch * shape.width) * Double(shape.tokens * shape.tokens)) }
        let T = shape.tokens, H = shape.heads, hd = shape.headDim, W = shape.width
        let qp = floats(qkv), op = floats(out), gp = floats(gradOut), lp = floats(logSumExp), dp = floats(dqkv)
        let scale = 1 / Float(hd).squareRoot()
        let dropoutSpec = dropout.flatMap { $0.isActive ? $0 : nil }
        // One task per (batch, head): dK and dV accumulate over all queries in a fixed order.
        parallelFor(shape.batch * H) { task in
            let b = task / H, h = task % H
            let scratch = AttentionScratch(tokens: T, headDim: hd)
            defer { scratch.deallocate() }
            let base = qp + b * T * 3 * W + h * hd
            let gradBase = gp + b * T * W + h * hd
            scratch.loadKeysAndValues(base, rowStride: 3 * W, width: W)
            let dkt = UnsafeMutablePointer<Float>.allocate(capacity: 2 * hd * T)
            defer { dkt.deallocate() }
            dkt.update(repeating: 0, count: 2 * hd * T)
            let dvt = dkt + hd * T
            let dO = UnsafeMutablePointer<Float>.allocate(capacity: 4 * hd + 4 * T)
            defer { dO.deallocate() }
            let dropped = dO + 4 * hd
            let dbase = dp + b * T * 3 * W + h * hd
            for i0 in stride(from: 0, to: T, by: 4) {
                let rows = min(4, T - i0)
                scratch.loadRows(base, rowStride: 3 * W, first: i0, count: rows, scale: scale)
                for r in 0..<4 {
                    for d in 0..<hd { dO[r * hd + d] = r < rows ? gradBase[(i0 + r) * W + d] : 0 }
                }
                scores4(scratch.rows, scratch.kt, scratch.s, T, hd)
                scores4(dO, scratch.vt, scratch.ds, T, hd)
                for r in 0..<rows {
                    let p = scratch.s + r * T, ds = scratch.ds + r * T
                    expShiftInPlace(p, T, shift: lp[(b * H + h) * T + i0 + r])
                    var rowDot: Float = 0
                    for d in 0..<hd { rowDot += dO[r * hd + d] * op[(b * T + i0 + r) * W + h * hd + d] }
                    let drop = dropped + r * T
                    if let spec = dropoutSpec {
                        let keepScale = 1 / (1 - spec.rate)
                        let pass = spec.firstPass + UInt32(b), first = UInt32((h * T + i0 + r) * T)
                        for j in 0..<T {
                            let keep = Philox.keeps(spec, pass: pass, element: first + UInt32(j))
                            drop[j] = keep ? p[j] * keepScale : 0
                            ds[j] = keep ? ds[j] * keepScale : 0
                        }
                    } else {
                        drop.update(from: p, count: T)
                    }
                    for j in 0..<T { ds[j] = p[j] * (ds[j] - rowDot) }
                }
                for r in rows..<4 {
                    (dropped + r * T).update(repeating: 0, count: T)
                    (scratch.ds + r * T).update(repeating: 0, count: T)
                }
                for d in 0..<hd {
                    axpy4(dvt + d * T, T, dO[d], dO[hd + d], dO[2 * hd + d], dO[3 * hd + d], dropped)
                    axpy4(dkt + d * T, T, scratch.rows[d], scratch.rows[hd + d], scratch.rows[2 * hd + d], scratch.rows[3 * hd + d], scratch.ds)
                    let dq = dot4(scratch.ds, T, scratch.kt + d * T)
                    for r in 0..<rows { dbase[(i0 + r) * 3 * W + d] = scale * dq[r] }
                }
            }
            for j in 0..<T {
                for d in 0..<hd {
                    dbase[j * 3 * W + W + d] = dkt[d * T + j]
                    dbase[j * 3 * W + 2 * W + d] = dvt[d * T + j]
                }
            }
        }
    }

    // MARK: Dropout and Adam

    public func dropout(_ x: Buffer, into y: Buffer, count: Int, rowLength: Int, spec: DropoutSpec) {
        let xp = floats(x), yp = floats(y)
        guard spec.isActive else {
            if xp != yp { yp.update(from: xp, count: count) }
            return
        }
        let keepScale = 1 / (1 - spec.rate)
        parallelRanges(count, grain: 1 << 14) { range in
            for i in range {
                let pass = spec.firstPass + UInt32(i / rowLength)
                let keep = Philox.keeps(spec, pass: pass, element: UInt32(i % rowLength))
                yp[i] = keep ? xp[i] * keepScale : 0
            }
        }
    }

    public func adam(parameters: Buffer, gradients: Buffer, firstMoment: Buffer, secondMoment: Buffer, count: Int, step: AdamStep) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("adam", started, flops: 0) }
        let pp = floats(parameters), gp = floats(gradients), mp = floats(firstMoment), vp = floats(secondMoment)
        let correction1 = 1 - Float(pow(Double(step.beta1), Double(step.step)))
        let correction2Root = Float(Double(1 - pow(Double(step.beta2), Double(step.step))).squareRoot())
        let stepSize = step.learningRate / correction1
        let decay = 1 - step.learningRate * step.weightDecay
        parallelRanges(count, grain: 1 << 15) { range in
            for i in range {
                let g = gp[i]
                let m = mp[i] + (g - mp[i]) * (1 - step.beta1)
                let v = vp[i] * step.beta2 + (1 - step.beta2) * g * g
                mp[i] = m
                vp[i] = v
                let denominator = v.squareRoot() / correction2Root + step.epsilon
                pp[i] = pp[i] * decay - stepSize * m / denominator
            }
        }
    }
}

@inline(__always)
private func maxValue(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    // Eight independent running maxima, so the loop is not one long dependency chain.
    var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0, m4 = m0, m5 = m0, m6 = m0, m7 = m0
    var i = 0
    while i + 8 <= n {
        m0 = x[i] > m0 ? x[i] : m0; m1 = x[i + 1] > m1 ? x[i + 1] : m1
        m2 = x[i + 2] > m2 ? x[i + 2] : m2; m3 = x[i + 3] > m3 ? x[i + 3] : m3
        m4 = x[i + 4] > m4 ? x[i + 4] : m4; m5 = x[i + 5] > m5 ? x[i + 5] : m5
        m6 = x[i + 6] > m6 ? x[i + 6] : m6; m7 = x[i + 7] > m7 ? x[i + 7] : m7
        i += 8
    }
    var result = max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
    while i < n { result = x[i] > result ? x[i] : result; i += 1 }
    return result
}

/// `x = exp(x - shift)` in place; returns the sum in a fixed order.
@discardableResult @inline(__always)
private func expShiftInPlace(_ x: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    for i in 0..<n { x[i] = fastExp(x[i] - shift) }
    return sum(x, n)
}

/// Per-task buffers of the CPU attention: K and V transposed to (head dim x tokens), four query rows,
/// and two blocks of four score rows.
private struct AttentionScratch {
    let tokens: Int, headDim: Int
    let kt: UnsafeMutablePointer<Float>
    var vt: UnsafeMutablePointer<Float> { kt + headDim * tokens }
    var rows: UnsafeMutablePointer<Float> { kt + 2 * headDim * tokens }
    var s: UnsafeMutablePointer<Float> { rows + 4 * headDim }
    var ds: UnsafeMutablePointer<Float> { s + 4 * tokens }

    init(tokens: Int, headDim: Int) {
        self.tokens = tokens
        self.headDim = headDim
        kt = .allocate(capacity: 2 * headDim * tokens + 4 * headDim + 8 * tokens)
    }

    func deallocate() { kt.deallocate() }

    /// Copies K and V of one head (rows `base + j * rowStride + width`, `+ 2 * width`) transposed.
    func loadKeysAndValues(_ base: UnsafePointer<Float>, rowStride: Int, width: Int) {
        for j in 0..<tokens {
            for d in 0..<headDim {
                kt[d * tokens + j] = base[j * rowStride + width + d]
                vt[d * tokens + j] = base[j * rowStride + 2 * width + d]
            }
        }
    }

    /// Loads `count` query rows starting at `first`, times `scale`; rows past `count` are zero.
    func loadRows(_ base: UnsafePointer<Float>, rowStride: Int, first: Int, count: Int, scale: Float) {
        for r in 0..<4 {
            for d in 0..<headDim { rows[r * headDim + d] = r < count ? base[(first + r) * rowStride + d] * scale : 0 }
        }
    }

    /// Zeroes score rows `from..<4`, so padded rows contribute nothing.
    func zeroRows(from first: Int) {
        if first < 4 { (s + first * tokens).update(repeating: 0, count: (4 - first) * tokens) }
    }
}

private typealias Vec8 = SIMD8<Float>

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> Vec8 { UnsafeRawPointer(p).loadUnaligned(as: Vec8.self) }

@inline(__always)
private func store8(_ v: Vec8, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec8.self) }

/// `out[r, j] = sum over d of rows[r, d] * columns[d, j]` for four rows (`rows` is 4 x hd, `columns` hd x T).
@inline(__always)
private func scores4(_ rows: UnsafePointer<Float>, _ columns: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ T: Int, _ hd: Int) {
    var j = 0
    while j + 8 <= T {
        var a0 = Vec8(), a1 = Vec8(), a2 = Vec8(), a3 = Vec8()
        for d in 0..<hd {
            let k = load8(columns + d * T + j)
            a0.addProduct(k, Vec8(repeating: rows[d]))
            a1.addProduct(k, Vec8(repeating: rows[hd + d]))
            a2.addProduct(k, Vec8(repeating: rows[2 * hd + d]))
            a3.addProduct(k, Vec8(repeating: rows[3 * hd + d]))
        }
        store8(a0, out + j); store8(a1, out + T + j); store8(a2, out + 2 * T + j); store8(a3, out + 3 * T + j)
        j += 8
    }
    while j < T {
        for r in 0..<4 {
            var a: Float = 0
            for d in 0..<hd { a += rows[r * hd + d] * columns[d * T + j] }
            out[r * T + j] = a
        }
        j += 1
    }
}

/// Dot products of four rows of `x` (stride `T`) with `y`, lanes accumulated in a fixed order.
@inline(__always)
private func dot4(_ x: UnsafePointer<Float>, _ T: Int, _ y: UnsafePointer<Float>) -> SIMD4<Float> {
    var a0 = Vec8(), a1 = Vec8(), a2 = Vec8(), a3 = Vec8()
    var j = 0
    while j + 8 <= T {
        let v = load8(y + j)
        a0.addProduct(load8(x + j), v)
        a1.addProduct(load8(x + T + j), v)
        a2.addProduct(load8(x + 2 * T + j), v)
        a3.addProduct(load8(x + 3 * T + j), v)
        j += 8
    }
    var result = SIMD4<Float>(a0.sum(), a1.sum(), a2.sum(), a3.sum())
    while j < T {
        result += SIMD4<Float>(x[j], x[T + j], x[2 * T + j], x[3 * T + j]) * y[j]
        j += 1
    }
    return result
}

/// `y[j] += c0 x[0, j] + c1 x[1, j] + c2 x[2, j] + c3 x[3, j]` for four rows of `x` with stride `T`.
@inline(__always)
private func axpy4(_ y: UnsafeMutablePointer<Float>, _ T: Int, _ c0: Float, _ c1: Float, _ c2: Float, _ c3: Float, _ x: UnsafePointer<Float>) {
    for j in 0..<T { y[j] = y[j].addingProduct(c0, x[j]).addingProduct(c1, x[T + j]).addingProduct(c2, x[2 * T + j]).addingProduct(c3, x[3 * T + j]) }
}
