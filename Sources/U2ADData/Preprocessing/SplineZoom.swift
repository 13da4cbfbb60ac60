import Foundation

/// `scipy.ndimage.zoom` for 2-D arrays, reproducing SciPy 1.17 with its defaults
/// (`mode='constant'`, `cval=0`, `prefilter=True`, `grid_mode=False`).
///
/// What is reproduced, step by step (see `scipy/ndimage/_interpolation.py`,
/// `src/ni_interpolation.c` and `src/ni_splines.c`):
/// - output shape: `int(round(n * zoom))` per axis, Python rounding (half to even);
/// - early exit: when every zoom factor is exactly 1 the input is returned unchanged;
/// - the B-spline prefilter (orders 2...5) runs along axis 0 then axis 1 in float64 with
///   the *mirror* boundary initialisation (SciPy uses mirror for mode 'constant'; no padding);
/// - coordinate mapping: input coordinate `k * (n_in - 1) / (n_out - 1)` (factor 1 when
///   `n_out == 1`), computed in float64 exactly as NumPy does;
/// - mode 'constant': an output point whose coordinate falls outside `[0, n_in - 1]` on
///   any axis (which can happen by one rounding step at the far edge) is `cval` (0);
///   the spline support of points inside uses mirror-extended coefficients;
/// - order 0 picks `floor(x + 0.5)`; the weighted sum runs in SciPy's order.
/// Results for `Float` inputs are rounded to `Float` at the end, as SciPy writes a
/// float32 output for a float32 input.
public enum SplineZoom {

    /// SciPy's output length for one axis: `int(round(n * zoom))` (round half to even).
    public static func outputLength(_ n: Int, zoom: Double) -> Int {
        Int((Double(n) * zoom).rounded(.toNearestOrEven))
    }

    /// SciPy's output shape for a 2-D zoom.
    public static func outputShape(rows: Int, cols: Int, zoom: (rows: Double, cols: Double)) -> (rows: Int, cols: Int) {
        (outputLength(rows, zoom: zoom.rows), outputLength(cols, zoom: zoom.cols))
    }

    /// Zooms a row-major float64 array like `scipy.ndimage.zoom(a, (zr, zc), order=order)`.
    /// - Parameters:
    ///   - order: spline order 0...5 (0 nearest, 1 linear, 3 cubic).
    /// - Returns: the zoomed pixels and their shape.
    public static func zoom(_ input: [Double], rows: Int, cols: Int,
                            zoom: (rows: Double, cols: Double), order: Int = 3) throws
        -> (pixels: [Double], rows: Int, cols: Int)
    {
        guard rows >= 1, cols >= 1, input.count == rows * cols else {
            throw ImageError.shapeMismatch("zoom input has \(input.count) values for shape \(rows)x\(cols)")
        }
        guard (0...5).contains(order) else {
            throw ImageError.invalidArgument("spline order \(order) not in 0...5")
        }
        guard zoom.rows.isFinite, zoom.cols.isFinite, zoom.rows > 0, zoom.cols > 0 else {
            throw ImageError.invalidArgument("zoom factors must be finite and positive, got \(zoom)")
        }
        guard Double(rows) * zoom.rows < 0x1p24, Double(cols) * zoom.cols < 0x1p24 else {
            throw ImageError.invalidArgument("zoom of a \(rows)x\(cols) image by \(zoom) gives more than 2^24 pixels a side")
        }
        let (outRows, outCols) = outputShape(rows: rows, cols: cols, zoom: zoom)
        // SciPy (gh-20999): a zoom of exactly 1 on every axis returns the input as it is.
        if zoom.rows == 1 && zoom.cols == 1 {
            return (input, rows, cols)
        }
        if outRows == 0 || outCols == 0 {
            return ([], outRows, outCols)
        }
        var coeffs = input
        if order > 1 {
            splineFilter(&coeffs, rows: rows, cols: cols, order: order)
        }
        let rowAxis = AxisPlan(inLength: rows, outLength: outRows, order: order)
        let colAxis = AxisPlan(inLength: cols, outLength: outCols, order: order)
        var out = [Double](repeating: 0, count: outRows * outCols)
        let taps = order + 1
        coeffs.withUnsafeBufferPointer { c in
            out.withUnsafeMutableBufferPointer { o in
                for r in 0..<outRows {
                    if rowAxis.outside[r] { continue }  // cval = 0
                    let rIdx = r * taps
                    for cc in 0..<outCols {
                        if colAxis.outside[cc] { continue }
                        let cIdx = cc * taps
                        var t = 0.0
                        if order == 0 {
                            t = c[rowAxis.index[rIdx] * cols + colAxis.index[cIdx]]
                        } else {
                            for i in 0..<taps {
                                let base = rowAxis.index[rIdx + i] * cols
                                let wr = rowAxis.weight[rIdx + i]
                                for j in 0..<taps {
                                    // Same association as SciPy: (coeff * w_row) * w_col.
                                    t += (c[base + colAxis.index[cIdx + j]] * wr) * colAxis.weight[cIdx + j]
                                }
                            }
                        }
                        o[r * outCols + cc] = t
                    }
                }
            }
        }
        return (out, outRows, outCols)
    }

    /// Zooms a float image like `scipy.ndimage.zoom(float32_array, (zr, zc), order=order)`
    /// (computed in float64, rounded to float at the end).
    public static func zoom(_ image: Image2D, zoom factors: (rows: Double, cols: Double), order: Int = 3) throws -> Image2D {
        let z = try zoom(image.doubles, rows: image.rows, cols: image.cols, zoom: factors, order: order)
        return Image2D(rows: z.rows, cols: z.cols, doubles: z.pixels)
    }

    /// `scipy.ndimage.spline_filter(a, order, mode='constant' | 'mirror')` in place on a row-major
    /// float64 array: axis 0 (down the columns) first, then axis 1. Orders 2...5; other orders
    /// leave the data unchanged.
    public static func splineFilter(_ data: inout [Double], rows: Int, cols: Int, order: Int) {
        let poles = filterPoles(order)
        guard !poles.isEmpty, data.count == rows * cols else { return }
        if rows > 1 {
            var line = [Double](repeating: 0, count: rows)
            for c in 0..<cols {
                for r in 0..<rows { line[r] = data[r * cols + c] }
                applyFilter(&line, poles: poles)
                for r in 0..<rows { data[r * cols + c] = line[r] }
            }
        }
        if cols > 1 {
            var line = [Double](repeating: 0, count: cols)
            for r in 0..<rows {
                for c in 0..<cols { line[c] = data[r * cols + c] }
                applyFilter(&line, poles: poles)
                for c in 0..<cols { data[r * cols + c] = line[c] }
            }
        }
    }

    // MARK: - internals

    /// Per-axis precomputation (SciPy's `offsets`, `edge_offsets`, `splvals`, `zeros`).
    struct AxisPlan {
        var outside: [Bool]     // output index maps outside [0, n_in - 1]: write cval
        var index: [Int]        // (order + 1) input indices per output index, mirror-mapped
        var weight: [Double]    // (order + 1) spline weights per output index

        init(inLength n: Int, outLength m: Int, order: Int) {
            let taps = order + 1
            outside = [Bool](repeating: false, count: m)
            index = [Int](repeating: 0, count: m * taps)
            weight = [Double](repeating: 0, count: m * taps)
            // NumPy: zoom = (n_in - 1) / (n_out - 1), or 1 where the divisor is 0.
            let z: Double = (m - 1) != 0 ? Double(n - 1) / Double(m - 1) : 1.0
            var w = [Double](repeating: 0, count: taps)
            for k in 0..<m {
                var cc = Double(k)
                cc *= z
                // mode 'constant': out-of-range coordinates become -1 (-> cval).
                if cc < 0 || cc > Double(n - 1) { outside[k] = true; continue }
                let start: Int = (order & 1) != 0 ? Int(cc.rounded(.down)) - order / 2
                                                  : Int((cc + 0.5).rounded(.down)) - order / 2
                for h in 0..<taps {
                    index[k * taps + h] = SplineZoom.mirrorIndex(start + h, n)
                }
                if order > 0 {
                    SplineZoom.interpolationWeights(cc, order: order, into: &w)
                    for h in 0..<taps { weight[k * taps + h] = w[h] }
                }
            }
        }
    }

    /// SciPy `map_coordinate(idx, len, NI_EXTEND_MIRROR)` for an integer index.
    static func mirrorIndex(_ idx: Int, _ len: Int) -> Int {
        if idx >= 0 && idx < len { return idx }
        if len <= 1 { return 0 }
        var x = Double(idx)
        let sz2 = Double(2 * len - 2)
        if x < 0 {
            x = sz2 * Double(Int(-x / sz2)) + x
            x = x <= Double(1 - len) ? x + sz2 : -x
        } else {
            x -= sz2 * Double(Int(x / sz2))
            if x >= Double(len) { x = sz2 - x }
        }
        return Int(x)
    }

    /// SciPy `get_spline_interpolation_weights`.
    static func interpolationWeights(_ xIn: Double, order: Int, into weights: inout [Double]) {
        var x = xIn
        x -= ((order & 1) != 0 ? x : x + 0.5).rounded(.down)
        var y = x
        var z = 1.0 - x
        switch order {
        case 1:
            weights[0] = 1.0 - x
        case 2:
            weights[1] = 0.75 - x * x
            y = 0.5 - x
            weights[0] = 0.5 * y * y
        case 3:
            weights[1] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0
            weights[2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0
            weights[0] = z * z * z / 6.0
        case 4:
            var t = x * x
            weights[2] = t * (t * 0.25 - 0.625) + 115.0 / 192.0
            y = 1.0 + x
            weights[1] = y * (y * (y * (5.0 - y) / 6.0 - 1.25) + 5.0 / 24.0) + 55.0 / 96.0
            weights[3] = z * (z * (z * (5.0 - z) / 6.0 - 1.25) + 5.0 / 24.0) + 55.0 / 96.0
            y = 0.5 - x
            t = y * y
            weights[0] = t * t / 24.0
        case 5:
            var t = y * y
            weights[2] = t * (t * (0.25 - y / 12.0) - 0.5) + 0.55
            t = z * z
            weights[3] = t * (t * (0.25 - z / 12.0) - 0.5) + 0.55
            y += 1.0
            weights[1] = y * (y * (y * (y * (y / 24.0 - 0.375) + 1.25) - 1.75) + 0.625) + 0.425
            z += 1.0
            weights[4] = z * (z * (z * (z * (z / 24.0 - 0.375) + 1.25) - 1.75) + 0.625) + 0.425
            y = 1.0 - x
            t = y * y
            weights[0] = y * t * t / 120.0
        default:
            return
        }
        // The weights add to 1; SciPy derives the last one from the others.
        var last = 1.0
        for i in 0..<order { last -= weights[i] }
        weights[order] = last
    }

    /// SciPy `get_filter_poles`.
    static func filterPoles(_ order: Int) -> [Double] {
        switch order {
        case 2: return [-0.171572875253809902396622551580603843]
        case 3: return [-0.267949192431122706472553658494127633]
        case 4: return [-0.361341225900220177092212841325675255, -0.013725429297339121360331226939128204]
        case 5: return [-0.430575347099973791851434783493520110, -0.043096288203264653822712376822550182]
        default: return []
        }
    }

    /// SciPy `apply_filter` with the mirror initialisation (used for modes constant, mirror, nearest).
    static func applyFilter(_ c: inout [Double], poles: [Double]) {
        let n = c.count
        guard n > 1 else { return }
        var gain = 1.0
        for z in poles { gain *= (1.0 - z) * (1.0 - 1.0 / z) }
        for i in 0..<n { c[i] *= gain }
        c.withUnsafeMutableBufferPointer { c in
            for z in poles {
                // causal init (mirror)
                var zi = z
                let zn1 = pow(z, Double(n - 1))
                var c0 = c[0] + zn1 * c[n - 1]
                if n > 2 {
                    for i in 1..<(n - 1) {
                        c0 += zi * (c[i] + zn1 * c[n - 1 - i])
                        zi *= z
                    }
                }
                c0 /= 1 - zn1 * zn1
                c[0] = c0
                for i in 1..<n { c[i] += z * c[i - 1] }
                // anticausal init (mirror)
                c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1)
                var i = n - 2
                while i >= 0 {
                    c[i] = z * (c[i + 1] - c[i])
                    i -= 1
                }
            }
        }
    }
}
