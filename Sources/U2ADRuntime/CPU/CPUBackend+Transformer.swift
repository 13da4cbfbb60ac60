import Foundation

/// Row chunks for column reductions; fixed so results do not depend on the thread count.
private let reductionChunks = 32

extension CPUBackend {
    // MARK: LayerNorm

    public func layerNormForward(_ x: Buffer, gamma: Buffer, beta: Buffer, into y: Buffer,
                                 mean: Buffer, rstd: Buffer, rows: Int, dim: Int, epsilon: Float) {
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

    public func attentionForward(qkv: Buffer, into out: Buffer, logSumExp: Buffer, shape: AttentionShape, dropout: DropoutSpec?) {
        let T = shape.tokens, H = shape.heads, hd = shape.headDim, W = shape.width
        let qp = floats(qkv), op = floats(out), lp = floats(logSumExp)
        let scale = 1 / Float(hd).squareRoot()
        let queryBlock = 64
        let blocks = (T + queryBlock - 1) / queryBlock
        let dropoutSpec = dropout.flatMap { $0.isActive ? $0 : nil }
        parallelFor(shape.batch * H * blocks) { task in
            let b = task / (H * blocks), h = (task / blocks) % H, block = task % blocks
            let kt = UnsafeMutablePointer<Float>.allocate(capacity: 2 * hd * T + T)
            defer { kt.deallocate() }
            let vt = kt + hd * T, s = vt + hd * T
            let base = qp + b * T * 3 * W + h * hd
            for j in 0..<T {
                for d in 0..<hd {
                    kt[d * T + j] = base[j * 3 * W + W + d]
                    vt[d * T + j] = base[j * 3 * W + 2 * W + d]
                }
            }
            for i in (block * queryBlock)..<min(T, (block + 1) * queryBlock) {
                let q = base + i * 3 * W
                s.update(repeating: 0, count: T)
                for d in 0..<hd { axpy(q[d] * scale, kt + d * T, s, T) }
                let rowMax = maxValue(s, T)
                let sum = expShiftInPlace(s, T, shift: rowMax)
                lp[(b * H + h) * T + i] = rowMax + log(sum)
                let inverse = 1 / sum
                if let spec = dropoutSpec {
                    let keepScale = inverse / (1 - spec.rate)
                    let pass = spec.firstPass + UInt32(b)
                    let first = UInt32((h * T + i) * T)
                    for j in 0..<T { s[j] = Philox.keeps(spec, pass: pass, element: first + UInt32(j)) ? s[j] * keepScale : 0 }
                } else {
                    scaleInPlace(s, T, inverse)
                }
                let o = op + (b * T + i) * W + h * hd
                for d in 0..<hd { o[d] = dot(s, vt + d * T, T) }
            }
        }
    }

    public func attentionBackward(qkv: Buffer, out: Buffer, gradOut: Buffer, logSumExp: Buffer, into dqkv: Buffer,
                                  shape: AttentionShape, dropout: DropoutSpec?) {
        let T = shape.tokens, H = shape.heads, hd = shape.headDim, W = shape.width
        let qp = floats(qkv), op = floats(out), gp = floats(gradOut), lp = floats(logSumExp), dp = floats(dqkv)
        let scale = 1 / Float(hd).squareRoot()
        let dropoutSpec = dropout.flatMap { $0.isActive ? $0 : nil }
        parallelFor(shape.batch * H) { task in
            let b = task / H, h = task % H
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 4 * hd * T + 2 * T)
            defer { scratch.deallocate() }
            let kt = scratch, vt = kt + hd * T, dkt = vt + hd * T, dvt = dkt + hd * T
            let p = dvt + hd * T, dpRow = p + T
            let base = qp + b * T * 3 * W + h * hd
            for j in 0..<T {
                for d in 0..<hd {
                    kt[d * T + j] = base[j * 3 * W + W + d]
                    vt[d * T + j] = base[j * 3 * W + 2 * W + d]
                }
            }
            dkt.update(repeating: 0, count: 2 * hd * T)
            let dbase = dp + b * T * 3 * W + h * hd
            for i in 0..<T {
                let q = base + i * 3 * W
                let dO = gp + (b * T + i) * W + h * hd
                let o = op + (b * T + i) * W + h * hd
                p.update(repeating: 0, count: T)
                for d in 0..<hd { axpy(q[d] * scale, kt + d * T, p, T) }
                let lse = lp[(b * H + h) * T + i]
                expShiftInPlace(p, T, shift: lse)
                dpRow.update(repeating: 0, count: T)
                for d in 0..<hd { axpy(dO[d], vt + d * T, dpRow, T) }
                var rowDot: Float = 0
                for d in 0..<hd { rowDot += dO[d] * o[d] }
                if let spec = dropoutSpec {
                    let keepScale = 1 / (1 - spec.rate)
                    let pass = spec.firstPass + UInt32(b)
                    let first = UInt32((h * T + i) * T)
                    // dV uses the dropped probabilities; dS uses P and the masked dP.
                    let dropped = UnsafeMutablePointer<Float>.allocate(capacity: T)
                    defer { dropped.deallocate() }
                    for j in 0..<T {
                        let keep = Philox.keeps(spec, pass: pass, element: first + UInt32(j))
                        dropped[j] = keep ? p[j] * keepScale : 0
                        dpRow[j] = keep ? dpRow[j] * keepScale : 0
                    }
                    for d in 0..<hd { axpy(dO[d], dropped, dvt + d * T, T) }
                } else {
                    for d in 0..<hd { axpy(dO[d], p, dvt + d * T, T) }
                }
                for j in 0..<T { dpRow[j] = p[j] * (dpRow[j] - rowDot) }
                let dq = dbase + i * 3 * W
                for d in 0..<hd {
                    dq[d] = scale * dot(dpRow, kt + d * T, T)
                    axpy(scale * q[d], dpRow, dkt + d * T, T)
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
    var m = -Float.infinity
    for i in 0..<n { m = x[i] > m ? x[i] : m }
    return m
}

/// `x = exp(x - shift)` in place; returns the sum in a fixed order.
@discardableResult @inline(__always)
private func expShiftInPlace(_ x: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    for i in 0..<n { x[i] = fastExp(x[i] - shift) }
    return sum(x, n)
}

@inline(__always)
private func scaleInPlace(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ alpha: Float) {
    for i in 0..<n { x[i] *= alpha }
}
