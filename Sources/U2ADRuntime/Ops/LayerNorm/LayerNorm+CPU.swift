extension CPUBackend: LayerNormOps {
    public func layerNormForward(_ x: Buffer, gamma: Buffer, beta: Buffer, into y: Buffer,
                                 mean: Buffer, rstd: Buffer, rows: Int, dim: Int, epsilon: Float) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("layernorm_forward", started, flops: LayerNorm.flops(rows: rows, dim: dim)) }
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
                                  dx: Buffer, adding addend: Buffer?, dgamma: Buffer, dbeta: Buffer, rows: Int, dim: Int) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("layernorm_backward", started, flops: 1.5 * LayerNorm.flops(rows: rows, dim: dim)) }
        let dyp = floats(dy), xp = floats(x), gp = floats(gamma), mp = floats(mean), rp = floats(rstd)
        let dxp = floats(dx), ap = addend.map { floats($0) }
        var partial = [Float](repeating: 0, count: LayerNorm.gradientChunks * 2 * dim)
        let chunkRows = (rows + LayerNorm.gradientChunks - 1) / LayerNorm.gradientChunks
        partial.withUnsafeMutableBufferPointer { partialBuffer in
            let pp = partialBuffer.baseAddress!
            parallelFor(LayerNorm.gradientChunks) { chunk in
                let start = chunk * chunkRows, end = min(rows, start + chunkRows)
                guard start < end else { return }
                let dg = pp + chunk * 2 * dim, db = dg + dim
                for r in start..<end {
                    let row = xp + r * dim, grad = dyp + r * dim, out = dxp + r * dim, add = ap.map { $0 + r * dim }
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
                        out[i] = add.map { $0[i] + value } ?? value
                    }
                }
            }
        }
        let dgp = floats(dgamma), dbp = floats(dbeta)
        for i in 0..<dim { dgp[i] = 0; dbp[i] = 0 }
        for chunk in 0..<LayerNorm.gradientChunks {
            for i in 0..<dim {
                dgp[i] += partial[chunk * 2 * dim + i]
                dbp[i] += partial[chunk * 2 * dim + dim + i]
            }
        }
    }
}
