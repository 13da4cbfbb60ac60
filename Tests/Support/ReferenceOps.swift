import Foundation

/// Plain float64 implementations of every op, the yardstick for both backends.
public enum Reference {
    public static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }
    public static func geluDerivative(_ x: Double) -> Double {
        0.5 * (1 + erf(x / 2.0.squareRoot())) + x * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
    }

    public static func gemm(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool,
                     bias: [Float]? = nil, activation: Int32 = 0, residual: [Float]? = nil) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transposeA ? a[p * m + i] : a[i * k + p]
                    let bv = transposeB ? b[j * k + p] : b[p * n + j]
                    s += Double(av) * Double(bv)
                }
                if let bias { s += Double(bias[j]) }
                if activation == 1 { s = gelu(s) } else if activation == 2 { s = 1 / (1 + exp(-s)) }
                if let residual { s += Double(residual[i * n + j]) }
                c[i * n + j] = s
            }
        }
        return c
    }

    public static func layerNorm(_ x: [Double], _ gamma: [Double], _ beta: [Double], rows: Int, dim: Int, eps: Double = 1e-5) -> [Double] {
        var y = [Double](repeating: 0, count: rows * dim)
        for r in 0..<rows {
            let row = Array(x[(r * dim)..<((r + 1) * dim)])
            let mean = row.reduce(0, +) / Double(dim)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)
            let inv = 1 / (variance + eps).squareRoot()
            for i in 0..<dim { y[r * dim + i] = (row[i] - mean) * inv * gamma[i] + beta[i] }
        }
        return y
    }

    /// Returns dx, dgamma, dbeta for upstream dy.
    public static func layerNormBackward(_ x: [Double], _ gamma: [Double], _ dy: [Double], rows: Int, dim: Int, eps: Double = 1e-5) -> ([Double], [Double], [Double]) {
        var dx = [Double](repeating: 0, count: rows * dim), dg = [Double](repeating: 0, count: dim), db = dg
        for r in 0..<rows {
            let row = Array(x[(r * dim)..<((r + 1) * dim)])
            let mean = row.reduce(0, +) / Double(dim)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)
            let inv = 1 / (variance + eps).squareRoot()
            let xhat = row.map { ($0 - mean) * inv }
            var mg = 0.0, mgx = 0.0
            for i in 0..<dim {
                let g = dy[r * dim + i] * gamma[i]
                mg += g; mgx += g * xhat[i]
                dg[i] += dy[r * dim + i] * xhat[i]
                db[i] += dy[r * dim + i]
            }
            mg /= Double(dim); mgx /= Double(dim)
            for i in 0..<dim { dx[r * dim + i] = inv * (dy[r * dim + i] * gamma[i] - mg - xhat[i] * mgx) }
        }
        return (dx, dg, db)
    }

    /// Attention over qkv [B*T, 3W]; `keep(b, h, i, j)` gives the dropout multiplier (1 without dropout).
    public static func attention(_ qkv: [Double], batch: Int, tokens T: Int, heads H: Int, headDim hd: Int,
                          keep: (Int, Int, Int, Int) -> Double = { _, _, _, _ in 1 }) -> [Double] {
        let W = H * hd
        var out = [Double](repeating: 0, count: batch * T * W)
        for b in 0..<batch {
            for h in 0..<H {
                for i in 0..<T {
                    let p = attentionProbabilities(qkv, b: b, h: h, i: i, tokens: T, heads: H, headDim: hd)
                    for e in 0..<hd {
                        var o = 0.0
                        for j in 0..<T { o += p[j] * keep(b, h, i, j) * qkv[(b * T + j) * 3 * W + 2 * W + h * hd + e] }
                        out[(b * T + i) * W + h * hd + e] = o
                    }
                }
            }
        }
        return out
    }

    /// softmax(q_i . k_j / sqrt(head dim)) over j for query `i` of head `h` in batch row `b`.
    static func attentionProbabilities(_ qkv: [Double], b: Int, h: Int, i: Int, tokens T: Int, heads H: Int, headDim hd: Int) -> [Double] {
        let W = H * hd
        let scale = 1 / Double(hd).squareRoot()
        var s = [Double](repeating: 0, count: T)
        for j in 0..<T {
            var d = 0.0
            for e in 0..<hd { d += qkv[(b * T + i) * 3 * W + h * hd + e] * qkv[(b * T + j) * 3 * W + W + h * hd + e] }
            s[j] = d * scale
        }
        let m = s.max()!
        let z = s.map { exp($0 - m) }.reduce(0, +)
        return s.map { exp($0 - m) / z }
    }

    /// d(sum(out * dout))/d qkv by central finite differences of ``attention`` (float64, exact to ~1e-8).
    public static func attentionGradientByDifferences(_ qkv: [Double], _ dout: [Double], batch: Int, tokens: Int, heads: Int, headDim: Int,
                                               keep: @escaping (Int, Int, Int, Int) -> Double = { _, _, _, _ in 1 }) -> [Double] {
        var grad = [Double](repeating: 0, count: qkv.count)
        let h = 1e-6
        for index in 0..<qkv.count {
            var plus = qkv, minus = qkv
            plus[index] += h; minus[index] -= h
            let fp = zip(attention(plus, batch: batch, tokens: tokens, heads: heads, headDim: headDim, keep: keep), dout).map(*).reduce(0, +)
            let fm = zip(attention(minus, batch: batch, tokens: tokens, heads: heads, headDim: headDim, keep: keep), dout).map(*).reduce(0, +)
            grad[index] = (fp - fm) / (2 * h)
        }
        return grad
    }
}

extension Reference {
    /// Analytic float64 attention backward: d qkv for upstream `dout`.
    public static func attentionBackward(_ qkv: [Double], _ dout: [Double], batch: Int, tokens T: Int, heads H: Int, headDim hd: Int,
                                  keep: (Int, Int, Int, Int) -> Double = { _, _, _, _ in 1 }) -> [Double] {
        let W = H * hd
        let scale = 1 / Double(hd).squareRoot()
        var grad = [Double](repeating: 0, count: qkv.count)
        func q(_ b: Int, _ t: Int, _ part: Int, _ h: Int, _ e: Int) -> Int { (b * T + t) * 3 * W + part * W + h * hd + e }
        for b in 0..<batch {
            for h in 0..<H {
                for i in 0..<T {
                    let p = attentionProbabilities(qkv, b: b, h: h, i: i, tokens: T, heads: H, headDim: hd)
                    let dO = (0..<hd).map { dout[(b * T + i) * W + h * hd + $0] }
                    var dp = [Double](repeating: 0, count: T)
                    for j in 0..<T {
                        let k = keep(b, h, i, j)
                        for e in 0..<hd {
                            grad[q(b, j, 2, h, e)] += p[j] * k * dO[e]
                            dp[j] += dO[e] * qkv[q(b, j, 2, h, e)] * k
                        }
                    }
                    let rowDot = zip(p, dp).map(*).reduce(0, +)
                    for j in 0..<T {
                        let ds = p[j] * (dp[j] - rowDot) * scale
                        for e in 0..<hd {
                            grad[q(b, i, 0, h, e)] += ds * qkv[q(b, j, 1, h, e)]
                            grad[q(b, j, 1, h, e)] += ds * qkv[q(b, i, 0, h, e)]
                        }
                    }
                }
            }
        }
        return grad
    }
}

/// Per-pixel running mean and population variance in float64 (Welford's update), as MC inference accumulated them on
/// the host before the device did: the yardstick of ``PixelMomentsOps``.
public struct HostPixelMoments {
    public private(set) var count: [Int32]
    public private(set) var mean: [Double]
    public private(set) var squaredDeviations: [Double]

    public init(pixels: Int) {
        count = [Int32](repeating: 0, count: pixels)
        mean = [Double](repeating: 0, count: pixels)
        squaredDeviations = [Double](repeating: 0, count: pixels)
    }

    public mutating func add(_ value: Double, at pixel: Int) {
        count[pixel] += 1
        let delta = value - mean[pixel]
        mean[pixel] += delta / Double(count[pixel])
        squaredDeviations[pixel] += delta * (value - mean[pixel])
    }

    public func variance(at pixel: Int) -> Double { count[pixel] > 0 ? squaredDeviations[pixel] / Double(count[pixel]) : 0 }

    /// Reconstruction, epistemic and aleatoric maps of `image` inside `region` (nonzero), as MC inference finishes them.
    public func maps(image: [Float], region: [Float]) -> (reconstruction: [Float], epistemic: [Float], aleatoric: [Float]) {
        var reconstruction = image
        var epistemic = [Float](repeating: 0, count: image.count), aleatoric = [Float](repeating: 0, count: image.count)
        for i in image.indices where region[i] != 0 {
            if count[i] > 0 {
                reconstruction[i] = Float(mean[i])
                epistemic[i] = Float(variance(at: i))
            }
            aleatoric[i] = abs(image[i] - reconstruction[i])
        }
        return (reconstruction, epistemic, aleatoric)
    }
}
