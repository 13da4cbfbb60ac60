import Foundation

/// Small dense linear algebra on 3x3 matrices stored as rows.
enum Matrix3 {
    static func multiply(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
        (0..<3).map { i in (0..<3).map { j in (0..<3).reduce(0.0) { $0 + a[i][$1] * b[$1][j] } } }
    }

    static func determinant(_ m: [[Double]]) -> Double {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    }

    static func column(_ m: [[Double]], _ j: Int) -> [Double] { [m[0][j], m[1][j], m[2][j]] }

    static func norm(_ v: [Double]) -> Double { (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).squareRoot() }

    static func cross(_ a: [Double], _ b: [Double]) -> [Double] {
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    }

    /// Singular value decomposition `a = u * diag(s) * vᵀ` by one-sided Jacobi rotations.
    /// Columns of `u` whose singular value is zero are left zero. Iterations are bounded, so NaN input terminates.
    static func singularValueDecomposition(_ a: [[Double]]) -> (u: [[Double]], s: [Double], v: [[Double]]) {
        var w = (0..<3).map { column(a, $0) }
        var v: [[Double]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        for _ in 0..<60 {
            var rotated = false
            for p in 0..<2 {
                for q in (p + 1)..<3 {
                    let alpha = w[p].indices.reduce(0.0) { $0 + w[p][$1] * w[p][$1] }
                    let beta = w[q].indices.reduce(0.0) { $0 + w[q][$1] * w[q][$1] }
                    let gamma = w[p].indices.reduce(0.0) { $0 + w[p][$1] * w[q][$1] }
                    guard abs(gamma) > 1e-15 * (alpha * beta).squareRoot() else { continue }
                    rotated = true
                    let zeta = (beta - alpha) / (2 * gamma)
                    let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                    let c = 1 / (1 + t * t).squareRoot()
                    let s = c * t
                    for k in 0..<3 {
                        let (wp, wq) = (w[p][k], w[q][k])
                        w[p][k] = c * wp - s * wq
                        w[q][k] = s * wp + c * wq
                        let (vp, vq) = (v[p][k], v[q][k])
                        v[p][k] = c * vp - s * vq
                        v[q][k] = s * vp + c * vq
                    }
                }
            }
            if !rotated { break }
        }
        let singular = w.map(norm)
        let uColumns = (0..<3).map { j in singular[j] > 0 ? w[j].map { $0 / singular[j] } : [0, 0, 0] }
        let u = (0..<3).map { i in (0..<3).map { j in uColumns[j][i] } }
        let vMatrix = (0..<3).map { i in (0..<3).map { j in v[j][i] } }
        return (u, singular, vMatrix)
    }

    /// Sum of `u_k v_kᵀ` over the kept singular values: the closest orthogonal (projection) matrix to `a`.
    static func orthogonalFactor(_ a: [[Double]], tolerance: Double? = nil) -> [[Double]] {
        let (u, s, v) = singularValueDecomposition(a)
        let largest = s.max() ?? 0
        let threshold = tolerance ?? largest * 3 * Double.ulpOfOne
        var r: [[Double]] = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
        for k in 0..<3 where s[k] > threshold {
            for i in 0..<3 { for j in 0..<3 { r[i][j] += u[i][k] * v[j][k] } }
        }
        return r
    }
}
