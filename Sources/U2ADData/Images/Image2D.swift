import Foundation

/// Errors from the image, preprocessing, phantom and PNG code. Messages are one line.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    /// Two images (or an image and a buffer) do not have the shapes the operation needs.
    case shapeMismatch(String)
    /// A parameter is out of its allowed range.
    case invalidArgument(String)
    /// Reading or writing a file failed.
    case io(String)
    /// zlib reported an error.
    case zlib(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let m): return "shape mismatch: \(m)"
        case .invalidArgument(let m): return "invalid argument: \(m)"
        case .io(let m): return "I/O error: \(m)"
        case .zlib(let m): return "zlib error: \(m)"
        }
    }
}

/// A 2-D single-channel float image, row-major (`pixels[r * cols + c]`).
///
/// In the reference slice layout row 0 is superior (top) and column 0 is anterior (left).
public struct Image2D: Equatable, Sendable {
    public var rows: Int
    public var cols: Int
    public var pixels: [Float]

    /// Wraps `pixels` (row-major); `pixels.count` must be `rows * cols`.
    public init(rows: Int, cols: Int, pixels: [Float]) {
        precondition(rows >= 0 && cols >= 0, "Image2D: negative shape \(rows)x\(cols)")
        precondition(pixels.count == rows * cols,
                     "Image2D: \(pixels.count) pixels for shape \(rows)x\(cols)")
        self.rows = rows
        self.cols = cols
        self.pixels = pixels
    }

    /// An image filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        self.init(rows: rows, cols: cols, pixels: [Float](repeating: value, count: rows * cols))
    }

    /// Converts from double precision (rounding to nearest float).
    public init(rows: Int, cols: Int, doubles: [Double]) {
        self.init(rows: rows, cols: cols, pixels: doubles.map { Float($0) })
    }

    /// Number of pixels.
    public var count: Int { rows * cols }

    /// `(rows, cols)`.
    public var shape: (rows: Int, cols: Int) { (rows, cols) }

    public subscript(r: Int, c: Int) -> Float {
        get { pixels[r * cols + c] }
        set { pixels[r * cols + c] = newValue }
    }

    /// Whether `(r, c)` lies inside the image.
    @inlinable
    public func contains(_ r: Int, _ c: Int) -> Bool {
        r >= 0 && r < rows && c >= 0 && c < cols
    }

    /// Pixels as double precision.
    public var doubles: [Double] { pixels.map { Double($0) } }

    /// Smallest pixel (0 for an empty image).
    public var minValue: Float { pixels.min() ?? 0 }
    /// Largest pixel (0 for an empty image).
    public var maxValue: Float { pixels.max() ?? 0 }
    /// Sum of all pixels, accumulated in double precision.
    public var sum: Double { pixels.reduce(0.0) { $0 + Double($1) } }

    /// Applies `transform` to every pixel.
    public func map(_ transform: (Float) -> Float) -> Image2D {
        Image2D(rows: rows, cols: cols, pixels: pixels.map(transform))
    }

    /// Pixel-wise combination of two images of the same shape.
    public func zipWith(_ other: Image2D, _ combine: (Float, Float) -> Float) throws -> Image2D {
        guard rows == other.rows, cols == other.cols else {
            throw ImageError.shapeMismatch("\(rows)x\(cols) vs \(other.rows)x\(other.cols)")
        }
        var out = [Float](repeating: 0, count: count)
        for i in 0..<count { out[i] = combine(pixels[i], other.pixels[i]) }
        return Image2D(rows: rows, cols: cols, pixels: out)
    }

    /// A 0/1 image: 1 where `predicate` holds.
    public func mask(where predicate: (Float) -> Bool) -> Image2D {
        map { predicate($0) ? 1 : 0 }
    }

    /// A 0/1 image: 1 where the (rounded) pixel value is one of `labels`.
    public func mask(labels: Set<Int>) -> Image2D {
        map { LabelRule.value($0).map(labels.contains) ?? false ? 1 : 0 }
    }

    /// Number of pixels that are not zero.
    public var nonzeroCount: Int { pixels.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }

    /// The sub-image `rows r0..<r0+h`, `cols c0..<c0+w`; pixels outside the source are 0.
    public func crop(row r0: Int, col c0: Int, rows h: Int, cols w: Int) -> Image2D {
        var out = Image2D(rows: h, cols: w)
        for r in 0..<h {
            let sr = r0 + r
            guard sr >= 0 && sr < rows else { continue }
            for c in 0..<w {
                let sc = c0 + c
                if sc >= 0 && sc < cols { out.pixels[r * w + c] = pixels[sr * cols + sc] }
            }
        }
        return out
    }

    /// Mirror left-right (columns reversed).
    public func flippedHorizontally() -> Image2D {
        var out = self
        for r in 0..<rows { for c in 0..<cols { out.pixels[r * cols + c] = pixels[r * cols + cols - 1 - c] } }
        return out
    }

    /// Mirror top-bottom (rows reversed).
    public func flippedVertically() -> Image2D {
        var out = self
        for r in 0..<rows { for c in 0..<cols { out.pixels[r * cols + c] = pixels[(rows - 1 - r) * cols + c] } }
        return out
    }

    /// Transposed image (`out[c, r] = self[r, c]`).
    public func transposed() -> Image2D {
        var out = Image2D(rows: cols, cols: rows)
        for r in 0..<rows { for c in 0..<cols { out.pixels[c * rows + r] = pixels[r * cols + c] } }
        return out
    }
}

/// An 8-bit RGB image, row-major, interleaved (`pixels[3 * (r * cols + c) + channel]`).
public struct RGBImage: Equatable, Sendable {
    public var rows: Int
    public var cols: Int
    public var pixels: [UInt8]

    public init(rows: Int, cols: Int, pixels: [UInt8]) {
        precondition(rows >= 0 && cols >= 0, "RGBImage: negative shape \(rows)x\(cols)")
        precondition(pixels.count == 3 * rows * cols,
                     "RGBImage: \(pixels.count) bytes for shape \(rows)x\(cols)x3")
        self.rows = rows
        self.cols = cols
        self.pixels = pixels
    }

    /// An image filled with one colour.
    public init(rows: Int, cols: Int, color: RGB = RGB(0, 0, 0)) {
        var px = [UInt8](repeating: 0, count: 3 * rows * cols)
        for i in 0..<(rows * cols) {
            px[3 * i] = color.r; px[3 * i + 1] = color.g; px[3 * i + 2] = color.b
        }
        self.init(rows: rows, cols: cols, pixels: px)
    }

    public subscript(r: Int, c: Int) -> RGB {
        get {
            let i = 3 * (r * cols + c)
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = 3 * (r * cols + c)
            pixels[i] = newValue.r; pixels[i + 1] = newValue.g; pixels[i + 2] = newValue.b
        }
    }
}

/// One 8-bit RGB colour.
public struct RGB: Equatable, Hashable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
}
