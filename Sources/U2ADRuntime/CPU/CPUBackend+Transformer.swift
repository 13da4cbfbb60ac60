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
