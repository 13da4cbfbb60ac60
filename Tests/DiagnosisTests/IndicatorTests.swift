import XCTest
import U2ADPipeline
import U2ADTestSupport

/// Each indicator on hand-built columns whose answers are known by construction, upright, turned, mirrored and with
/// rectangular pixels.
final class IndicatorTests: XCTestCase {
    /// A kyphotic C2, a lordotic C7 and everything else straight; a protrusion compressing the cord at C4-5 and an
    /// ossified mass crossing the K-line at C5-6; a lesion at C5-6.
    static var spine: SyntheticSpine {
        var spine = SyntheticSpine()
        spine.inclinations = [9, -4, 2, 0, 5, -7, 3]
        spine.masses = [SyntheticSpine.Mass(level: 2, depth: 6), SyntheticSpine.Mass(level: 3, label: 7, depth: 9)]
        spine.lesions = [(y: SyntheticSpine.discCenter(3) - 2, halfLength: 2)]
        return spine
    }

    /// Views of the same column: upright, turned both ways, mirrored, and with 0.5 x 0.8 mm pixels.
    static let views: [(name: String, map: LabelMap)] = [
        ("upright", spine.map()),
        ("turned 20°", spine.map(rotation: 20)),
        ("turned -12° and mirrored", spine.map(rotation: -12, mirrored: true)),
        ("0.5 x 0.8 mm pixels", spine.map(columns: 180, columnSpacing: 0.8)),
    ]

    /// Their reports, made once for all the tests.
    static let reports: [(name: String, report: DiagnosisReport)] = views.map { ($0.name, Diagnosis.diagnose($0.map, patient: "synthetic", source: "test")) }

    func report(_ map: LabelMap) -> DiagnosisReport { Diagnosis.diagnose(map, patient: "synthetic", source: "test") }

    /// An endplate 22 pixels long that runs nearly along the pixel grid pins its direction down only to about
    /// atan(1 / 22) / 2 = 1.3 degrees; steeper ones to a fraction of that.
    func testCobbAngleIsTheAngleBetweenC2AndC7InferiorEndplates() throws {
        var errors: [Double] = []
        for (name, report) in Self.reports {
            let cobb = try XCTUnwrap(report.cobbAngle.value, name)
            XCTAssertEqual(cobb.angleDegrees, Self.spine.cobbAngle, accuracy: 1.5, name)
            errors.append(abs(cobb.angleDegrees - Self.spine.cobbAngle))
            XCTAssertEqual(cobb.alignment, "lordosis", name)
            XCTAssertEqual(cobb.upperEndplate.vertebra, "C2")
            XCTAssertEqual(cobb.lowerEndplate.vertebra, "C7")
        }
        XCTAssertLessThan(errors.reduce(0, +) / Double(errors.count), 0.8)
        var kyphotic = SyntheticSpine()
        kyphotic.inclinations = [-6, 0, 0, 0, 0, 5, 0]
        let cobb = try XCTUnwrap(report(kyphotic.map(rotation: 7)).cobbAngle.value)
        XCTAssertEqual(cobb.angleDegrees, -11, accuracy: 1.5)
        XCTAssertEqual(cobb.alignment, "kyphosis")
    }

    func testMSCCComparesTheNarrowestDiscDiameterWithTheBodiesAboveAndBelow() throws {
        // The C5-6 mass leaves 19.5 - 17 = 2.5 mm of the 8 mm cord, the C4-5 one 19.5 - 14 = 5.5 mm.
        for (name, report) in Self.reports {
            let mscc = try XCTUnwrap(report.mscc.value, name)
            XCTAssertEqual(mscc.level, "C5-6", name)
            XCTAssertEqual(mscc.msccPercent, (1 - 2.5 / 8) * 100, accuracy: 1.5, name)
            let c45 = try XCTUnwrap(mscc.levels.first { $0.level == "C4-5" }, name)
            XCTAssertEqual(try XCTUnwrap(c45.msccPercent), (1 - 5.5 / 8) * 100, accuracy: 1.5, name)
            XCTAssertEqual(try XCTUnwrap(c45.diameterAboveMM), 8, accuracy: 0.15, name)
            XCTAssertEqual(try XCTUnwrap(c45.diameterBelowMM), 8, accuracy: 0.15, name)
            let c23 = try XCTUnwrap(mscc.levels.first { $0.level == "C2-3" }, name)
            XCTAssertEqual(try XCTUnwrap(c23.msccPercent), 0, accuracy: 1.5, name)
        }
    }

    func testKLineIsNegativeOnlyWhenAMassReachesIt() throws {
        // The K-line runs down the canal's middle, 15.5 mm behind the bodies' centre line; the ossified mass reaches 17 mm.
        for (name, report) in Self.reports {
            let line = try XCTUnwrap(report.kLine.value, name)
            XCTAssertEqual(line.status, .negative, name)
            XCTAssertEqual(try XCTUnwrap(line.clearanceMM), SyntheticSpine.kLineX - 17, accuracy: 0.6, name)
            XCTAssertEqual(line.closestMassLevel, "C5-6", name)
        }
        var clear = Self.spine
        clear.masses.removeLast()
        let line = try XCTUnwrap(report(clear.map(rotation: 15)).kLine.value)
        XCTAssertEqual(line.status, .positive)
        XCTAssertEqual(try XCTUnwrap(line.clearanceMM), SyntheticSpine.kLineX - 14, accuracy: 0.6)
        clear.masses = []
        let empty = try XCTUnwrap(report(clear.map()).kLine.value)
        XCTAssertEqual(empty.status, .positive)
        XCTAssertNil(empty.clearanceMM)
    }

    func testHerniationFindsTheProtrusionLevelWithItsAreaAndDepth() throws {
        for (name, report) in Self.reports {
            let herniation = try XCTUnwrap(report.herniation.value, name)
            XCTAssertEqual(herniation.herniatedLevels, ["C4-5"], name)
            XCTAssertEqual(herniation.levels.map(\.level), ["C2-3", "C3-4", "C4-5", "C5-6", "C6-7", "C7-T1"], name)
            let level = try XCTUnwrap(herniation.levels.first { $0.level == "C4-5" })
            // 6 mm deep and 6 mm long, less the thin strip the cord keeps at its front edge.
            XCTAssertEqual(try XCTUnwrap(level.areaMM2), 36, accuracy: 4, name)
            XCTAssertEqual(try XCTUnwrap(level.depthMM), 6, accuracy: 0.6, name)
            XCTAssertEqual(level.discPixelsBeyondLine, 0, name)
        }
    }

    func testBulgingDiscTissueCountsAsProtrusion() throws {
        var spine = SyntheticSpine()
        spine.masses = [SyntheticSpine.Mass(level: 4, label: 1, depth: 3)]
        let herniation = try XCTUnwrap(report(spine.map()).herniation.value)
        XCTAssertEqual(herniation.herniatedLevels, ["C6-7"])
        let level = try XCTUnwrap(herniation.levels.first { $0.level == "C6-7" })
        XCTAssertEqual(level.protrusionPixels, 0)
        XCTAssertGreaterThan(try XCTUnwrap(level.discPixelsBeyondLine), 0)
        XCTAssertEqual(try XCTUnwrap(level.depthMM), 3, accuracy: 0.6)
    }

    func testT2HyperintensityFromLabelsOrFromADetectionReport() throws {
        for (name, report) in Self.reports {
            let t2 = try XCTUnwrap(report.t2Hyperintensity.value, name)
            XCTAssertEqual(t2.source, "labels")
            XCTAssertEqual(t2.positiveLevels, ["C5-6"], name)
        }
        let detection = DetectionFindings.Patient(name: "synthetic", segments: [
            DetectionFindings.Segment(name: "C3-4", score: 0.9, isPositive: true),
            DetectionFindings.Segment(name: "C5-6", score: 0.1, isPositive: false),
        ])
        let report = Diagnosis.diagnose(Self.views[0].map, patient: "synthetic", source: "test", detection: detection)
        let t2 = try XCTUnwrap(report.t2Hyperintensity.value)
        XCTAssertEqual(t2.source, "detection")
        XCTAssertEqual(t2.positiveLevels, ["C3-4"])
        let c56 = try XCTUnwrap(t2.levels.first { $0.level == "C5-6" })
        XCTAssertGreaterThan(c56.labelPixels, 0)
        XCTAssertEqual(c56.detected, false)
        XCTAssertNil(t2.levels.first { $0.level == "C2-3" }?.present, "a segment the report did not score is undecided")
    }

    func testReportRoundTripsThroughJSONAndDrawsAPicture() throws {
        let map = Self.views[1].map
        let original = Self.reports[1].report
        let folder = try temporaryFolder(self, "diagnosis")
        let url = folder.appendingPathComponent("diagnosis.json")
        try original.write(to: url)
        let decoded = try JSONDecoder().decode(DiagnosisReport.self, from: Data(contentsOf: url))
        XCTAssertEqual(decoded, original)
        let json = try loadJSON(url)
        XCTAssertNotNil((json["cobbAngle"] as? [String: Any])?["angleDegrees"])
        let picture = try DiagnosisPicture.render(report: original, map: map, image: nil)
        XCTAssertGreaterThan(picture.cols, 2 * map.columns)
        XCTAssertGreaterThan(picture.rows, map.rows)
        // The K-line is drawn in its colour on the annotated tile.
        XCTAssertTrue(stride(from: 0, to: picture.pixels.count, by: 3).contains {
            picture.pixels[$0] == 255 && picture.pixels[$0 + 1] == 225 && picture.pixels[$0 + 2] == 0
        })
    }
}
