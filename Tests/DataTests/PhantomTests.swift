import Foundation
import XCTest
import U2ADRandom
@testable import U2ADData

final class PhantomTests: XCTestCase {

    private func count(_ img: Image2D, _ label: Float) -> Int {
        img.pixels.reduce(0) { $0 + ($1 == label ? 1 : 0) }
    }

    private var clean: PhantomOptions {
        var opt = PhantomOptions()
        opt.confounders = .none
        return opt
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
        XCTAssertNotEqual(a.confounders, c.confounders)
    }

    /// The default (confounded) phantom keeps its anatomy: true labels as before, and a cord label that is wrong by
    /// at most one pixel across, only in the drawn stretches.
    func testStructuralInvariantsWithDefaultConfounders() {
        let s = Phantom.generate(key: RandomKey(seed: 7))
        XCTAssertEqual(s.slice.rows, 256)
        XCTAssertEqual(s.slice.cols, 256)
        XCTAssertEqual(s.slice.image.minValue, 0)
        XCTAssertEqual(s.slice.image.maxValue, 1)
        XCTAssertTrue(s.slice.image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertTrue(Set(s.trueLabels.pixels).isSubset(of: [0, 1, 2, 3, 4]))
        XCTAssertFalse(s.isLesioned)
        let L = s.trueLabels
        let cord = count(L, 3), csf = count(L, 4), disc = count(L, 1), body = count(L, 2)
        // Cord ~ 8 px wide over 256 rows; the canal a few px wider on each side.
        XCTAssertTrue((1500...4500).contains(cord), "cord \(cord)")
        XCTAssertTrue((1000...5000).contains(csf), "csf \(csf)")
        XCTAssertTrue((2500...7000).contains(body), "bodies \(body)")
        XCTAssertTrue((300...2500).contains(disc), "discs \(disc)")
        XCTAssertEqual(s.slice.roi, Preprocessing.roiMask(labels: s.slice.labels))
        // Cord inside CSF: in every row the cord run is bordered by CSF on both sides.
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

        // Label errors: cord <-> CSF only, next to the true cord border, inside the drawn stretches.
        XCTAssertFalse(s.confounders.maskErrors.isEmpty, "seed 7 should draw some label error")
        let wrongRows = Set(s.confounders.maskErrors.flatMap { Array($0.rows) })
        var changed = 0
        for r in 0..<256 { for c in 1..<255 where s.slice.labels[r, c] != L[r, c] {
            changed += 1
            XCTAssertTrue(wrongRows.contains(r), "row \(r) changed outside a drawn stretch")
            XCTAssertEqual(Set([s.slice.labels[r, c], L[r, c]]), [3, 4], "(\(r), \(c)) changed other labels")
            XCTAssertTrue([L[r, c - 1], L[r, c], L[r, c + 1]].contains(3) && [L[r, c - 1], L[r, c], L[r, c + 1]].contains(4),
                          "(\(r), \(c)) is not at the cord border")
        } }
        XCTAssertGreaterThan(changed, 0)
    }

    /// The lesion model in the noise-free signal of a clean phantom: label 6 exactly where the weight is >= 0.5, the
    /// signal raised by weight * (contrast - 1) * cord signal and nowhere else, areas as asked, border lesions cut.
    func testGradedLesionsAreExactInTheCleanSignal() {
        let healthy = Phantom.generate(key: RandomKey(seed: 11), options: clean)
        var opt = clean
        opt.lesions = [CordLesion(area: 10, aspect: 2, contrast: 1.1, position: 0.15, offset: 0),
                       CordLesion(area: 200, aspect: 2.5, contrast: 1.8, position: 0.5),
                       CordLesion(area: 40, aspect: 2, contrast: 1.3, position: 0.85, atCordBorder: true)]
        let sick = Phantom.generate(key: RandomKey(seed: 11), options: opt)
        XCTAssertEqual(sick.anatomy, healthy.anatomy)
        XCTAssertEqual(sick.confounders, healthy.confounders)
        XCTAssertEqual(sick.lesions.count, 3)
        let H = healthy.trueLabels, L = sick.slice.labels
        var weight = [Double](repeating: 0, count: L.count), contrast = [Double](repeating: 1, count: L.count)
        for lesion in sick.lesions {
            for p in lesion.pixels {
                XCTAssertEqual(weight[p.row * 256 + p.col], 0, "lesions overlap at (\(p.row), \(p.col))")
                weight[p.row * 256 + p.col] = p.weight
                contrast[p.row * 256 + p.col] = lesion.contrast
            }
        }
        var interiorChecked = 0
        for r in 1..<255 { for c in 1..<255 {
            let i = r * 256 + c
            XCTAssertEqual(L[r, c] == 6, weight[i] >= 0.5, "label 6 and weight disagree at (\(r), \(c))")
            if L[r, c] == 6 { XCTAssertEqual(H[r, c], 3, "lesion pixel (\(r), \(c)) outside the cord") }
            else { XCTAssertEqual(L[r, c], H[r, c], "label changed outside the lesions at (\(r), \(c))") }
            let before = Double(healthy.cleanSignal[r, c]), after = Double(sick.cleanSignal[r, c])
            if weight[i] == 0 {
                XCTAssertEqual(after, before, accuracy: 1e-6, "signal changed outside the lesions at (\(r), \(c))")
            } else if H[r, c - 1] == 3 && H[r, c] == 3 && H[r, c + 1] == 3 {
                // Pixels wholly cord: the healthy signal is the cord signal itself.
                XCTAssertEqual(after / before - 1, weight[i] * (contrast[i] - 1), accuracy: 1e-5, "(\(r), \(c))")
                interiorChecked += 1
            }
        } }
        XCTAssertGreaterThan(interiorChecked, 150)
        XCTAssertEqual(sick.lesions.map(\.area).reduce(0, +), sick.lesionPixelCount)
        for lesion in sick.lesions[..<2] {
            let nominal = lesion.lesion.nominalArea
            XCTAssertEqual(nominal, lesion.requested.nominalArea, accuracy: 1e-9, "fitting keeps the area")
            XCTAssertEqual(Double(lesion.area), nominal, accuracy: 0.1 * nominal + 2, "area")
            XCTAssertEqual(lesion.pixels.map(\.weight).max(), 1, "the core reaches the full contrast")
            XCTAssertEqual(L[Int(lesion.centerRow.rounded()), Int(lesion.centerCol.rounded())], 6, "centre not labelled")
        }
        XCTAssertFalse(sick.lesions[0].touchesCordBorder)
        let border = sick.lesions[2]
        XCTAssertTrue(border.touchesCordBorder)
        XCTAssertLessThan(Double(border.area), border.lesion.nominalArea)
        XCTAssertGreaterThan(Double(border.area), 0.5 * border.lesion.nominalArea)
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

    func testCohortDrawsGradedLesionsFromTheSameDistribution() {
        let key = RandomKey(seed: 2024)
        let c = Phantom.cohort(healthy: 2, lesioned: 2, key: key)
        XCTAssertEqual(c.count, 4)
        XCTAssertEqual(c.map(\.isLesioned), [false, false, true, true])
        for s in c[..<2] { XCTAssertEqual(s.lesionPixelCount, 0) }
        let ranges = CordLesionRanges()
        for s in c[2...] {
            XCTAssertEqual(s.lesions.count, 1)
            let lesion = s.lesions[0]
            XCTAssertTrue(ranges.contrast.contains(lesion.contrast), "\(lesion.contrast)")
            XCTAssertTrue(ranges.area.contains(lesion.requested.nominalArea), "\(lesion.requested.nominalArea)")
            XCTAssertGreaterThan(lesion.area, 3)
        }
        XCTAssertEqual(c.map(\.key), (0..<4).map { Phantom.patientKey($0, in: key) })
        XCTAssertNotEqual(c[0].anatomy, c[1].anatomy)
        // A lesioned patient's healthy twin: the same patient and confounders, no lesion.
        let twin = Phantom.generate(key: c[3].key)
        XCTAssertEqual(twin.anatomy, c[3].anatomy)
        XCTAssertEqual(twin.confounders, c[3].confounders)
        XCTAssertEqual(twin.lesionPixelCount, 0)
    }

    /// What a plain threshold meets on the default phantom: in the labelled cord of healthy slices, pixels as bright
    /// as an obvious (1.8x) lesion's core, mostly CSF let in by partial volume and label errors, in a share of the
    /// cord like that of the shared clinical slices (4-13 %). The clean phantom (`.none`) has neither.
    func testDefaultConfoundersPutHealthyCordPixelsAboveAnObviousLesion() {
        func measure(_ options: PhantomOptions) -> (percentile: [Double], level13: [Double], level18: [Double], csfShare: [Double]) {
            var out: ([Double], [Double], [Double], [Double]) = ([], [], [], [])
            for i in 0..<10 {
                let s = Phantom.generate(key: RandomKey(seed: UInt64(300 + i)), options: options)
                let cord = (0..<s.slice.labels.count).filter { [3, 6].contains(s.slice.labels.pixels[$0]) }.map { Double(s.slice.image.pixels[$0]) }
                let csf = (0..<s.trueLabels.count).filter { s.trueLabels.pixels[$0] == 4 }.map { Double(s.slice.image.pixels[$0]) }
                let median = Preprocessing.percentile(cord, 50)!
                let mad = 1.4826 * Preprocessing.percentile(cord.map { abs($0 - median) }, 50)!
                out.0.append((Preprocessing.percentile(cord, 99.5)! - median) / mad)
                out.1.append(0.3 * median / mad)
                out.2.append(0.8 * median / mad)
                let midpoint = (median + Preprocessing.percentile(csf, 50)!) / 2
                out.3.append(Double(cord.filter { $0 > midpoint }.count) / Double(cord.count))
            }
            return out
        }
        func share(_ a: [Double], above b: [Double]) -> Double { Double(zip(a, b).filter { $0 > $1 }.count) / Double(a.count) }
        let confounded = measure(PhantomOptions())
        XCTAssertEqual(share(confounded.percentile, above: confounded.level13), 1, "99.5th percentile over a 1.3x core")
        XCTAssertGreaterThanOrEqual(share(confounded.percentile, above: confounded.level18), 0.5,
                                    "99.5th percentile over a 1.8x core: \(confounded.percentile) vs \(confounded.level18)")
        let meanShare = confounded.csfShare.reduce(0, +) / 10
        XCTAssertTrue((0.03...0.13).contains(meanShare), "CSF-bright share of the labelled cord \(meanShare)")
        let plain = measure(clean)
        XCTAssertLessThanOrEqual(share(plain.percentile, above: plain.level18), 0.2,
                                 "clean phantom: \(plain.percentile) vs \(plain.level18)")
        XCTAssertLessThan(plain.csfShare.reduce(0, +) / 10, meanShare)
    }

    func testCleanPhantomHasNoConfounders() {
        let s = Phantom.generate(key: RandomKey(seed: 3), options: clean)
        XCTAssertEqual(s.slice.labels, s.trueLabels)
        XCTAssertTrue(s.confounders.flowArtefacts.isEmpty)
        XCTAssertEqual(s.confounders.bandwidthAcross, 1)
        XCTAssertEqual(s.confounders.noiseFactor, 1)
    }

    /// Writes docs/images/phantom.png when U2AD_WRITE_DOC_IMAGES=1.
    func testDocPanel() throws {
        guard ProcessInfo.processInfo.environment["U2AD_WRITE_DOC_IMAGES"] == "1" else {
            throw XCTSkip("set U2AD_WRITE_DOC_IMAGES=1 to regenerate docs/images/phantom.png")
        }
        try writePhantomDocPanel(to: prepRepoRoot().appendingPathComponent("docs/images/phantom.png"))
    }
}

final class CordLesionTests: XCTestCase {
    func testWeightIsHalfOnTheOutlineAndFallsOverTheEdgeWidth() {
        let lesion = CordLesion(semiAxisAlong: 8, semiAxisAcross: 3, contrast: 1.5, edgeWidth: 2)
        XCTAssertEqual(lesion.weight(along: 0, across: 0), 1)
        XCTAssertEqual(lesion.weight(along: 0, across: 3), 0.5, accuracy: 1e-12)
        XCTAssertEqual(lesion.weight(along: 8, across: 0), 0.5, accuracy: 1e-12)
        XCTAssertEqual(lesion.weight(along: 0, across: 2), 1, accuracy: 1e-12)
        XCTAssertEqual(lesion.weight(along: 0, across: 3.5), 0.25, accuracy: 1e-12)
        XCTAssertEqual(lesion.weight(along: 0, across: 4), 0, accuracy: 1e-12)
        XCTAssertEqual(lesion.weight(along: 9, across: 0), 0, accuracy: 1e-12)
        // A lesion narrower than its edge: the edge shrinks to the diameter, the centre keeps the full contrast.
        let tiny = CordLesion(semiAxisAlong: 1.2, semiAxisAcross: 0.6, contrast: 1.2, edgeWidth: 2)
        XCTAssertEqual(tiny.weight(along: 0, across: 0), 1)
        XCTAssertEqual(tiny.weight(along: 0, across: 0.6), 0.5, accuracy: 1e-12)
        XCTAssertEqual(tiny.weight(along: 0, across: 1.2), 0, accuracy: 1e-12)
    }

    func testFittingKeepsTheAreaAndValidationNamesTheProblem() {
        let lesion = CordLesion(area: 100, aspect: 2, contrast: 1.4)
        XCTAssertEqual(lesion.nominalArea, 100, accuracy: 1e-9)
        let fitted = lesion.fitted(maxAcross: 2)
        XCTAssertEqual(fitted.semiAxisAcross, 2)
        XCTAssertEqual(fitted.nominalArea, 100, accuracy: 1e-9)
        XCTAssertEqual(lesion.fitted(maxAcross: 10), lesion)
        XCTAssertNil(lesion.invalidReason)
        XCTAssertTrue(CordLesion(area: 30, contrast: 0.6).invalidReason?.contains("ratio") ?? false)
        XCTAssertNotNil(CordLesion(semiAxisAlong: 0, semiAxisAcross: 1, contrast: 1.2).invalidReason)
    }

    func testRangesDrawDeterministicallyWithinBounds() {
        var ranges = CordLesionRanges()
        ranges.count = 1...3
        var a = RandomKey(seed: 1).stream(), b = RandomKey(seed: 1).stream()
        var all: [CordLesion] = []
        for _ in 0..<200 {
            let drawn = ranges.draw(&a)
            XCTAssertEqual(drawn, ranges.draw(&b))
            XCTAssertTrue(ranges.count.contains(drawn.count))
            all += drawn
        }
        for lesion in all {
            XCTAssertTrue(ranges.contrast.contains(lesion.contrast))
            XCTAssertEqual(lesion.nominalArea, min(max(lesion.nominalArea, 10), 200), accuracy: 1e-9)
            XCTAssertNil(lesion.position)
        }
        // Log-uniform: about as many lesions below the geometric mean of the range as above it.
        let below = all.filter { $0.nominalArea < (10.0 * 200).squareRoot() }.count
        XCTAssertEqual(Double(below) / Double(all.count), 0.5, accuracy: 0.08)
        let border = all.filter(\.atCordBorder).count
        XCTAssertEqual(Double(border) / Double(all.count), ranges.borderFraction, accuracy: 0.07)
    }
}

/// Panel for docs/phantom.md: a healthy default phantom with its labels, then the cord of two more healthy
/// patients and of one patient with the same lesion at contrasts 1.1, 1.3, 1.5 and 1.8 (labels of the last in red).
func writePhantomDocPanel(to url: URL) throws {
    let healthy = Phantom.generate(key: RandomKey(seed: 5))
    var tiles = [RGBImage(gray: healthy.slice.image),
                 try Colormap.labelOverlay(image: healthy.slice.image, labels: healthy.slice.labels, alpha: 0.5)]
    func cordStrip(_ s: PhantomSample, overlay: Bool = false) throws -> RGBImage {
        let cordCols = (0..<s.trueLabels.count).filter { s.trueLabels.pixels[$0] == 3 }.map { $0 % 256 }
        let center = cordCols.reduce(0, +) / cordCols.count
        let image = s.slice.image.crop(row: 0, col: center - 28, rows: 256, cols: 56)
        guard overlay else { return RGBImage(gray: image) }
        return try Colormap.labelOverlay(image: image, labels: s.slice.labels.crop(row: 0, col: center - 28, rows: 256, cols: 56), alpha: 0.5)
    }
    for seed in [6, 9] as [UInt64] { tiles.append(try cordStrip(Phantom.generate(key: RandomKey(seed: seed)))) }
    var lesioned: PhantomSample?
    for contrast in [1.1, 1.3, 1.5, 1.8] {
        var opt = PhantomOptions()
        opt.lesions = [CordLesion(area: 60, aspect: 2.5, contrast: contrast, position: 0.45, offset: 0.2)]
        let s = Phantom.generate(key: RandomKey(seed: 8), options: opt)
        tiles.append(try cordStrip(s))
        lesioned = s
    }
    tiles.append(try cordStrip(lesioned!, overlay: true))
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try PNG.write(RGBImage.hstack(tiles, gap: 3, background: RGB(255, 255, 255)).upscaled(by: 2), to: url)
}
