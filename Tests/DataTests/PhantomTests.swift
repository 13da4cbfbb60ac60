import Foundation
import XCTest
import U2ADRandom
@testable import U2ADData

final class PhantomTests: XCTestCase {

    private func count(_ img: Image2D, _ label: Float) -> Int {
        img.pixels.reduce(0) { $0 + ($1 == label ? 1 : 0) }
    }

    func testDeterministicForSeed() {
        var opt = PhantomOptions()
        opt.lesions = [CordLesion(area: 30, contrast: 1.6)]
        let a = Phantom.generate(key: RandomKey(seed: 42), options: opt)
        let b = Phantom.generate(key: RandomKey(seed: 42), options: opt)
        XCTAssertEqual(a, b)
        let c = Phantom.generate(key: RandomKey(seed: 43), options: opt)
        XCTAssertNotEqual(a.slice.image, c.slice.image)
        XCTAssertNotEqual(a.anatomy, c.anatomy)
    }

    func testLayoutRangesAndLabelAreas() {
        let s = Phantom.generate(key: RandomKey(seed: 7))
        XCTAssertEqual(s.slice.rows, 256)
        XCTAssertEqual(s.slice.cols, 256)
        XCTAssertEqual(s.slice.image.minValue, 0)
        XCTAssertEqual(s.slice.image.maxValue, 1)
        XCTAssertTrue(s.slice.image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertTrue(Set(s.slice.labels.pixels).isSubset(of: [0, 1, 2, 3, 4]))
        XCTAssertFalse(s.isLesioned)
        let cord = count(s.slice.labels, 3), csf = count(s.slice.labels, 4)
        let disc = count(s.slice.labels, 1), body = count(s.slice.labels, 2)
        // Cord ~ 8-10 px wide over 256 rows; the canal a few px wider on each side.
        XCTAssertTrue((1500...4500).contains(cord), "cord \(cord)")
        XCTAssertTrue((1000...5000).contains(csf), "csf \(csf)")
        XCTAssertTrue((2500...7000).contains(body), "bodies \(body)")
        XCTAssertTrue((300...2500).contains(disc), "discs \(disc)")
        XCTAssertEqual(s.slice.roi, Preprocessing.roiMask(labels: s.slice.labels))
        // Cord inside CSF: in every row the cord run is bordered by CSF on both sides.
        let L = s.slice.labels
        for r in 0..<256 {
            let cols = (0..<256).filter { L[r, $0] == 3 }
            guard let lo = cols.first, let hi = cols.last else { XCTFail("row \(r) has no cord"); continue }
            XCTAssertEqual(hi - lo + 1, cols.count, "row \(r): cord not contiguous")
            XCTAssertEqual(L[r, lo - 1], 4, "row \(r): no CSF anterior to the cord")
            XCTAssertEqual(L[r, hi + 1], 4, "row \(r): no CSF posterior to the cord")
        }
        // Bodies anterior (left) of the cord.
        var bodyCols = 0.0, cordCols = 0.0, nb = 0.0, nc = 0.0
        for r in 0..<256 { for c in 0..<256 {
            if L[r, c] == 2 { bodyCols += Double(c); nb += 1 }
            if L[r, c] == 3 { cordCols += Double(c); nc += 1 }
        } }
        XCTAssertLessThan(bodyCols / nb, cordCols / nc - 10)
    }

    func testLesionsInsideCordAndBrighter() {
        var opt = PhantomOptions()
        opt.noiseSigma = 0
        opt.biasStrength = 0
        let healthy = Phantom.generate(key: RandomKey(seed: 11), options: opt)
        let contrast = 1.6
        opt.lesions = [CordLesion(semiAxisAlong: 6, semiAxisAcross: 2.5, contrast: contrast, position: 0.3, offset: 0),
                       CordLesion(area: 25, aspect: 2, contrast: contrast, position: 0.75)]
        let sick = Phantom.generate(key: RandomKey(seed: 11), options: opt)
        XCTAssertEqual(sick.anatomy, healthy.anatomy)
        XCTAssertEqual(sick.lesions.count, 2)
        let L = sick.slice.labels, H = healthy.slice.labels
        var lesionPixels: [Int] = []
        for i in 0..<L.count {
            if L.pixels[i] == 6 {
                lesionPixels.append(i)
                XCTAssertEqual(H.pixels[i], 3, "lesion pixel \(i) outside the cord")
            } else {
                XCTAssertEqual(L.pixels[i], H.pixels[i], "label changed outside the lesion at \(i)")
            }
        }
        XCTAssertEqual(lesionPixels.count, sick.lesionPixelCount)
        XCTAssertEqual(sick.lesions.map(\.area).reduce(0, +), lesionPixels.count)
        // ~ pi * 6 * 2.5 = 47 px and ~25 px
        XCTAssertTrue((30...65).contains(sick.lesions[0].area), "\(sick.lesions[0].area)")
        XCTAssertTrue((15...38).contains(sick.lesions[1].area), "\(sick.lesions[1].area)")
        for les in sick.lesions {
            let r = Int(les.centerRow.rounded()), c = Int(les.centerCol.rounded())
            XCTAssertEqual(L[r, c], 6, "lesion centre not labelled")
        }
        // Core brightness over the cord around it, noise- and bias-free signal: 1 + contrast.
        for les in sick.lesions {
            let r = Int(les.centerRow.rounded()), c = Int(les.centerCol.rounded())
            let core = sick.cleanSignal[r, c]
            var ring = 0.0, nring = 0.0
            for rr in (r - 14)...(r + 14) { for cc in (c - 6)...(c + 6) where L[rr, cc] == 3 {
                // interior cord pixels only (away from the partial-volume edge)
                if L[rr, cc - 1] == 3 && L[rr, cc + 1] == 3 { ring += Double(sick.cleanSignal[rr, cc]); nring += 1 }
            } }
            XCTAssertGreaterThan(nring, 10)
            XCTAssertEqual(Double(core) / (ring / nring), contrast, accuracy: 0.1)
        }
    }

    func testLesionVisibleWithNoise() {
        var opt = PhantomOptions()
        opt.lesions = [CordLesion(semiAxisAlong: 7, semiAxisAcross: 3, contrast: 1.7, position: 0.5, offset: 0)]
        let s = Phantom.generate(key: RandomKey(seed: 5), options: opt)
        let img = s.slice.image, L = s.slice.labels
        var les = 0.0, nl = 0.0, cord = 0.0, nc = 0.0
        for i in 0..<img.count {
            if L.pixels[i] == 6 { les += Double(img.pixels[i]); nl += 1 }
            if L.pixels[i] == 3 { cord += Double(img.pixels[i]); nc += 1 }
        }
        XCTAssertGreaterThan(nl, 20)
        XCTAssertGreaterThan((les / nl) / (cord / nc), 1.35)
    }

    func testCohort() {
        let c = Phantom.cohort(healthy: 2, lesioned: 2, key: RandomKey(seed: 2024))
        XCTAssertEqual(c.count, 4)
        XCTAssertEqual(c.filter(\.isLesioned).count, 2)
        XCTAssertFalse(c[0].isLesioned)
        XCTAssertFalse(c[1].isLesioned)
        for s in c[2...] { XCTAssertGreaterThan(s.lesionPixelCount, 5) }
        for s in c[..<2] { XCTAssertEqual(s.lesionPixelCount, 0) }
        XCTAssertEqual(Set(c.map(\.key)).count, 4)
        XCTAssertNotEqual(c[0].anatomy, c[1].anatomy)
    }

    /// Writes docs/images/phantom.png when U2AD_WRITE_DOC_IMAGES=1.
    func testDocPanel() throws {
        guard ProcessInfo.processInfo.environment["U2AD_WRITE_DOC_IMAGES"] == "1" else {
            throw XCTSkip("set U2AD_WRITE_DOC_IMAGES=1 to regenerate docs/images/phantom.png")
        }
        try writePhantomDocPanel(to: prepRepoRoot().appendingPathComponent("docs/images/phantom.png"))
    }
}

/// Panel for docs/phantom.md: one healthy and one lesioned phantom, image and label overlay.
func writePhantomDocPanel(to url: URL) throws {
    var tiles: [RGBImage] = []
    let healthy = Phantom.generate(key: RandomKey(seed: 5))
    var opt = PhantomOptions()
    opt.lesions = [CordLesion(semiAxisAlong: 7, semiAxisAcross: 2.8, contrast: 1.7, position: 0.45, offset: 0)]
    let sick = Phantom.generate(key: RandomKey(seed: 8), options: opt)
    for s in [healthy, sick] {
        tiles.append(RGBImage(gray: s.slice.image))
        tiles.append(try Colormap.labelOverlay(image: s.slice.image, labels: s.slice.labels, alpha: 0.5))
    }
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try PNG.write(RGBImage.hstack(tiles, gap: 3, background: RGB(255, 255, 255)), to: url)
}
