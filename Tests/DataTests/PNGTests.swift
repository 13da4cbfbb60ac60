import CZlib
import Foundation
import XCTest
@testable import U2ADData

final class PNGTests: XCTestCase {

    struct Decoded {
        var width: Int, height: Int, colorType: UInt8, bitDepth: UInt8
        var pixels: [UInt8]
        var chunkTypes: [String]
    }

    private func be32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
    }

    /// Parses our own PNGs (filter type 0 rows), checking every chunk CRC.
    private func decode(_ data: Data) throws -> Decoded {
        let b = [UInt8](data)
        XCTAssertEqual(Array(b[0..<8]), PNG.signature)
        var o = 8
        var types: [String] = []
        var idat: [UInt8] = []
        var w = 0, h = 0, ct: UInt8 = 255, bd: UInt8 = 0
        while o < b.count {
            let len = Int(be32(b, o))
            let type = String(decoding: b[(o + 4)..<(o + 8)], as: UTF8.self)
            let body = Array(b[(o + 8)..<(o + 8 + len)])
            let crc = be32(b, o + 8 + len)
            XCTAssertEqual(crc, PNG.crc32(Array(b[(o + 4)..<(o + 8 + len)])), "CRC of \(type)")
            types.append(type)
            if type == "IHDR" {
                w = Int(be32(body, 0)); h = Int(be32(body, 4)); bd = body[8]; ct = body[9]
                XCTAssertEqual(Array(body[10..<13]), [0, 0, 0])
            } else if type == "IDAT" {
                idat += body
            }
            o += 12 + len
        }
        let channels = ct == 0 ? 1 : 3
        let stride = w * channels
        var rawLen = uLong(h * (stride + 1))
        var raw = [UInt8](repeating: 0, count: Int(rawLen))
        let rc = idat.withUnsafeBufferPointer { src in
            raw.withUnsafeMutableBufferPointer { dst in
                uncompress(dst.baseAddress, &rawLen, src.baseAddress, uLong(src.count))
            }
        }
        XCTAssertEqual(rc, Z_OK)
        XCTAssertEqual(Int(rawLen), h * (stride + 1))
        var px: [UInt8] = []
        for r in 0..<h {
            XCTAssertEqual(raw[r * (stride + 1)], 0, "filter byte")
            px += raw[(r * (stride + 1) + 1)..<((r + 1) * (stride + 1))]
        }
        return Decoded(width: w, height: h, colorType: ct, bitDepth: bd, pixels: px, chunkTypes: types)
    }

    func testCRC32KnownValue() {
        XCTAssertEqual(PNG.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(PNG.crc32(Array("IEND".utf8)), 0xAE42_6082)
    }

    func testGrayRoundTrip() throws {
        let w = 37, h = 11
        let px = (0..<(w * h)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let d = try decode(try PNG.encodeGray(width: w, height: h, pixels: px))
        XCTAssertEqual(d.width, w); XCTAssertEqual(d.height, h)
        XCTAssertEqual(d.colorType, 0); XCTAssertEqual(d.bitDepth, 8)
        XCTAssertEqual(d.pixels, px)
        XCTAssertEqual(d.chunkTypes, ["IHDR", "IDAT", "IEND"])
    }

    func testRGBRoundTripAndAtomicWrite() throws {
        var img = RGBImage(rows: 5, cols: 4, color: RGB(1, 2, 3))
        img[2, 3] = RGB(250, 128, 7)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("png-test-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("x.png")
        try PNG.write(img, to: url)
        try PNG.write(img, to: url)   // replaces
        let d = try decode(try Data(contentsOf: url))
        XCTAssertEqual(d.colorType, 2)
        XCTAssertEqual(d.width, 4); XCTAssertEqual(d.height, 5)
        XCTAssertEqual(d.pixels, img.pixels)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["x.png"], "no temp files left")
        XCTAssertThrowsError(try PNG.write(img, to: dir.appendingPathComponent("missing/x.png")))
    }

    func testFloatGrayScaling() throws {
        let im = Image2D(rows: 1, cols: 6, pixels: [-1, 0, 0.5, 1, 2, .nan])
        XCTAssertEqual(PNG.grayBytes(im), [0, 0, 128, 255, 255, 0])
        XCTAssertEqual(PNG.grayBytes(im, range: -1...1), [0, 128, 191, 255, 255, 0])
        let d = try decode(try PNG.encodeGray(im))
        XCTAssertEqual(d.pixels, [0, 0, 128, 255, 255, 0])
        XCTAssertThrowsError(try PNG.encodeGray(width: 2, height: 2, pixels: [1, 2, 3]))
    }

    func testColormaps() throws {
        XCTAssertEqual(Colormap.gray.color(0), RGB(0, 0, 0))
        XCTAssertEqual(Colormap.gray.color(1), RGB(255, 255, 255))
        XCTAssertEqual(Colormap.jet.color(0), RGB(0, 0, 127))
        XCTAssertEqual(Colormap.jet.color(1), RGB(127, 0, 0))
        XCTAssertEqual(Colormap.jet.color(0.5).g, 255)
        XCTAssertEqual(Colormap.hot.color(0).r, 10)
        XCTAssertEqual(Colormap.hot.color(1), RGB(255, 255, 255))
        for map in Colormap.allCases { XCTAssertEqual(map.table.count, 256) }
        let im = Image2D(rows: 2, cols: 2, pixels: [0, 10, 5, .nan])
        let rgb = Colormap.hot.apply(im, range: 0...10)
        XCTAssertEqual(rgb[0, 1], RGB(255, 255, 255))
        XCTAssertEqual(rgb[1, 1], Colormap.hot.color(0))
    }

    func testBlendStackAndOverlay() throws {
        let a = RGBImage(rows: 2, cols: 2, color: RGB(0, 0, 0))
        let b = RGBImage(rows: 2, cols: 2, color: RGB(200, 100, 50))
        var mask = Image2D(rows: 2, cols: 2)
        mask[1, 0] = 1
        let m = try Colormap.blend(base: a, overlay: b, alpha: 0.5, mask: mask)
        XCTAssertEqual(m[0, 0], RGB(0, 0, 0))
        XCTAssertEqual(m[1, 0], RGB(100, 50, 25))
        XCTAssertThrowsError(try Colormap.blend(base: a, overlay: RGBImage(rows: 1, cols: 2), alpha: 0.5))
        let h = RGBImage.hstack([a, b, RGBImage(rows: 3, cols: 1, color: RGB(9, 9, 9))], gap: 1, background: RGB(255, 255, 255))
        XCTAssertEqual(h.rows, 3); XCTAssertEqual(h.cols, 7)
        XCTAssertEqual(h[0, 2], RGB(255, 255, 255))
        XCTAssertEqual(h[0, 3], RGB(200, 100, 50))
        XCTAssertEqual(h[2, 6], RGB(9, 9, 9))
        let v = RGBImage.vstack([a, b], gap: 2)
        XCTAssertEqual(v.rows, 6); XCTAssertEqual(v.cols, 2)
        XCTAssertEqual(v[4, 1], RGB(200, 100, 50))
        XCTAssertEqual(a.upscaled(by: 3).rows, 6)
        var labels = Image2D(rows: 2, cols: 2)
        labels[0, 1] = 6
        let o = try Colormap.labelOverlay(image: Image2D(rows: 2, cols: 2, repeating: 1), labels: labels, alpha: 1)
        XCTAssertEqual(o[0, 1], Colormap.labelColor(6))
        XCTAssertEqual(o[0, 0], RGB(255, 255, 255))
    }
}
