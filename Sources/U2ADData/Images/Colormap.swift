import Foundation

/// Colour maps for figures: `gray`, and matplotlib-like `jet` and `hot` (same segment data,
/// 256-entry lookup table: `t` in [0, 1] picks entry `min(255, floor(256 t))`).
public enum Colormap: String, CaseIterable, Sendable {
    case gray
    case jet
    case hot

    /// Colour of `t` in [0, 1] (clamped; NaN maps to the colour of 0).
    public func color(_ t: Float) -> RGB {
        let tt: Float = t.isNaN ? 0 : Swift.min(Swift.max(t, 0), 1)
        let i = Swift.min(255, Int(tt * 256))
        return Colormap.tables[self]![i]
    }

    /// Maps an image through the colour map; `range` (default [0, 1]) is stretched to [0, 1].
    public func apply(_ image: Image2D, range: ClosedRange<Float> = 0...1) -> RGBImage {
        let lo = range.lowerBound
        let span = range.upperBound - range.lowerBound
        var px = [UInt8](repeating: 0, count: 3 * image.count)
        let table = Colormap.tables[self]!
        for (k, v) in image.pixels.enumerated() {
            var t: Float = span > 0 ? (v - lo) / span : (v > lo ? 1 : 0)
            if t.isNaN { t = 0 }
            t = Swift.min(Swift.max(t, 0), 1)
            let c = table[Swift.min(255, Int(t * 256))]
            px[3 * k] = c.r; px[3 * k + 1] = c.g; px[3 * k + 2] = c.b
        }
        return RGBImage(rows: image.rows, cols: image.cols, pixels: px)
    }

    /// The 256-entry lookup table.
    public var table: [RGB] { Colormap.tables[self]! }

    // Segment data (x, value) per channel, as in matplotlib's _cm.py.
    private typealias Segments = [(Float, Float)]
    private static let jetData: (Segments, Segments, Segments) = (
        [(0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)],
        [(0, 0), (0.125, 0), (0.375, 1), (0.64, 1), (0.91, 0), (1, 0)],
        [(0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)])
    private static let hotData: (Segments, Segments, Segments) = (
        [(0, 0.0416), (0.365079, 1), (1, 1)],
        [(0, 0), (0.365079, 0), (0.746032, 1), (1, 1)],
        [(0, 0), (0.746032, 0), (1, 1)])

    private static func interp(_ s: Segments, _ x: Float) -> Float {
        for k in 1..<s.count where x <= s[k].0 {
            let (x0, y0) = s[k - 1], (x1, y1) = s[k]
            return x1 > x0 ? y0 + (y1 - y0) * (x - x0) / (x1 - x0) : y1
        }
        return s[s.count - 1].1
    }

    private static func byte(_ v: Float) -> UInt8 {
        UInt8(Swift.min(Swift.max(v, 0), 1) * 255)   // truncation, as matplotlib's bytes=True
    }

    private static let tables: [Colormap: [RGB]] = {
        var t: [Colormap: [RGB]] = [:]
        t[.gray] = (0..<256).map { RGB(UInt8($0), UInt8($0), UInt8($0)) }
        for (map, data) in [(Colormap.jet, jetData), (Colormap.hot, hotData)] {
            t[map] = (0..<256).map { i in
                let x = Float(i) / 255
                return RGB(byte(interp(data.0, x)), byte(interp(data.1, x)), byte(interp(data.2, x)))
            }
        }
        return t
    }()

    // MARK: - label colours and composition

    /// Colour of a label in the reference legend: 1 disc, 2 vertebral body, 3 cord, 4 CSF,
    /// 5 disc protrusion, 6 T2 hyperintensity, 7 other compressive lesion; others grey.
    public static func labelColor(_ label: Int) -> RGB {
        switch label {
        case 0: return RGB(0, 0, 0)
        case 1: return RGB(255, 200, 0)      // disc: amber
        case 2: return RGB(60, 110, 255)     // vertebral body: blue
        case 3: return RGB(40, 200, 60)      // cord: green
        case 4: return RGB(0, 220, 230)      // CSF: cyan
        case 5: return RGB(255, 120, 0)      // protrusion: orange
        case 6: return RGB(255, 0, 0)        // T2 hyperintensity: red
        case 7: return RGB(220, 0, 220)      // other lesion: magenta
        default: return RGB(160, 160, 160)
        }
    }

    /// Alpha blend: `(1 - alpha) * base + alpha * overlay`, only where `mask` is non-zero
    /// (everywhere when `mask` is nil).
    public static func blend(base: RGBImage, overlay: RGBImage, alpha: Float, mask: Image2D? = nil) throws -> RGBImage {
        guard base.rows == overlay.rows, base.cols == overlay.cols else {
            throw ImageError.shapeMismatch("blend \(base.rows)x\(base.cols) vs \(overlay.rows)x\(overlay.cols)")
        }
        if let m = mask, m.rows != base.rows || m.cols != base.cols {
            throw ImageError.shapeMismatch("blend mask \(m.rows)x\(m.cols) vs \(base.rows)x\(base.cols)")
        }
        let a = Swift.min(Swift.max(alpha, 0), 1)
        var out = base
        for k in 0..<(base.rows * base.cols) {
            if let m = mask, m.pixels[k] == 0 { continue }
            for ch in 0..<3 {
                let v = (1 - a) * Float(base.pixels[3 * k + ch]) + a * Float(overlay.pixels[3 * k + ch])
                out.pixels[3 * k + ch] = UInt8(Swift.min(Swift.max(v.rounded(), 0), 255))
            }
        }
        return out
    }

    /// A grey image (`range` stretched) with the non-zero labels blended on top in their legend
    /// colours.
    public static func labelOverlay(image: Image2D, labels: Image2D, alpha: Float = 0.45,
                                    range: ClosedRange<Float> = 0...1) throws -> RGBImage {
        let base = Colormap.gray.apply(image, range: range)
        var over = RGBImage(rows: labels.rows, cols: labels.cols)
        for k in 0..<labels.count {
            let c = labelColor(LabelRule.value(labels.pixels[k]) ?? 0)
            over.pixels[3 * k] = c.r; over.pixels[3 * k + 1] = c.g; over.pixels[3 * k + 2] = c.b
        }
        return try blend(base: base, overlay: over, alpha: alpha, mask: labels)
    }
}

extension RGBImage {
    /// Side by side, top-aligned, separated by `gap` columns of `background`.
    public static func hstack(_ images: [RGBImage], gap: Int = 0, background: RGB = RGB(0, 0, 0)) -> RGBImage {
        guard !images.isEmpty else { return RGBImage(rows: 0, cols: 0, pixels: []) }
        let rows = images.map(\.rows).max()!
        let cols = images.map(\.cols).reduce(0, +) + gap * (images.count - 1)
        var out = RGBImage(rows: rows, cols: cols, color: background)
        var c0 = 0
        for im in images {
            out.paste(im, row: 0, col: c0)
            c0 += im.cols + gap
        }
        return out
    }

    /// Stacked top to bottom, left-aligned, separated by `gap` rows of `background`.
    public static func vstack(_ images: [RGBImage], gap: Int = 0, background: RGB = RGB(0, 0, 0)) -> RGBImage {
        guard !images.isEmpty else { return RGBImage(rows: 0, cols: 0, pixels: []) }
        let cols = images.map(\.cols).max()!
        let rows = images.map(\.rows).reduce(0, +) + gap * (images.count - 1)
        var out = RGBImage(rows: rows, cols: cols, color: background)
        var r0 = 0
        for im in images {
            out.paste(im, row: r0, col: 0)
            r0 += im.rows + gap
        }
        return out
    }

    /// Copies `image` with its top-left corner at `(row, col)` (clipped to this image).
    public mutating func paste(_ image: RGBImage, row: Int, col: Int) {
        for r in 0..<image.rows {
            let rr = row + r
            guard rr >= 0 && rr < rows else { continue }
            for c in 0..<image.cols {
                let cc = col + c
                guard cc >= 0 && cc < cols else { continue }
                let s = 3 * (r * image.cols + c), d = 3 * (rr * cols + cc)
                pixels[d] = image.pixels[s]; pixels[d + 1] = image.pixels[s + 1]; pixels[d + 2] = image.pixels[s + 2]
            }
        }
    }

    /// A grey RGB image of a float image (`range` stretched to 0...255).
    public init(gray image: Image2D, range: ClosedRange<Float> = 0...1) {
        self = Colormap.gray.apply(image, range: range)
    }

    /// Nearest-neighbour enlargement by an integer factor (for small figures).
    public func upscaled(by factor: Int) -> RGBImage {
        precondition(factor >= 1, "upscaled: factor must be >= 1")
        var out = RGBImage(rows: rows * factor, cols: cols * factor)
        for r in 0..<out.rows {
            for c in 0..<out.cols {
                let s = 3 * ((r / factor) * cols + c / factor), d = 3 * (r * out.cols + c)
                out.pixels[d] = pixels[s]; out.pixels[d + 1] = pixels[s + 1]; out.pixels[d + 2] = pixels[s + 2]
            }
        }
        return out
    }
}
