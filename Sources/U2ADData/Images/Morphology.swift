import Foundation

/// Pixel neighbourhood for structuring elements and connected components.
public enum Connectivity: Sendable, Equatable {
    /// Edge neighbours only (a 3x3 cross; `scipy.ndimage.generate_binary_structure(2, 1)`).
    case four
    /// Edge and corner neighbours (a 3x3 square; `np.ones((3, 3))`).
    case eight

    /// Neighbour offsets `(dr, dc)` excluding the centre, in raster order.
    public var offsets: [(Int, Int)] {
        switch self {
        case .four: return [(-1, 0), (0, -1), (0, 1), (1, 0)]
        case .eight: return [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]
        }
    }
}

/// Connected components of a binary image, as `scipy.ndimage.label` numbers them:
/// 1...count in raster order of each component's first pixel, 0 for background.
public struct ComponentLabels: Equatable, Sendable {
    public var rows: Int
    public var cols: Int
    /// Label per pixel, row-major.
    public var labels: [Int32]
    /// Number of components.
    public var count: Int
    /// `sizes[k - 1]` is the pixel count of component `k`.
    public var sizes: [Int]

    /// The labels as a float image.
    public var image: Image2D { Image2D(rows: rows, cols: cols, pixels: labels.map { Float($0) }) }
}

/// Binary morphology and small 2-D filters, matching `scipy.ndimage` (binary images are
/// `Image2D`s where any non-zero pixel is foreground; results are 0/1 images).
public enum Morphology {

    /// `scipy.ndimage.binary_dilation(m, structure, iterations)` with `border_value=0`.
    /// `structure` `.eight` is the 3x3 square, `.four` the cross. `iterations < 1` repeats
    /// until nothing changes (SciPy's convention).
    public static func binaryDilation(_ m: Image2D, iterations: Int = 1,
                                      structure: Connectivity = .eight) -> Image2D {
        var cur = binarize(m)
        var it = 0
        while iterations < 1 || it < iterations {
            let next = dilateOnce(cur, structure: structure)
            it += 1
            if next == cur { break }
            cur = next
        }
        return cur
    }

    /// `scipy.ndimage.binary_erosion(m, structure, iterations, border_value=...)`: a pixel stays
    /// foreground when its whole neighbourhood is; outside the image counts as `borderValue`
    /// (SciPy's default `false`, so the image edge erodes). `iterations < 1` repeats until
    /// nothing changes.
    public static func binaryErosion(_ m: Image2D, iterations: Int = 1,
                                     structure: Connectivity = .eight,
                                     borderValue: Bool = false) -> Image2D {
        var cur = binarize(m)
        var it = 0
        while iterations < 1 || it < iterations {
            let next = erodeOnce(cur, structure: structure, borderValue: borderValue)
            it += 1
            if next == cur { break }
            cur = next
        }
        return cur
    }

    /// `scipy.ndimage.label(m, structure)` (`.four` is SciPy's default structure).
    public static func label(_ m: Image2D, connectivity: Connectivity = .four) -> ComponentLabels {
        let rows = m.rows, cols = m.cols
        var labels = [Int32](repeating: 0, count: rows * cols)
        var sizes: [Int] = []
        let offs = connectivity.offsets
        var stack: [Int] = []
        stack.reserveCapacity(256)
        for start in 0..<(rows * cols) where m.pixels[start] != 0 && labels[start] == 0 {
            let lab = Int32(sizes.count + 1)
            labels[start] = lab
            stack.append(start)
            var size = 0
            while let p = stack.popLast() {
                size += 1
                let r = p / cols, c = p % cols
                for (dr, dc) in offs {
                    let rr = r + dr, cc = c + dc
                    guard rr >= 0, rr < rows, cc >= 0, cc < cols else { continue }
                    let q = rr * cols + cc
                    if m.pixels[q] != 0 && labels[q] == 0 {
                        labels[q] = lab
                        stack.append(q)
                    }
                }
            }
            sizes.append(size)
        }
        return ComponentLabels(rows: rows, cols: cols, labels: labels, count: sizes.count, sizes: sizes)
    }

    /// Pixel counts of the components (`sizes[k - 1]` for label `k`).
    public static func componentSizes(_ m: Image2D, connectivity: Connectivity = .four) -> [Int] {
        label(m, connectivity: connectivity).sizes
    }

    /// Keeps the components with at least `minSize` pixels (like
    /// `skimage.morphology.remove_small_objects(m, min_size)`); returns a 0/1 image.
    public static func removeSmallComponents(_ m: Image2D, minSize: Int,
                                             connectivity: Connectivity = .four) -> Image2D {
        let cl = label(m, connectivity: connectivity)
        var out = Image2D(rows: m.rows, cols: m.cols)
        for i in 0..<cl.labels.count {
            let l = Int(cl.labels[i])
            if l > 0 && cl.sizes[l - 1] >= minSize { out.pixels[i] = 1 }
        }
        return out
    }

    /// Keeps only the largest component (the lowest label among equal sizes, like
    /// `np.argmax(sizes)`); an empty input gives an empty output. Returns a 0/1 image.
    public static func keepLargestComponent(_ m: Image2D, connectivity: Connectivity = .four) -> Image2D {
        let cl = label(m, connectivity: connectivity)
        var out = Image2D(rows: m.rows, cols: m.cols)
        guard cl.count > 0 else { return out }
        var best = 0
        for k in 1..<cl.count where cl.sizes[k] > cl.sizes[best] { best = k }
        let keep = Int32(best + 1)
        for i in 0..<cl.labels.count where cl.labels[i] == keep { out.pixels[i] = 1 }
        return out
    }

    /// 3x3 average pooling with zero padding of 1 and `count_include_pad=True`
    /// (`torch.nn.functional.avg_pool2d(x, 3, stride, padding=1)`): every window sum is
    /// divided by 9. Output size `(n - 1) / stride + 1` per axis.
    public static func averagePool3x3(_ x: Image2D, stride: Int = 1) -> Image2D {
        precondition(stride >= 1, "averagePool3x3: stride must be >= 1")
        let rows = x.rows, cols = x.cols
        guard rows > 0, cols > 0 else { return x }
        let orows = (rows - 1) / stride + 1, ocols = (cols - 1) / stride + 1
        var out = Image2D(rows: orows, cols: ocols)
        for orr in 0..<orows {
            let r = orr * stride
            for occ in 0..<ocols {
                let c = occ * stride
                var s = 0.0
                for dr in -1...1 {
                    let rr = r + dr
                    guard rr >= 0 && rr < rows else { continue }
                    for dc in -1...1 {
                        let cc = c + dc
                        if cc >= 0 && cc < cols { s += Double(x.pixels[rr * cols + cc]) }
                    }
                }
                out.pixels[orr * ocols + occ] = Float(s / 9.0)
            }
        }
        return out
    }

    // MARK: - internals

    static func binarize(_ m: Image2D) -> Image2D {
        m.map { $0 != 0 ? 1 : 0 }
    }

    static func dilateOnce(_ m: Image2D, structure: Connectivity) -> Image2D {
        let rows = m.rows, cols = m.cols
        var out = m
        let offs = structure.offsets
        for r in 0..<rows {
            for c in 0..<cols where m.pixels[r * cols + c] == 0 {
                for (dr, dc) in offs {
                    let rr = r + dr, cc = c + dc
                    if rr >= 0, rr < rows, cc >= 0, cc < cols, m.pixels[rr * cols + cc] != 0 {
                        out.pixels[r * cols + c] = 1
                        break
                    }
                }
            }
        }
        return out
    }

    static func erodeOnce(_ m: Image2D, structure: Connectivity, borderValue: Bool) -> Image2D {
        let rows = m.rows, cols = m.cols
        var out = m
        let offs = structure.offsets
        for r in 0..<rows {
            for c in 0..<cols where m.pixels[r * cols + c] != 0 {
                for (dr, dc) in offs {
                    let rr = r + dr, cc = c + dc
                    let inside = rr >= 0 && rr < rows && cc >= 0 && cc < cols
                    let v = inside ? m.pixels[rr * cols + cc] != 0 : borderValue
                    if !v {
                        out.pixels[r * cols + c] = 0
                        break
                    }
                }
            }
        }
        return out
    }
}
