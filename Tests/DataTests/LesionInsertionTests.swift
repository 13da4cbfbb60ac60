import Foundation
import XCTest
import U2ADRandom
import U2ADTestSupport
@testable import U2ADData

final class LesionInsertionTests: XCTestCase {

    /// A slice with a cord (label 3) whose centre line is `col = 128 + tilt * (row - 128)` and which is `width` pixels
    /// wide along each row, rows 30..<226, with 3 pixels of CSF (label 4) on each side. The cord signal is 0.3 plus a
    /// texture of amplitude `texture`, the CSF 0.6, everything else 0.1.
    private func handMadeSlice(width: Int, tilt: Double = 0, texture: Float = 0.02) -> PreprocessedSlice {
        var image = Image2D(rows: 256, cols: 256, repeating: 0.1)
        var labels = Image2D(rows: 256, cols: 256)
        for r in 30..<226 {
            let first = Int((128 + tilt * Double(r - 128) - Double(width) / 2).rounded())
            for c in (first - 3)..<(first + width + 3) {
                let isCord = c >= first && c < first + width
                labels[r, c] = isCord ? 3 : 4
                image[r, c] = isCord ? 0.3 + texture * Float(sin(0.7 * Double(r)) * cos(1.3 * Double(c))) : 0.6
            }
        }
        return PreprocessedSlice(image: image, roi: Preprocessing.roiMask(labels: labels), labels: labels)
    }

    /// Checks the exact relation between a slice and its copy with lesions: every changed pixel is a former cord pixel
    /// raised by weight * (contrast - 1) * cord signal, labelled 6 exactly where the weight is >= 0.5; the ROI is kept.
    private func assertExact(_ out: InsertedLesions, from slice: PreprocessedSlice, file: StaticString = #filePath, line: UInt = #line) {
        var expected = slice.image.doubles
        var expectedLabels = slice.labels
        for lesion in out.lesions {
            for p in lesion.pixels {
                XCTAssertEqual(slice.labels[p.row, p.col], 3, "lesion pixel outside the cord", file: file, line: line)
                expected[p.row * slice.cols + p.col] += p.weight * (lesion.contrast - 1) * lesion.cordSignal
                if p.weight >= 0.5 { expectedLabels[p.row, p.col] = 6 }
            }
        }
        XCTAssertEqual(out.clampedPixels, 0, file: file, line: line)
        for i in 0..<expected.count {
            XCTAssertEqual(Double(out.slice.image.pixels[i]), expected[i], accuracy: 1e-6, "pixel \(i)", file: file, line: line)
        }
        XCTAssertEqual(out.slice.labels, expectedLabels, file: file, line: line)
        XCTAssertEqual(out.slice.roi, slice.roi, file: file, line: line)
    }

    func testInsertionIsExactOnAHandMadeSlice() throws {
        let slice = handMadeSlice(width: 12)
        let out = try LesionInsertion.insert([CordLesion(area: 60, aspect: 2, contrast: 1.5, position: 0.5, offset: 0)],
                                             into: slice, key: RandomKey(seed: 1))
        assertExact(out, from: slice)
        let lesion = out.lesions[0]
        XCTAssertEqual(lesion.centerRow, 128)          // the middle of rows 30...225
        XCTAssertEqual(lesion.centerCol, 127.5)
        XCTAssertEqual(Double(lesion.area), 60, accuracy: 6)
        XCTAssertEqual(lesion.area, out.slice.labels.pixels.filter { $0 == 6 }.count)
        XCTAssertEqual(lesion.mask(rows: 256, cols: 256), out.slice.labels.mask(labels: [6]))
        XCTAssertFalse(lesion.touchesCordBorder)
        // The local cord signal: the median of the cord pixels within 10 px of the centre.
        var nearby: [Double] = []
        for r in 0..<256 { for c in 0..<256 where slice.labels[r, c] == 3 {
            if pow(Double(r) - 128, 2) + pow(Double(c) - 127.5, 2) <= 100 { nearby.append(Double(slice.image[r, c])) }
        } }
        XCTAssertEqual(lesion.cordSignal, Preprocessing.percentile(nearby, 50)!, accuracy: 1e-12)

        // On a uniform cord the core is exactly contrast x cord.
        let uniform = handMadeSlice(width: 12, texture: 0)
        let plain = try LesionInsertion.insert([CordLesion(area: 60, contrast: 1.3, position: 0.5, offset: 0)], into: uniform, key: RandomKey(seed: 1))
        XCTAssertEqual(plain.slice.image[128, 127], 1.3 * 0.3, accuracy: 1e-6)
    }

    func testLesionFollowsATiltedCord() throws {
        let tilt = 0.35
        let slice = handMadeSlice(width: 12, tilt: tilt)
        let out = try LesionInsertion.insert([CordLesion(area: 80, aspect: 3, contrast: 1.4, position: 0.5, offset: 0)],
                                             into: slice, key: RandomKey(seed: 2))
        assertExact(out, from: slice)
        // Principal axis of the labelled pixels: tilted from vertical like the cord.
        let points = out.lesions[0].pixels.filter { $0.weight >= 0.5 }.map { (Double($0.row), Double($0.col)) }
        let mr = points.map(\.0).reduce(0, +) / Double(points.count), mc = points.map(\.1).reduce(0, +) / Double(points.count)
        var srr = 0.0, scc = 0.0, src = 0.0
        for (r, c) in points { srr += (r - mr) * (r - mr); scc += (c - mc) * (c - mc); src += (r - mr) * (c - mc) }
        let angle = 0.5 * atan2(2 * src, srr - scc)
        XCTAssertEqual(angle, atan(tilt), accuracy: 0.06)
        // The across axis was not narrowed: the cord is 12 * cos(tilt) px wide across its axis.
        XCTAssertEqual(out.lesions[0].lesion.semiAxisAcross, out.lesions[0].requested.semiAxisAcross, accuracy: 1e-12)
    }

    /// A cord 4 px wide: the lesion narrows to the cord (across semi-axis 1.5 px) and lengthens to keep its area.
    func testThinCordNarrowsAndLengthensTheLesion() throws {
        let slice = handMadeSlice(width: 4)
        let requested = CordLesion(area: 60, aspect: 1.5, contrast: 1.6, position: 0.5)
        let out = try LesionInsertion.insert([requested], into: slice, key: RandomKey(seed: 3))
        assertExact(out, from: slice)
        let placed = out.lesions[0]
        XCTAssertEqual(placed.lesion.semiAxisAcross, 1.5, accuracy: 1e-12)
        XCTAssertEqual(placed.lesion.nominalArea, 60, accuracy: 1e-9)
        XCTAssertGreaterThan(placed.lesion.semiAxisAlong, 12)
        XCTAssertEqual(Double(placed.area), 60, accuracy: 15)
        XCTAssertTrue(placed.touchesCordBorder)
    }

    func testTooLittleCordIsRefusedWithOneLine() {
        let thin = handMadeSlice(width: 2)
        XCTAssertThrowsError(try LesionInsertion.insert([CordLesion(area: 20, contrast: 1.5)], into: thin, key: RandomKey(seed: 4))) { error in
            guard case LesionInsertionError.tooLittleCord = error else { return XCTFail("\(error)") }
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"))
            XCTAssertTrue(text.contains("too little cord"), text)
        }
        var noCord = thin
        noCord.labels = thin.labels.map { $0 == 3 ? 4 : $0 }
        XCTAssertThrowsError(try LesionInsertion.insert([CordLesion(area: 20, contrast: 1.5)], into: noCord, key: RandomKey(seed: 4)))
        XCTAssertThrowsError(try LesionInsertion.insert([CordLesion(area: 20, contrast: 0.5)], into: handMadeSlice(width: 10), key: RandomKey(seed: 4))) { error in
            XCTAssertTrue("\(error)".contains("ratio"), "\(error)")
        }
    }

    func testSameKeySameLesionsAndSeveralDoNotOverlap() throws {
        let slice = handMadeSlice(width: 10)
        let ranges = CordLesionRanges()
        var random = RandomKey(seed: 5).stream()
        let lesions = ranges.draw(&random) + ranges.draw(&random)
        let a = try LesionInsertion.insert(lesions, into: slice, key: RandomKey(seed: 6))
        XCTAssertEqual(a, try LesionInsertion.insert(lesions, into: slice, key: RandomKey(seed: 6)))
        let b = try LesionInsertion.insert(lesions, into: slice, key: RandomKey(seed: 7))
        XCTAssertNotEqual(a.lesions.map(\.centerRow), b.lesions.map(\.centerRow))
        assertExact(a, from: slice)
        let first = Set(a.lesions[0].pixels.map { $0.row * 256 + $0.col })
        XCTAssertTrue(a.lesions[1].pixels.allSatisfy { !first.contains($0.row * 256 + $0.col) })
    }

    func testInsertionIntoAPhantomIsExact() throws {
        let healthy = Phantom.generate(key: RandomKey(seed: 21)).slice
        let out = try LesionInsertion.insert([CordLesion(area: 50, contrast: 1.4)], into: healthy, key: RandomKey(seed: 8))
        assertExact(out, from: healthy)
        XCTAssertEqual(Double(out.lesions[0].area), 50, accuracy: 8)
    }

    /// The shared clinical slice with the thinnest cord (u2ad-samples clinical/3: 171 cord pixels, 2-6 px wide).
    func testInsertionIntoAThinRealCord() throws {
        let (_, values) = try NPY.readFloats(try sharedData("u2ad-samples/clinical/3.npy"))
        let slice = try PreprocessedSlice(channels: values, rows: 256, cols: 256)
        let out = try LesionInsertion.insert([CordLesion(area: 40, contrast: 1.5)], into: slice, key: RandomKey(seed: 9))
        assertExact(out, from: slice)
        let placed = out.lesions[0]
        XCTAssertGreaterThanOrEqual(placed.area, LesionInsertion.Options().minimumArea)
        XCTAssertLessThan(placed.lesion.semiAxisAcross, placed.requested.semiAxisAcross)
    }
}
