import Foundation

/// A float64 timm Block forward, the yardstick for finite-difference checks of the block's backward.
struct ReferenceBlock {
    let dim: Int, heads: Int
    var hidden: Int { 4 * dim }

    func linear(_ x: [Double], rows: Int, _ w: [Double], _ b: [Double], inF: Int, outF: Int) -> [Double] {
        var y = [Double](repeating: 0, count: rows * outF)
        for r in 0..<rows {
            for o in 0..<outF {
                var s = b[o]
                for i in 0..<inF { s += x[r * inF + i] * w[o * inF + i] }
                y[r * outF + o] = s
            }
        }
        return y
    }

    func layerNorm(_ x: [Double], rows: Int, _ g: [Double], _ b: [Double]) -> [Double] {
        var y = x
        for r in 0..<rows {
            let row = x[(r * dim)..<((r + 1) * dim)]
            let mean = row.reduce(0, +) / Double(dim)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)
            let inv = 1 / (variance + 1e-5).squareRoot()
            for i in 0..<dim { y[r * dim + i] = (x[r * dim + i] - mean) * inv * g[i] + b[i] }
        }
        return y
    }

    func attention(_ qkv: [Double], batch: Int, tokens T: Int) -> [Double] {
        let hd = dim / heads, W = dim
        var out = [Double](repeating: 0, count: batch * T * W)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<T {
                    var s = [Double](repeating: 0, count: T)
                    for j in 0..<T {
                        var d = 0.0
                        for e in 0..<hd { d += qkv[(b * T + i) * 3 * W + h * hd + e] * qkv[(b * T + j) * 3 * W + W + h * hd + e] }
                        s[j] = d / Double(hd).squareRoot()
                    }
                    let m = s.max()!
                    let p = s.map { exp($0 - m) }
                    let z = p.reduce(0, +)
                    for e in 0..<hd {
                        var o = 0.0
                        for j in 0..<T { o += p[j] / z * qkv[(b * T + j) * 3 * W + 2 * W + h * hd + e] }
                        out[(b * T + i) * W + h * hd + e] = o
                    }
                }
            }
        }
        return out
    }

    /// `params` by timm name (without prefix).
    func forward(_ x: [Double], batch: Int, tokens: Int, _ params: [String: [Double]]) -> [Double] {
        let rows = batch * tokens
        let ln1 = layerNorm(x, rows: rows, params["norm1.weight"]!, params["norm1.bias"]!)
        let qkv = linear(ln1, rows: rows, params["attn.qkv.weight"]!, params["attn.qkv.bias"]!, inF: dim, outF: 3 * dim)
        let attn = attention(qkv, batch: batch, tokens: tokens)
        let proj = linear(attn, rows: rows, params["attn.proj.weight"]!, params["attn.proj.bias"]!, inF: dim, outF: dim)
        let x1 = zip(x, proj).map(+)
        let ln2 = layerNorm(x1, rows: rows, params["norm2.weight"]!, params["norm2.bias"]!)
        let h = linear(ln2, rows: rows, params["mlp.fc1.weight"]!, params["mlp.fc1.bias"]!, inF: dim, outF: hidden)
            .map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
        let y = linear(h, rows: rows, params["mlp.fc2.weight"]!, params["mlp.fc2.bias"]!, inF: hidden, outF: dim)
        return zip(x1, y).map(+)
    }
}
