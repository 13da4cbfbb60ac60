import Foundation

/// SSIM (Wang et al. 2004) with an 11-tap Gaussian window (sigma 1.5), `C1 = (0.01 L)^2`, `C2 = (0.03 L)^2`
/// for data range `L`, local statistics with reflected borders.
public enum StructuralSimilarity {
    /// The SSIM map of two `rows x cols` images.
    public static func map(_ x: [Float], _ y: [Float], rows: Int, cols: Int, dataRange: Double = 1) -> [Double] {
        precondition(x.count == rows * cols && y.count == rows * cols, "ssim: images must hold rows x cols values")
        let a = x.map(Double.init), b = y.map(Double.init)
        let c1 = (0.01 * dataRange) * (0.01 * dataRange), c2 = (0.03 * dataRange) * (0.03 * dataRange)
        let blur = { (v: [Double]) in gaussian(v, rows: rows, cols: cols) }
        let mx = blur(a), my = blur(b)
        let sxx = blur(zip(a, a).map(*)), syy = blur(zip(b, b).map(*)), sxy = blur(zip(a, b).map(*))
        return (0..<(rows * cols)).map { i in
            let vx = sxx[i] - mx[i] * mx[i], vy = syy[i] - my[i] * my[i], cxy = sxy[i] - mx[i] * my[i]
            return ((2 * mx[i] * my[i] + c1) * (2 * cxy + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2))
        }
    }

    /// Mean SSIM over the pixels where `mask` is non-zero (everywhere when nil); nil for an empty mask.
    public static func mean(_ x: [Float], _ y: [Float], rows: Int, cols: Int, mask: [Float]? = nil, dataRange: Double = 1) -> Double? {
        let values = map(x, y, rows: rows, cols: cols, dataRange: dataRange)
        var total = 0.0, count = 0
        for i in values.indices where mask.map({ $0[i] != 0 }) ?? true {
            total += values[i]
            count += 1
        }
        return count > 0 ? total / Double(count) : nil
    }

    static let kernel: [Double] = {
        let raw = (-5...5).map { exp(-Double($0 * $0) / (2 * 1.5 * 1.5)) }
        let sum = raw.reduce(0, +)
        return raw.map { $0 / sum }
    }()

    /// Separable Gaussian filter with `reflect` borders (`d c b a | a b c d | d c b a`).
    static func gaussian(_ v: [Double], rows: Int, cols: Int) -> [Double] {
        func reflect(_ i: Int, _ n: Int) -> Int {
            var j = i
            while j < 0 || j >= n { j = j < 0 ? -j - 1 : 2 * n - j - 1 }
            return j
        }
        var horizontal = [Double](repeating: 0, count: v.count), out = horizontal
        for r in 0..<rows {
            for c in 0..<cols {
                var s = 0.0
                for (t, w) in kernel.enumerated() { s += w * v[r * cols + reflect(c + t - 5, cols)] }
                horizontal[r * cols + c] = s
            }
        }
        for r in 0..<rows {
            for c in 0..<cols {
                var s = 0.0
                for (t, w) in kernel.enumerated() { s += w * horizontal[reflect(r + t - 5, rows) * cols + c] }
                out[r * cols + c] = s
            }
        }
        return out
    }
}
