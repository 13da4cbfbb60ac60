import XCTest
import U2ADPipeline
import U2ADTestSupport

/// Label maps that cannot support an indicator give "not computable" with the reason, never a value or a crash.
final class DegenerateMapTests: XCTestCase {
    func diagnose(_ map: LabelMap) -> DiagnosisReport { Diagnosis.diagnose(map, patient: "degenerate", source: "test") }

    func reasons(_ report: DiagnosisReport) -> [String?] {
        [report.cobbAngle.reason, report.mscc.reason, report.kLine.reason, report.herniation.reason, report.t2Hyperintensity.reason]
    }

    func testEmptyMap() {
        let report = diagnose(LabelMap(rows: 64, columns: 64, values: [Float](repeating: 0, count: 64 * 64), rowSpacing: 1, columnSpacing: 1))
        XCTAssertTrue(report.vertebrae.isEmpty)
        for reason in reasons(report) { XCTAssertNotNil(reason) }
        XCTAssertTrue(report.cobbAngle.reason!.contains("no vertebral bodies"), report.cobbAngle.reason!)
        XCTAssertEqual(report.orientation, "assumed: no cord or CSF labelled")
    }

    func testLabelsOutsideTheLegend() throws {
        for odd: Float in [99, .nan, 8.4, -1, .infinity] {
            var values = SyntheticSpine().map().labels.map(Float.init)
            for i in stride(from: 1000, to: 1200, by: 7) { values[i] = odd }
            let map = LabelMap(rows: 360, columns: 280, values: values, rowSpacing: 0.5, columnSpacing: 0.5)
            XCTAssertNotNil(map.legendProblem)
            let report = diagnose(map)
            for reason in reasons(report) {
                let reason = try XCTUnwrap(reason, "\(odd)")
                XCTAssertTrue(reason.contains("outside the legend"), reason)
            }
            XCTAssertTrue(report.cobbAngle.reason!.contains(odd.isNaN ? "nan" : String(format: "%g", odd)), report.cobbAngle.reason!)
        }
        // Fractional values follow the one label rule of every command (docs/limits.md): the nearest integer.
        XCTAssertEqual(LabelMap(rows: 1, columns: 2, values: [2.5, 0.4], rowSpacing: 1, columnSpacing: 1).labels, [3, 0])
    }

    func testFewerThanSixBodiesLeavesC7Out() {
        var spine = SyntheticSpine()
        spine.missing = [4, 5, 6]
        let report = diagnose(spine.map())
        XCTAssertEqual(report.vertebrae.map(\.name), ["C2", "C3", "C4", "C5"])
        XCTAssertEqual(report.cobbAngle.reason, "C7 not found: 4 vertebral bodies (C2-C5)")
        XCTAssertEqual(report.kLine.reason, "C7 not found: 4 vertebral bodies (C2-C5)")
        // The levels that do exist are still measured.
        XCTAssertEqual(report.mscc.value?.levels.map(\.level), ["C2-3", "C3-4", "C4-5"])
        XCTAssertEqual(report.herniation.value?.levels.first { $0.level == "C6-7" }?.notComputable, "C7 not found: 4 vertebral bodies (C2-C5)")
    }

    func testMissingVertebraStopsTheNames() {
        var spine = SyntheticSpine()
        spine.missing = [3]
        let report = diagnose(spine.map())
        XCTAssertEqual(report.vertebrae.filter(\.named).map(\.name), ["C2", "C3", "C4"])
        XCTAssertTrue(report.notes.first?.contains("missing below C4") ?? false, report.notes.description)
        XCTAssertTrue(report.cobbAngle.reason?.contains("cannot be named reliably") ?? false, report.cobbAngle.reason ?? "a value")
        XCTAssertNil(report.kLine.value)
    }

    func testMergedBodiesStopTheNames() {
        var spine = SyntheticSpine()
        spine.missing = []
        var values = spine.map().labels.map(Float.init)
        // Fill the C4-5 disc with bone: C4 and C5 become one body.
        for i in values.indices where values[i] == 1 {
            let row = Double(i / 280) * 0.5 + 0.291 * 0.5 - 90 + SyntheticSpine.bodyCenter(3)
            if abs(row - SyntheticSpine.discCenter(2)) < 6 { values[i] = 2 }
        }
        let report = diagnose(LabelMap(rows: 360, columns: 280, values: values, rowSpacing: 0.5, columnSpacing: 0.5))
        XCTAssertEqual(report.vertebrae.filter(\.named).map(\.name), ["C2", "C3"])
        XCTAssertTrue(report.notes.first?.contains("merged") ?? false, report.notes.description)
        XCTAssertNil(report.cobbAngle.value)
    }

    func testNoCordOrCanal() {
        var spine = SyntheticSpine()
        spine.hasCord = false
        spine.hasCSF = false
        let report = diagnose(spine.map())
        XCTAssertNotNil(report.cobbAngle.value, "bodies alone give the Cobb angle")
        XCTAssertEqual(report.mscc.reason, "no cord (labels 3, 6) in the label map")
        XCTAssertEqual(report.kLine.reason, "no canal (labels 3, 4, 6) in the label map")
        XCTAssertEqual(report.orientation, "assumed: no cord or CSF labelled")
        spine.hasCSF = true
        let csfOnly = diagnose(spine.map())
        XCTAssertNotNil(csfOnly.kLine.value, "the K-line needs the canal, not the cord")
        XCTAssertNotNil(csfOnly.mscc.reason)
    }

    func testC7CutByTheMapsEdgeHasNoInferiorEndplate() {
        // 260 rows of 0.5 mm end halfway down C7: its inferior endplate is the map's border, not bone.
        let full = SyntheticSpine().map(rows: 360)
        let cut = LabelMap(rows: 260, columns: 280, values: Array(full.labels.prefix(260 * 280)).map(Float.init), rowSpacing: 0.5, columnSpacing: 0.5)
        let report = diagnose(cut)
        XCTAssertEqual(report.vertebrae.last?.name, "C7")
        XCTAssertEqual(report.cobbAngle.reason, "fewer than two endplates: the C7 inferior endplate could not be fitted")
    }

    /// Random blobs of every label, at random sizes and pixel shapes: a value or a reason for every indicator, finite
    /// values, and a picture, never a crash.
    func testRandomMapsNeverCrash() throws {
        var random = TestRandom(15)
        for trial in 0..<15 {
            let rows = 8 + Int(random.uniform() * 120), columns = 8 + Int(random.uniform() * 120)
            var values = [Float](repeating: 0, count: rows * columns)
            for _ in 0..<Int(random.uniform() * 30) {
                let label = Float(Int(random.uniform() * 8))
                let r0 = Int(random.uniform() * Double(rows)), c0 = Int(random.uniform() * Double(columns))
                let h = 1 + Int(random.uniform() * 30), w = 1 + Int(random.uniform() * 30)
                for r in r0..<min(rows, r0 + h) { for c in c0..<min(columns, c0 + w) { values[r * columns + c] = label } }
            }
            let map = LabelMap(rows: rows, columns: columns, values: values,
                               rowSpacing: 0.3 + 2 * random.uniform(), columnSpacing: 0.3 + 2 * random.uniform())
            let report = diagnose(map)
            for reason in reasons(report) where reason != nil { XCTAssertFalse(reason!.isEmpty, "trial \(trial)") }
            if let cobb = report.cobbAngle.value { XCTAssertTrue(cobb.angleDegrees.isFinite, "trial \(trial)") }
            if let mscc = report.mscc.value { XCTAssertTrue(mscc.msccPercent.isFinite, "trial \(trial)") }
            if let line = report.kLine.value { XCTAssertTrue(line.clearanceMM?.isFinite ?? true, "trial \(trial)") }
            XCTAssertEqual(try JSONDecoder().decode(DiagnosisReport.self, from: JSONEncoder().encode(report)), report, "trial \(trial)")
            _ = try DiagnosisPicture.render(report: report, map: map, image: nil)
        }
    }
}
