import XCTest
import U2ADData
import U2ADRandom

/// The phantom's spondylosis options build what their truth says.
final class PhantomSpondylosisTests: XCTestCase {
    func generate(_ spondylosis: PhantomSpondylosis?, seed: UInt64 = 21) -> PhantomSample {
        var options = PhantomOptions()
        // The indicators are checked against the geometry the phantom built, so its labels must be exact: the default
        // confounders put segmentation-like errors into the labels (docs/phantom.md).
        options.confounders = .none
        options.spondylosis = spondylosis
        return Phantom.generate(key: RandomKey(seed: seed), options: options)
    }

    func testWithoutSpondylosisThePhantomHasNoMassesOrTruth() {
        let sample = generate(nil)
        XCTAssertNil(sample.spondylosis)
        XCTAssertTrue(Set(sample.slice.labels.pixels).isSubset(of: [0, 1, 2, 3, 4]))
    }

    func testStraightColumnHasTheRequestedCordDiametersAndMasses() throws {
        let spec = PhantomSpondylosis(cobbAngle: 0, tilt: 0, cordDiameter: 9,
                                      masses: [PhantomMass(level: 2, size: .cordDiameter(4)), PhantomMass(level: 4, kind: .ossification, size: .depth(3))])
        let sample = generate(spec)
        let truth = try XCTUnwrap(sample.spondylosis)
        XCTAssertEqual(truth.cobbAngle, 0, accuracy: 1e-9)
        XCTAssertEqual(truth.cordDiameter, 9)
        XCTAssertEqual(truth.masses.map(\.levelName), ["C4-5", "C6-7"])
        XCTAssertEqual(truth.masses.map(\.label), [5, 7])
        let labels = sample.slice.labels
        for mass in truth.masses {
            XCTAssertEqual(labels.pixels.filter { Int($0) == mass.label }.count, mass.pixelCount)
            XCTAssertGreaterThan(mass.pixelCount, 10)
        }
        // The column runs straight down the image: a row's cord pixels are its diameter.
        func cordWidth(_ row: Int) -> Int { (0..<256).filter { labels[row, $0] == 3 }.count }
        let compressed = truth.masses[0]
        XCTAssertEqual(compressed.cordDiameter, 4, accuracy: 1e-9)
        XCTAssertEqual(compressed.compression, (1 - 4.0 / 9) * 100, accuracy: 1e-9)
        // The cord is labelled where at least half of a pixel is cord (docs/phantom.md), so a 4-pixel diameter off the
        // pixel grid labels 4 or 5 pixels.
        XCTAssertEqual(Double(cordWidth(Int(compressed.apex.row.rounded()))), 4, accuracy: 1)
        XCTAssertEqual(cordWidth(Int(compressed.apex.row.rounded()) - 15), 9, "a body's height away")
        // The 3-pixel ossification stays clear of the cord.
        XCTAssertEqual(truth.masses[1].cordDiameter, 9)
        XCTAssertEqual(truth.masses[1].depth, 3, accuracy: 1e-9)
        XCTAssertEqual(cordWidth(Int(truth.masses[1].apex.row.rounded())), 9)
    }

    func testMassesChangeOnlyTheCanal() {
        let plain = generate(PhantomSpondylosis(cobbAngle: 25))
        let massed = generate(PhantomSpondylosis(cobbAngle: 25, masses: [PhantomMass(level: 1, size: .depth(6)), PhantomMass(level: 3, size: .kLineClearance(2))]))
        for (a, b) in zip(plain.slice.labels.pixels, massed.slice.labels.pixels) where a == 1 || a == 2 || b == 1 || b == 2 {
            XCTAssertEqual(a, b, "bodies and discs stay where they are")
        }
        XCTAssertFalse(plain.slice.labels.pixels.contains(5))
    }

    func testKLineClearanceIsSetOrReportedAsPlaced() throws {
        let kyphotic = try XCTUnwrap(generate(PhantomSpondylosis(cobbAngle: -30, masses: [PhantomMass(level: 3, size: .kLineClearance(-2))])).spondylosis)
        XCTAssertEqual(kyphotic.masses[0].kLineClearance, -2, accuracy: 1e-6)
        XCTAssertTrue(kyphotic.kLineNegative)
        let cleared = try XCTUnwrap(generate(PhantomSpondylosis(cobbAngle: 0, masses: [PhantomMass(level: 3, size: .kLineClearance(3))])).spondylosis)
        XCTAssertEqual(cleared.masses[0].kLineClearance, 3, accuracy: 1e-6)
        XCTAssertFalse(cleared.kLineNegative)
        // In lordosis the K-line lies behind the cord: a mass cannot reach it and keeps 2 pixels of cord.
        let unreachable = try XCTUnwrap(generate(PhantomSpondylosis(cobbAngle: 45, masses: [PhantomMass(level: 2, size: .kLineClearance(-2))])).spondylosis)
        XCTAssertEqual(unreachable.masses[0].cordDiameter, 2, accuracy: 1e-6)
        XCTAssertGreaterThan(unreachable.masses[0].kLineClearance, 0)
        XCTAssertFalse(unreachable.kLineNegative)
    }
}
