// Fused multi-head attention on the CPU.
//
// Each (batch, head) has its K and V copied once, transposed to (head dim x tokens) and zero-padded to a
// multiple of eight tokens, so every inner loop runs over whole eight-lane vectors. Queries are processed
// four at a time: one pass writes the four score rows and their maxima, one pass exponentiates and sums,
// and the products with V (or, backward, with dO, Q and K) are register-blocked over two head-dim columns,
// so each score vector loaded from L1 feeds two fused multiply-adds. Scores are kept in base 2 (the
// queries carry a factor log2 e) so the softmax needs `2^x` only; the saved log-sum-exp is in base e.
import Foundation

extension CPUBackend: AttentionOps {
    public func attentionForward(qkv: Buffer, into out: Buffer, logSumExp: Buffer, shape: AttentionShape, dropout: DropoutSpec?) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("attention_forward", started, flops: shape.forwardFLOPs) }
        let T = shape.tokens, H = shape.heads, hd = shape.headDim, W = shape.width
        let qp = floats(qkv), op = floats(out), lp = floats(logSumExp)
        let dropoutSpec = dropout.flatMap { $0.isActive ? $0 : nil }
        let heads = TransposedHeads(qkv: qp, shape: shape)
        defer { heads.deallocate() }
        // Enough query chunks per head that every worker has several tasks.
        let chunks = max(1, min((T + 63) / 64, (4 * cpuThreadCount + shape.batch * H - 1) / (shape.batch * H)))
        let chunkRows = ((T + chunks - 1) / chunks + 3) & ~3
        parallelFor(shape.batch * H * chunks) { task in
            let b = task / (H * chunks), h = (task / chunks) % H, chunk = task % chunks
            let block = QueryBlock(heads: heads, batch: b, head: h)
            defer { block.deallocate() }
            let first = chunk * chunkRows, end = min(T, first + chunkRows)
            for i0 in stride(from: first, to: end, by: 4) {
                let rows = min(4, end - i0)
                block.loadQueries(first: i0, count: rows)
                let maxima = block.scoreRows(of: block.qBase2, keys: heads.keys(b, h), into: block.s)
                var inverse = SIMD4<Float>(repeating: 0)
                for r in 0..<4 {
                    let row = block.s + r * heads.paddedTokens
                    let total = exp2ShiftSum(row, heads.paddedTokens, shift: maxima[r])
                    inverse[r] = 1 / total
                    guard r < rows else { continue }
                    lp[(b * H + h) * T + i0 + r] = (maxima[r] + log2(total)) * ln2
                    if let spec = dropoutSpec {
                        inverse[r] /= 1 - spec.rate
                        let pass = spec.firstPass + UInt32(b), first = UInt32((h * T + i0 + r) * T)
                        for j in 0..<T where !spec.keeps(pass: pass, element: first + UInt32(j)) { row[j] = 0 }
                    }
                }
                let outBase = op + (b * T + i0) * W + h * hd
                block.forEachColumnPair(of: block.s, times: heads.values(b, h)) { d, o0, o1 in
                    for r in 0..<rows {
                        outBase[r * W + d] = o0[r] * inverse[r]
                        if d + 1 < hd { outBase[r * W + d + 1] = o1[r] * inverse[r] }
                    }
                }
            }
        }
    }

    public func attentionBackward(qkv: Buffer, out: Buffer, gradOut: Buffer, logSumExp: Buffer, into dqkv: Buffer,
                                  shape: AttentionShape, dropout: DropoutSpec?) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("attention_backward", started, flops: shape.backwardFLOPs) }
        let T = shape.tokens, H = shape.heads, hd = shape.headDim, W = shape.width
        let qp = floats(qkv), op = floats(out), gp = floats(gradOut), lp = floats(logSumExp), dp = floats(dqkv)
        let scale = 1 / Float(hd).squareRoot()
        let dropoutSpec = dropout.flatMap { $0.isActive ? $0 : nil }
        let heads = TransposedHeads(qkv: qp, shape: shape)
        defer { heads.deallocate() }
        let Tp = heads.paddedTokens
        // One task per (batch, head): dK and dV accumulate over all queries in a fixed order.
        parallelFor(shape.batch * H) { task in
            let b = task / H, h = task % H
            let block = QueryBlock(heads: heads, batch: b, head: h, backward: true)
            defer { block.deallocate() }
            let gradKV = UnsafeMutablePointer<Float>.allocate(capacity: 2 * hd * Tp)
            defer { gradKV.deallocate() }
            gradKV.update(repeating: 0, count: 2 * hd * Tp)
            let dkt = gradKV, dvt = gradKV + hd * Tp
            let dbase = dp + b * T * 3 * W + h * hd
            for i0 in stride(from: 0, to: T, by: 4) {
                let rows = min(4, T - i0)
                block.loadQueries(first: i0, count: rows)
                block.loadGradients(gp + (b * T + i0) * W + h * hd, rowStride: W, count: rows)
                block.scoreRows(of: block.qBase2, keys: heads.keys(b, h), into: block.s)
                block.scoreRows(of: block.dO, keys: heads.values(b, h), into: block.ds, maskingPadding: false)
                for r in 0..<4 {
                    var rowDot: Float = 0
                    var shift: Float = 0
                    if r < rows {
                        for d in 0..<hd { rowDot += block.dO[r * hd + d] * op[(b * T + i0 + r) * W + h * hd + d] }
                        shift = lp[(b * H + h) * T + i0 + r] * log2e
                    }
                    let p = block.s + r * Tp, ds = block.ds + r * Tp
                    if let spec = dropoutSpec {
                        let keepScale = 1 / (1 - spec.rate)
                        let pass = spec.firstPass + UInt32(b), first = UInt32((h * T + i0 + r) * T)
                        let drop = block.dropped + r * Tp
                        exp2ShiftSum(p, Tp, shift: shift)
                        for j in 0..<Tp {
                            let keep = r < rows && j < T && spec.keeps(pass: pass, element: first + UInt32(j))
                            drop[j] = keep ? p[j] * keepScale : 0
                            ds[j] = p[j] * ((keep ? ds[j] * keepScale : 0) - rowDot)
                        }
                    } else {
                        softmaxGradient(p, ds, Tp, shift: shift, rowDot: rowDot)
                    }
                }
                let probabilities = dropoutSpec == nil ? block.s : block.dropped
                block.accumulateColumnPairs(into: dvt, coefficients: block.dO, rows: probabilities)
                block.accumulateColumnPairs(into: dkt, coefficients: block.q, rows: block.ds)
                block.forEachColumnPair(of: block.ds, times: heads.keys(b, h)) { d, g0, g1 in
                    for r in 0..<rows {
                        dbase[(i0 + r) * 3 * W + d] = scale * g0[r]
                        if d + 1 < hd { dbase[(i0 + r) * 3 * W + d + 1] = scale * g1[r] }
                    }
                }
            }
            for j in 0..<T {
                for d in 0..<hd {
                    dbase[j * 3 * W + W + d] = dkt[d * Tp + j]
                    dbase[j * 3 * W + 2 * W + d] = dvt[d * Tp + j]
                }
            }
        }
    }
}

/// K and V of every (batch, head), transposed to (head dim x padded tokens); padding is zero.
private struct TransposedHeads {
    let shape: AttentionShape
    let paddedTokens: Int
    let qkv: UnsafePointer<Float>
    let storage: UnsafeMutablePointer<Float>

    init(qkv: UnsafePointer<Float>, shape: AttentionShape) {
        let T = shape.tokens, H = shape.heads, hd = shape.headDim, W = shape.width
        let Tp = (T + 7) & ~7
        self.shape = shape
        self.qkv = qkv
        paddedTokens = Tp
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: shape.batch * H * 2 * hd * Tp)
        self.storage = storage
        parallelFor(shape.batch * H) { task in
            let b = task / H, h = task % H
            let kt = storage + task * 2 * hd * Tp, vt = kt + hd * Tp
            let base = qkv + b * T * 3 * W + h * hd
            for j in 0..<T {
                for d in 0..<hd {
                    kt[d * Tp + j] = base[j * 3 * W + W + d]
                    vt[d * Tp + j] = base[j * 3 * W + 2 * W + d]
                }
            }
            for d in 0..<hd {
                (kt + d * Tp + T).update(repeating: 0, count: Tp - T)
                (vt + d * Tp + T).update(repeating: 0, count: Tp - T)
            }
        }
    }

    func deallocate() { storage.deallocate() }

    func keys(_ b: Int, _ h: Int) -> UnsafePointer<Float> {
        UnsafePointer(storage + (b * shape.heads + h) * 2 * shape.headDim * paddedTokens)
    }

    func values(_ b: Int, _ h: Int) -> UnsafePointer<Float> { keys(b, h) + shape.headDim * paddedTokens }
}

private typealias Vec8 = SIMD8<Float>

/// Per-task buffers for four query rows of one head: the rows (times 1 / sqrt(head dim)), their upstream
/// gradients, and four-row blocks of scores, score gradients and dropped probabilities, each padded.
private struct QueryBlock {
    let headDim: Int, tokens: Int, paddedTokens: Int
    let base: UnsafePointer<Float>
    let rowStride: Int
    let scale: Float
    let storage: UnsafeMutablePointer<Float>
    var q: UnsafeMutablePointer<Float> { storage }
    /// The query rows times log2(e) as well: scores in base 2, for `exp2NonPositive8`.
    var qBase2: UnsafeMutablePointer<Float> { storage + 4 * headDim }
    var dO: UnsafeMutablePointer<Float> { storage + 8 * headDim }
    var s: UnsafeMutablePointer<Float> { storage + 12 * headDim }
    var ds: UnsafeMutablePointer<Float> { s + 4 * paddedTokens }
    var dropped: UnsafeMutablePointer<Float> { ds + 4 * paddedTokens }

    init(heads: TransposedHeads, batch b: Int, head h: Int, backward: Bool = false) {
        let shape = heads.shape
        headDim = shape.headDim
        tokens = shape.tokens
        paddedTokens = heads.paddedTokens
        rowStride = 3 * shape.width
        base = heads.qkv + b * shape.tokens * rowStride + h * shape.headDim
        scale = 1 / Float(shape.headDim).squareRoot()
        storage = .allocate(capacity: 12 * headDim + (backward ? 12 : 4) * paddedTokens)
    }

    func deallocate() { storage.deallocate() }

    /// Loads `count` query rows from `first`, scaled; rows past `count` are zero.
    func loadQueries(first: Int, count: Int) {
        for r in 0..<4 {
            for d in 0..<headDim {
                let value = r < count ? base[(first + r) * rowStride + d] * scale : 0
                q[r * headDim + d] = value
                qBase2[r * headDim + d] = value * log2e
            }
        }
    }

    func loadGradients(_ rowsBase: UnsafePointer<Float>, rowStride: Int, count: Int) {
        for r in 0..<4 {
            for d in 0..<headDim { dO[r * headDim + d] = r < count ? rowsBase[r * rowStride + d] : 0 }
        }
    }

    /// `out[r, j] = rows[r, :] . keys[:, j]` for four rows; padded columns get -infinity (so they vanish
    /// from a softmax), or zero with `maskingPadding: false`. Returns each row's maximum.
    @discardableResult
    func scoreRows(of rows: UnsafePointer<Float>, keys: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                   maskingPadding: Bool = true) -> SIMD4<Float> {
        let hd = headDim, Tp = paddedTokens, full = tokens / 8
        var m0 = Vec8(repeating: -.infinity), m1 = m0, m2 = m0, m3 = m0
        var v = 0
        while v + 2 <= full {
            let j = v * 8
            var a0 = Vec8(), a1 = Vec8(), a2 = Vec8(), a3 = Vec8()
            var b0 = Vec8(), b1 = Vec8(), b2 = Vec8(), b3 = Vec8()
            for d in 0..<hd {
                let k0 = load8(keys + d * Tp + j), k1 = load8(keys + d * Tp + j + 8)
                let c0 = Vec8(repeating: rows[d]), c1 = Vec8(repeating: rows[hd + d])
                let c2 = Vec8(repeating: rows[2 * hd + d]), c3 = Vec8(repeating: rows[3 * hd + d])
                a0.addProduct(k0, c0); b0.addProduct(k1, c0)
                a1.addProduct(k0, c1); b1.addProduct(k1, c1)
                a2.addProduct(k0, c2); b2.addProduct(k1, c2)
                a3.addProduct(k0, c3); b3.addProduct(k1, c3)
            }
            store8(a0, out + j); store8(b0, out + j + 8)
            store8(a1, out + Tp + j); store8(b1, out + Tp + j + 8)
            store8(a2, out + 2 * Tp + j); store8(b2, out + 2 * Tp + j + 8)
            store8(a3, out + 3 * Tp + j); store8(b3, out + 3 * Tp + j + 8)
            m0 = lanewiseMax(m0, lanewiseMax(a0, b0)); m1 = lanewiseMax(m1, lanewiseMax(a1, b1))
            m2 = lanewiseMax(m2, lanewiseMax(a2, b2)); m3 = lanewiseMax(m3, lanewiseMax(a3, b3))
            v += 2
        }
        var padding = Vec8()
        for lane in (tokens - full * 8)..<8 where maskingPadding { padding[lane] = -.infinity }
        while v < Tp / 8 {
            let j = v * 8
            var a0 = Vec8(), a1 = Vec8(), a2 = Vec8(), a3 = Vec8()
            for d in 0..<hd {
                let k0 = load8(keys + d * Tp + j)
                a0.addProduct(k0, Vec8(repeating: rows[d])); a1.addProduct(k0, Vec8(repeating: rows[hd + d]))
                a2.addProduct(k0, Vec8(repeating: rows[2 * hd + d])); a3.addProduct(k0, Vec8(repeating: rows[3 * hd + d]))
            }
            if v == full { a0 += padding; a1 += padding; a2 += padding; a3 += padding }
            store8(a0, out + j); store8(a1, out + Tp + j); store8(a2, out + 2 * Tp + j); store8(a3, out + 3 * Tp + j)
            m0 = lanewiseMax(m0, a0); m1 = lanewiseMax(m1, a1); m2 = lanewiseMax(m2, a2); m3 = lanewiseMax(m3, a3)
            v += 1
        }
        return SIMD4(horizontalMax(m0), horizontalMax(m1), horizontalMax(m2), horizontalMax(m3))
    }

    /// Calls `body(d, x . columns[d], x . columns[d + 1])` for each pair of head-dim columns, where `x` is
    /// the four rows of `rows` (stride padded tokens); for an odd head dim the last pair repeats its column.
    @inline(__always)
    func forEachColumnPair(of rows: UnsafePointer<Float>, times columns: UnsafePointer<Float>,
                           _ body: (Int, SIMD4<Float>, SIMD4<Float>) -> Void) {
        let Tp = paddedTokens
        var d = 0
        while d < headDim {
            let w0p = columns + d * Tp, w1p = columns + min(d + 1, headDim - 1) * Tp
            var a0 = Vec8(), a1 = Vec8(), a2 = Vec8(), a3 = Vec8()
            var b0 = Vec8(), b1 = Vec8(), b2 = Vec8(), b3 = Vec8()
            for j in stride(from: 0, to: Tp, by: 8) {
                let w0 = load8(w0p + j), w1 = load8(w1p + j)
                let p0 = load8(rows + j), p1 = load8(rows + Tp + j), p2 = load8(rows + 2 * Tp + j), p3 = load8(rows + 3 * Tp + j)
                a0.addProduct(p0, w0); b0.addProduct(p0, w1)
                a1.addProduct(p1, w0); b1.addProduct(p1, w1)
                a2.addProduct(p2, w0); b2.addProduct(p2, w1)
                a3.addProduct(p3, w0); b3.addProduct(p3, w1)
            }
            body(d, SIMD4(a0.sum(), a1.sum(), a2.sum(), a3.sum()), SIMD4(b0.sum(), b1.sum(), b2.sum(), b3.sum()))
            d += 2
        }
    }

    /// `target[d, j] += sum over r of coefficients[r, d] * rows[r, j]` for every head-dim column `d`
    /// (`coefficients` is 4 x head dim, `rows` four padded rows, `target` head dim x padded tokens).
    @inline(__always)
    func accumulateColumnPairs(into target: UnsafeMutablePointer<Float>, coefficients c: UnsafePointer<Float>,
                               rows: UnsafePointer<Float>) {
        let Tp = paddedTokens, hd = headDim
        let r0 = rows, r1 = rows + Tp, r2 = rows + 2 * Tp, r3 = rows + 3 * Tp
        var d = 0
        while d + 2 <= hd {
            let y0p = target + d * Tp, y1p = y0p + Tp
            let c00 = Vec8(repeating: c[d]), c10 = Vec8(repeating: c[hd + d])
            let c20 = Vec8(repeating: c[2 * hd + d]), c30 = Vec8(repeating: c[3 * hd + d])
            let c01 = Vec8(repeating: c[d + 1]), c11 = Vec8(repeating: c[hd + d + 1])
            let c21 = Vec8(repeating: c[2 * hd + d + 1]), c31 = Vec8(repeating: c[3 * hd + d + 1])
            for j in stride(from: 0, to: Tp, by: 8) {
                let p0 = load8(r0 + j), p1 = load8(r1 + j), p2 = load8(r2 + j), p3 = load8(r3 + j)
                var y0 = load8(y0p + j), y1 = load8(y1p + j)
                y0.addProduct(p0, c00); y1.addProduct(p0, c01)
                y0.addProduct(p1, c10); y1.addProduct(p1, c11)
                y0.addProduct(p2, c20); y1.addProduct(p2, c21)
                y0.addProduct(p3, c30); y1.addProduct(p3, c31)
                store8(y0, y0p + j)
                store8(y1, y1p + j)
            }
            d += 2
        }
        if d < hd {
            let yp = target + d * Tp
            let c0 = Vec8(repeating: c[d]), c1 = Vec8(repeating: c[hd + d])
            let c2 = Vec8(repeating: c[2 * hd + d]), c3 = Vec8(repeating: c[3 * hd + d])
            for j in stride(from: 0, to: Tp, by: 8) {
                var y = load8(yp + j)
                y.addProduct(load8(r0 + j), c0); y.addProduct(load8(r1 + j), c1)
                y.addProduct(load8(r2 + j), c2); y.addProduct(load8(r3 + j), c3)
                store8(y, yp + j)
            }
        }
    }
}

private let log2e: Float = 1.442_695_04
private let ln2: Float = 0.693_147_18

/// `x = 2^(x - shift)` in place over whole vectors (`shift` is the row maximum or log-sum-exp, so every
/// exponent is <= 0); returns the sum, accumulated in a fixed order.
@discardableResult @inline(__always)
private func exp2ShiftSum(_ x: UnsafeMutablePointer<Float>, _ paddedCount: Int, shift: Float) -> Float {
    let m = Vec8(repeating: shift)
    var total = Vec8()
    for j in stride(from: 0, to: paddedCount, by: 8) {
        let p = exp2NonPositive8(load8(x + j) - m)
        store8(p, x + j)
        total += p
    }
    return total.sum()
}

/// The softmax backward for one row without dropout: `p = 2^(s - lse)` (both in base 2) and
/// `ds = p * (dp - rowDot)`, with `s` in `p` and `dp` in `ds` on entry.
@inline(__always)
private func softmaxGradient(_ p: UnsafeMutablePointer<Float>, _ ds: UnsafeMutablePointer<Float>, _ paddedCount: Int,
                             shift: Float, rowDot: Float) {
    let m = Vec8(repeating: shift), c = Vec8(repeating: rowDot)
    for j in stride(from: 0, to: paddedCount, by: 8) {
        let probability = exp2NonPositive8(load8(p + j) - m)
        store8(probability, p + j)
        store8(probability * (load8(ds + j) - c), ds + j)
    }
}

@inline(__always)
private func horizontalMax(_ v: Vec8) -> Float {
    var result = v[0]
    for lane in 1..<8 { result = v[lane] > result ? v[lane] : result }
    return result
}
