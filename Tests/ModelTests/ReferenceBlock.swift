import Foundation
import U2ADTestSupport

/// A float64 timm Block forward from the reference ops, the yardstick for finite-difference checks of the
/// block's backward.
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

    /// `params` by timm name (without prefix).
    func forward(_ x: [Double], batch: Int, tokens: Int, _ params: [String: [Double]]) -> [Double] {
        let rows = batch * tokens
        let ln1 = Reference.layerNorm(x, params["norm1.weight"]!, params["norm1.bias"]!, rows: rows, dim: dim)
        let qkv = linear(ln1, rows: rows, params["attn.qkv.weight"]!, params["attn.qkv.bias"]!, inF: dim, outF: 3 * dim)
        let attn = Reference.attention(qkv, batch: batch, tokens: tokens, heads: heads, headDim: dim / heads)
        let proj = linear(attn, rows: rows, params["attn.proj.weight"]!, params["attn.proj.bias"]!, inF: dim, outF: dim)
        let x1 = zip(x, proj).map(+)
        let ln2 = Reference.layerNorm(x1, params["norm2.weight"]!, params["norm2.bias"]!, rows: rows, dim: dim)
        let h = linear(ln2, rows: rows, params["mlp.fc1.weight"]!, params["mlp.fc1.bias"]!, inF: dim, outF: hidden)
            .map(Reference.gelu)
        let y = linear(h, rows: rows, params["mlp.fc2.weight"]!, params["mlp.fc2.bias"]!, inF: hidden, outF: dim)
        return zip(x1, y).map(+)
    }
}
