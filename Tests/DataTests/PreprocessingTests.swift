import Foundation
import XCTest
@testable import U2ADData

/// Little-endian float32 file -> [Float].
func prepReadF32(_ url: URL) throws -> [Float] {
    let data = try Data(contentsOf: url)
    guard data.count % 4 == 0 else { throw ImageError.io("\(url.lastPathComponent): size not a multiple of 4") }
    return data.withUnsafeBytes { raw in
        (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
    }
}

/// uint8 file -> [Float].
func prepReadU8(_ url: URL) throws -> [Float] {
    try Data(contentsOf: url).map { Float($0) }
}

final class PreprocessingTests: XCTestCase {

    private func runCase(_ name: String) throws {
        let meta = try prepLoadJSON("\(name).json")
        let shape = prepInts(meta["input_shape"])
        let spacing = prepDoubles(meta["spacing"])
        let input = Image2D(rows: shape[0], cols: shape[1], pixels: try prepReadF32(prepFixtureURL("\(name)_input.f32")))
        let labels = Image2D(rows: shape[0], cols: shape[1], pixels: try prepReadU8(prepFixtureURL("\(name)_input_labels.u8")))
        let expImage = try prepReadF32(prepFixtureURL("\(name)_image.f32"))
        let expROI = try prepReadU8(prepFixtureURL("\(name)_roi.u8"))
        let expLabels = try prepReadU8(prepFixtureURL("\(name)_labels.u8"))

        let out = try Preprocessing.preprocess(image: input, labels: labels, spacing: (spacing[0], spacing[1]))
        XCTAssertEqual(out.rows, 256)
        XCTAssertEqual(out.cols, 256)
        var worst: Float = 0
        for i in 0..<expImage.count { worst = max(worst, abs(out.image.pixels[i] - expImage[i])) }
        XCTAssertLessThan(worst, 1e-4, "\(name): image max abs error \(worst)")
        XCTAssertEqual(out.labels.pixels, expLabels, "\(name): labels differ")
        let roiDiff = zip(out.roi.pixels, expROI).filter { $0 != $1 }.count
        XCTAssertEqual(roiDiff, 0, "\(name): ROI differs in \(roiDiff) pixels")
        XCTAssertEqual(out.image.minValue, 0)
        XCTAssertEqual(out.image.maxValue, 1)
        XCTAssertEqual(out.channels.count, 3 * 256 * 256)
        XCTAssertEqual(try PreprocessedSlice(channels: out.channels, rows: 256, cols: 256), out)
    }

    func testT2SliceAtOneMillimetre() throws { try runCase("t2_slice26") }
    func testFakeLesionSliceResampled() throws { try runCase("fake_lesion_slice14") }
    func testFakeLesionSliceCropped() throws { try runCase("fake_lesion_slice14_aniso") }

    func testPercentileMatchesNumPyLinear() {
        // np.percentile([1, 2, 3, 4, 10], [0.2, 50, 99.8, 100]) = [1.008, 3., 9.952, 10.]
        let p = Preprocessing.percentiles([10, 1, 3, 2, 4], [0.2, 50, 99.8, 100, 0])!
        XCTAssertEqual(p[0], 1.008, accuracy: 1e-12)
        XCTAssertEqual(p[1], 3, accuracy: 1e-12)
        XCTAssertEqual(p[2], 9.952, accuracy: 1e-12)
        XCTAssertEqual(p[3], 10)
        XCTAssertEqual(p[4], 1)
        XCTAssertNil(Preprocessing.percentile([], 50))
        XCTAssertEqual(Preprocessing.percentile([7], 30), 7)
    }

    func testCenterCropOrPadSplitsOddDifferences() {
        // 3 -> 6: pad before (6 - 3) / 2 = 1, after 2.
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let p = Preprocessing.centerCropOrPad(x, rows: 3, cols: 3, size: 6)
        XCTAssertEqual(p[1 * 6 + 1], 1)
        XCTAssertEqual(p[3 * 6 + 3], 9)
        XCTAssertEqual(p.reduce(0, +), 45)
        // 5 -> 2: crop start (5 - 2) / 2 = 1.
        let y = (0..<25).map { Double($0) }
        XCTAssertEqual(Preprocessing.centerCropOrPad(y, rows: 5, cols: 5, size: 2), [6, 7, 11, 12])
    }

    func testROIMaskDropsSmallComponents() {
        var lab = Image2D(rows: 30, cols: 30)
        for r in 5..<20 { lab[r, 10] = 3; lab[r, 11] = 4 }   // 30 px -> kept
        lab[25, 25] = 3                                       // 1 px -> 9 after dilation -> dropped
        lab[2, 2] = 6                                         // not a ROI label
        let roi = Preprocessing.roiMask(labels: lab)
        XCTAssertEqual(roi.nonzeroCount, 17 * 4)
        XCTAssertEqual(roi[25, 25], 0)
        XCTAssertEqual(roi[2, 2], 0)
        XCTAssertEqual(roi[4, 9], 1)
    }

    func testConstantImageAndMissingLabels() throws {
        let img = Image2D(rows: 40, cols: 30, repeating: 5)
        let out = try Preprocessing.preprocess(image: img, labels: nil, spacing: (1.2, 0.9))
        XCTAssertEqual(out.rows, 256)
        XCTAssertEqual(out.labels.nonzeroCount, 0)
        XCTAssertEqual(out.roi.nonzeroCount, 0)
        XCTAssertTrue(out.image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertThrowsError(try Preprocessing.preprocess(image: img, labels: Image2D(rows: 3, cols: 3), spacing: (1, 1)))
        XCTAssertThrowsError(try Preprocessing.preprocess(image: img, labels: nil, spacing: (0, 1)))
    }
}

/// Minimal reader for the released sample slices (`<f8`, C order); the package's own NPY
/// reader lives elsewhere, this keeps the preprocessing tests self-contained.
func prepReadNPYFloat64(_ url: URL) throws -> (shape: [Int], values: [Double]) {
    let b = [UInt8](try Data(contentsOf: url))
    guard b.count > 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else {
        throw ImageError.io("\(url.lastPathComponent): not an NPY file")
    }
    let major = b[6]
    let headerLen = major == 1 ? Int(b[8]) | Int(b[9]) << 8
                               : Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
    let start = major == 1 ? 10 : 12
    let header = String(decoding: b[start..<(start + headerLen)], as: UTF8.self)
    guard header.contains("'descr': '<f8'"), header.contains("'fortran_order': False"),
          let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
        throw ImageError.io("\(url.lastPathComponent): unsupported NPY header \(header)")
    }
    let shape = header[open.upperBound..<close].split(separator: ",").compactMap {
        Int($0.trimmingCharacters(in: .whitespaces))
    }
    let n = shape.reduce(1, *)
    let off = start + headerLen
    guard b.count >= off + 8 * n else { throw ImageError.io("\(url.lastPathComponent): truncated") }
    let values = b.withUnsafeBytes { raw in
        (0..<n).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: off + 8 * $0, as: UInt64.self))) }
    }
    return (shape, values)
}

final class PreprocessingRealDataTests: XCTestCase {

    /// The ROI channel of the released U2AD samples is exactly labels {3, 4, 6} (no dilation,
    /// no component filter); the default options ({3, 4} dilated, >= 20 px) differ from it.
    func testReleasedSamplesROIChannel() throws {
        let dir = prepRepoRoot().deletingLastPathComponent().appendingPathComponent("shared/data/u2ad-samples")
        guard FileManager.default.fileExists(atPath: dir.path) else {
            throw XCTSkip("../shared/data/u2ad-samples not found (real-data test)")
        }
        var checked = 0
        for name in ["public/1", "public/2", "public/3", "clinical/1", "clinical/2", "clinical/3"] {
            let url = dir.appendingPathComponent("\(name).npy")
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let (shape, v) = try prepReadNPYFloat64(url)
            XCTAssertEqual(shape, [3, 256, 256])
            let n = 256 * 256
            let image = Image2D(rows: 256, cols: 256, doubles: Array(v[0..<n]))
            let roi = Image2D(rows: 256, cols: 256, doubles: Array(v[n..<(2 * n)]))
            let labels = Image2D(rows: 256, cols: 256, doubles: Array(v[(2 * n)..<(3 * n)]))
            XCTAssertGreaterThanOrEqual(image.minValue, 0)
            XCTAssertLessThanOrEqual(image.maxValue, 1)
            XCTAssertEqual(Preprocessing.roiMask(labels: labels, options: .releasedSampleROI), roi, name)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 0)
    }
}
