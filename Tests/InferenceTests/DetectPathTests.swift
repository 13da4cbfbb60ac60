import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
import U2ADData
import U2ADModel
import U2ADRuntime
@testable import U2ADPipeline

final class DetectPathTests: XCTestCase {
    /// The full detect path on the shared clinical slice with a real lesion (label 6, 19 pixels, rows 168-174):
    /// weights with configuration metadata, MC inference, scoring, calibration, every output file.
    func testDetectPathOnTheClinicalLesionSlice() throws {
        let input = try sharedData("u2ad-samples/clinical/2.npy")
        let folder = try temporaryFolder(self, "detect")
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("model.safetensors")
        try randomModel(narrowConfiguration).save(to: weights)

        let model = try InferenceModel.load(weights: weights, backend: CPUBackend())
        XCTAssertEqual(model.configuration, narrowConfiguration)
        let patients = try PatientInput.load(input)
        XCTAssertEqual(patients.map(\.name), ["2"])
        var uncertainty = UncertaintyOptions.inference
        uncertainty.samplesPerPatch = 2
        let scoring = ScoringOptions()
        let analysis = try DetectionAnalysis.analyse(model: model, patients: patients, uncertainty: uncertainty, scoring: scoring)

        // 32 region patches, 24 hidden per pass: ceil(2 * 32 / 24) = 3 passes in one batch.
        let maps = analysis.maps[0][0]
        XCTAssertEqual(maps.roiPatches, 32)
        XCTAssertEqual(maps.hiddenPerPass, 24)
        XCTAssertEqual(analysis.passes, 3)
        XCTAssertEqual(analysis.batches, 1)

        let slice = patients[0].slices[0]
        let segments = analysis.results[0].slices[0].segments
        XCTAssertEqual(segments.map(\.name), ["C1-2", "C2-3", "C3-4", "C4-5", "C5-6", "C6-7", "C7-T1"])
        XCTAssertEqual(segments.map(\.lesionPixels), [0, 0, 0, 0, 19, 0, 0])
        XCTAssertNil(segments.last!.score, "the cord label ends above C7")
        XCTAssertEqual(analysis.results[0].lesionPixels, 19)
        let curve = analysis.curves[0][0]
        XCTAssertEqual(curve.rowCount, 256)
        XCTAssertEqual(curve.aleatoric.count, 256)
        let regionRows = (0..<256).filter { y in (0..<256).contains { maps.region[y * 256 + $0] != 0 } }
        XCTAssertEqual(curve.cordRows, regionRows.first!...regionRows.last!)
        for y in 0..<256 where !(curve.cordRows!.contains(y)) { XCTAssertEqual(curve.aleatoric[y], 0) }

        let thresholds = try XCTUnwrap(analysis.calibrate(falsePositiveRate: 0.05))
        let decided = analysis.results.map { $0.applying(threshold: thresholds.segment) }
        let written = try analysis.writeSliceOutputs(to: folder, decided: decided, threshold: thresholds.segment, pixelThreshold: thresholds.pixel)
        XCTAssertEqual(Set(written), ["2/2.reconstruction.npy", "2/2.epistemic.npy", "2/2.aleatoric.npy", "2/2.panel.png", "2/2.curve.svg"])
        let report = DetectionReport(weights: weights.path, backend: "cpu", device: model.backend.deviceName, analysis: analysis,
                                     threshold: thresholds.segment, thresholdSource: .calibrated, pixelThreshold: thresholds.pixel,
                                     seconds: 1, patients: decided)
        try report.write(to: folder.appendingPathComponent("report.json"))

        let region = MaskingRegion(labels: slice.labels, size: 256, patchSize: 8, roiLabels: [3, 6], erode: true).pixels
        for name in ["reconstruction", "epistemic", "aleatoric"] {
            let (shape, values) = try NPY.readFloats(folder.appendingPathComponent("2/2.\(name).npy"))
            XCTAssertEqual(shape, [256, 256])
            XCTAssertTrue(values.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }, name)
            if name != "reconstruction" {
                XCTAssertTrue(zip(values, region).allSatisfy { $1 != 0 || $0 == 0 }, "\(name) is non-zero outside the region")
                XCTAssertGreaterThan(values.max()!, 0, name)
            }
        }
        let png = try Data(contentsOf: folder.appendingPathComponent("2/2.panel.png"))
        XCTAssertEqual(Array(png.prefix(8)), PNG.signature)
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(width, 5 * 256 + 4 * DetectionPanel.gap)
        XCTAssertEqual(height, 256)
        let svg = try String(contentsOf: folder.appendingPathComponent("2/2.curve.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        XCTAssertTrue(svg.contains("C5-6") && svg.contains("threshold"))
        XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse(), "the SVG is well-formed XML")

        let decoded = try JSONDecoder().decode(DetectionReport.self, from: Data(contentsOf: folder.appendingPathComponent("report.json")))
        XCTAssertEqual(decoded.passes, 3)
        XCTAssertEqual(decoded.traffic.deviceToHostBytes, 3 * 4 * 256 * 256, "three maps of the one slice come back")
        XCTAssertGreaterThan(decoded.traffic.hostToDeviceBytes, 4 * 256 * 256)
        XCTAssertEqual(decoded.patients[0].slices[0].segments.count, 7)
        XCTAssertNotNil(decoded.patients[0].isPositive)
        XCTAssertEqual(decoded.thresholdSource, .calibrated)
    }

    func testPatientsAreSubfoldersOrLooseFiles() throws {
        let samples = try sharedData("u2ad-samples")
        let folder = try temporaryFolder(self, "patients")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("patientA"), withIntermediateDirectories: true)
        for name in ["1", "3"] {
            try FileManager.default.copyItem(at: samples.appendingPathComponent("clinical/\(name).npy"),
                                             to: folder.appendingPathComponent("patientA/\(name).npy"))
        }
        try FileManager.default.copyItem(at: samples.appendingPathComponent("clinical/2.npy"), to: folder.appendingPathComponent("2.npy"))
        let patients = try PatientInput.load(folder)
        XCTAssertEqual(patients.map(\.name), ["2", "patientA"])
        XCTAssertEqual(patients[1].slices.map(\.name), ["1", "3"])
        XCTAssertEqual(try PatientInput.load(folder, singlePatient: true).map(\.name), [folder.lastPathComponent, "patientA"])
        XCTAssertThrowsError(try PatientInput.load(folder.appendingPathComponent("none"))) { error in
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
    }
}
