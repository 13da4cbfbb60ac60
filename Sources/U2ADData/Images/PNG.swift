import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Minimal PNG encoder: 8-bit grayscale (colour type 0) and 8-bit RGB (colour type 2),
/// no interlace, filter type 0 on every row, one IDAT chunk compressed with zlib `compress2`.
public enum PNG {

    /// The 8-byte PNG signature.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Encodes `width * height` grayscale bytes (row-major).
    public static func encodeGray(width: Int, height: Int, pixels: [UInt8], level: Int32 = 6) throws -> Data {
        guard pixels.count == width * height else {
            throw ImageError.shapeMismatch("PNG gray: \(pixels.count) bytes for \(width)x\(height)")
        }
        return try encode(width: width, height: height, channels: 1, pixels: pixels, level: level)
    }

    /// Encodes `width * height * 3` interleaved RGB bytes (row-major).
    public static func encodeRGB(width: Int, height: Int, pixels: [UInt8], level: Int32 = 6) throws -> Data {
        guard pixels.count == 3 * width * height else {
            throw ImageError.shapeMismatch("PNG RGB: \(pixels.count) bytes for \(width)x\(height)x3")
        }
        return try encode(width: width, height: height, channels: 3, pixels: pixels, level: level)
    }

    /// Encodes an RGB image.
    public static func encode(_ image: RGBImage) throws -> Data {
        try encodeRGB(width: image.cols, height: image.rows, pixels: image.pixels)
    }

    /// Encodes a float image as 8-bit grayscale: `range` (default [0, 1]) maps linearly to
    /// 0...255, values outside are clamped, NaN becomes 0.
    public static func encodeGray(_ image: Image2D, range: ClosedRange<Float> = 0...1) throws -> Data {
        try encodeGray(width: image.cols, height: image.rows, pixels: grayBytes(image, range: range))
    }

    /// Float pixels to bytes: `round(255 * clamp((x - lo) / (hi - lo), 0, 1))`.
    public static func grayBytes(_ image: Image2D, range: ClosedRange<Float> = 0...1) -> [UInt8] {
        let lo = range.lowerBound
        let span = range.upperBound - range.lowerBound
        return image.pixels.map { v in
            guard !v.isNaN else { return 0 }
            let t = span > 0 ? (v - lo) / span : (v > lo ? 1 : 0)
            return UInt8((Swift.min(Swift.max(t, 0), 1) * 255).rounded())
        }
    }

    /// Writes `data` atomically: a temporary file in the same folder, then `rename(2)`.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try data.write(to: tmp)
        } catch {
            throw ImageError.io("cannot write \(url.path): \(fileErrorReason(error, path: tmp.path))")
        }
        if rename(tmp.path, url.path) != 0 {
            let err = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw ImageError.io("cannot rename to \(url.path): \(err)")
        }
    }

    /// Encodes and writes an RGB image.
    public static func write(_ image: RGBImage, to url: URL) throws {
        try writeAtomically(try encode(image), to: url)
    }

    /// Encodes and writes a float image as 8-bit grayscale (see `encodeGray(_:range:)`).
    public static func writeGray(_ image: Image2D, to url: URL, range: ClosedRange<Float> = 0...1) throws {
        try writeAtomically(try encodeGray(image, range: range), to: url)
    }

    /// zlib CRC-32 of `bytes` (as PNG chunks use it).
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { b in
            UInt32(truncatingIfNeeded: CZlib.crc32(0, b.baseAddress, uInt(b.count)))
        }
    }

    // MARK: - internals

    static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8], level: Int32) throws -> Data {
        guard width > 0, height > 0, width <= 0x7FFF_FFFF, height <= 0x7FFF_FFFF else {
            throw ImageError.invalidArgument("PNG size \(width)x\(height)")
        }
        // Raw scanlines, each prefixed by filter type 0 (None).
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        pixels.withUnsafeBufferPointer { src in
            raw.withUnsafeMutableBufferPointer { dst in
                for r in 0..<height {
                    let d = r * (stride + 1) + 1
                    for i in 0..<stride { dst[d + i] = src[r * stride + i] }
                }
            }
        }
        let compressed = try deflate(raw, level: level)

        var out = signature
        var ihdr: [UInt8] = []
        appendBE(&ihdr, UInt32(width))
        appendBE(&ihdr, UInt32(height))
        ihdr += [8, channels == 1 ? 0 : 2, 0, 0, 0]   // bit depth, colour type, compression, filter, interlace
        appendChunk(&out, "IHDR", ihdr)
        appendChunk(&out, "IDAT", compressed)
        appendChunk(&out, "IEND", [])
        return Data(out)
    }

    static func deflate(_ input: [UInt8], level: Int32) throws -> [UInt8] {
        var destLen = compressBound(uLong(input.count))
        var dest = [UInt8](repeating: 0, count: Int(destLen))
        let rc = input.withUnsafeBufferPointer { src in
            dest.withUnsafeMutableBufferPointer { dst in
                compress2(dst.baseAddress, &destLen, src.baseAddress, uLong(src.count), level)
            }
        }
        guard rc == Z_OK else { throw ImageError.zlib("compress2 returned \(rc)") }
        return Array(dest[0..<Int(destLen)])
    }

    static func appendBE(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func appendChunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        appendBE(&out, UInt32(data.count))
        let typed = Array(type.utf8) + data
        out += typed
        appendBE(&out, crc32(typed))
    }
}
