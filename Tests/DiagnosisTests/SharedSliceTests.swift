import XCTest
import U2ADPipeline
import U2ADTestSupport

/// The six real labelled slices of ../shared/data/u2ad-samples: the values documented in docs/diagnosis.md.
final class SharedSliceTests: XCTestCase {
    struct Expected {
        var cobb: Double?
        var mscc: (percent: Double, level: String)?
        var kLineNegative: Bool?
        var herniated: [String]?
        var t2: [String]?
        /// Start of the reason Cobb is not computable.
        var cobbReason: String?
    }

    static let expected: [String: Expected] = [
        "clinical/1": Expected(cobb: -8.7, mscc: (33.8, "C2-3"), kLineNegative: true, herniated: ["C2-3", "C3-4", "C4-5", "C5-6", "C6-7"], t2: []),
        "clinical/2": Expected(cobb: -5.2, mscc: (46.6, "C5-6"), kLineNegative: true, herniated: ["C3-4", "C5-6", "C6-7"], t2: ["C5-6"]),
        "clinical/3": Expected(cobb: 0.9, mscc: nil, kLineNegative: nil, herniated: ["C2-3", "C3-4", "C4-5", "C5-6", "C7-T1"], t2: []),
        "public/1": Expected(cobbReason: "C7 not found: 1 named vertebral body (C2); the body named C3 looks like several merged"),
        "public/2": Expected(cobbReason: "C2 cannot be named reliably: the body named C2 looks like several merged"),
        "public/3": Expected(cobbReason: "C7 not found: 5 vertebral bodies"),
    ]

    func testIndicatorsOnTheSharedSlices() throws {
        let input = DiagnosisInput()
        for (name, expected) in Self.expected.sorted(by: { $0.key < $1.key }) {
            let url = try sharedData("u2ad-samples/\(name).npy")
            let item = try XCTUnwrap(input.load(labels: url, images: nil).first)
            let report = Diagnosis.diagnose(item.map, patient: name, source: item.source)
            print("\(name): \(report.summary)")
            if let cobb = expected.cobb {
                XCTAssertEqual(try XCTUnwrap(report.cobbAngle.value, name).angleDegrees, cobb, accuracy: 0.05, name)
            }
            if let reason = expected.cobbReason {
                XCTAssertTrue(report.cobbAngle.reason?.hasPrefix(reason) ?? false, "\(name): \(report.cobbAngle.reason ?? "a value")")
                XCTAssertEqual(report.mscc.reason, "no cord (labels 3, 6) in the label map", name)
            }
            if let mscc = expected.mscc {
                let value = try XCTUnwrap(report.mscc.value, name)
                XCTAssertEqual(value.msccPercent, mscc.percent, accuracy: 0.05, name)
                XCTAssertEqual(value.level, mscc.level, name)
            } else if expected.cobb != nil {
                XCTAssertNotNil(report.mscc.reason, name)
            }
            if let negative = expected.kLineNegative {
                XCTAssertEqual(try XCTUnwrap(report.kLine.value, name).status == .negative, negative, name)
            } else if expected.cobb != nil {
                XCTAssertNotNil(report.kLine.reason, name)
            }
            if let herniated = expected.herniated { XCTAssertEqual(report.herniation.value?.herniatedLevels, herniated, name) }
            if let t2 = expected.t2 { XCTAssertEqual(report.t2Hyperintensity.value?.positiveLevels, t2, name) }
            let picture = try DiagnosisPicture.render(report: report, map: item.map, image: item.image)
            XCTAssertEqual(picture.cols, 2 * 512 + DetectionPanel.gap, name)
        }
    }
}
