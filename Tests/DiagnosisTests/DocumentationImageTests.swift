import XCTest
import U2ADData
import U2ADPipeline
import U2ADRandom
import U2ADTestSupport

/// Regenerates docs/images/diagnosis.png, the figure of docs/diagnosis.md.
final class DocumentationImageTests: XCTestCase {
    func testDiagnosisFigure() throws {
        guard ProcessInfo.processInfo.environment["U2AD_WRITE_DOC_IMAGES"] == "1" else {
            throw XCTSkip("set U2AD_WRITE_DOC_IMAGES=1 to regenerate docs/images/diagnosis.png")
        }
        var options = PhantomOptions()
        // The indicators are checked against the geometry the phantom built, so its labels must be exact: the default
        // confounders put segmentation-like errors into the labels (docs/phantom.md).
        options.confounders = .none
        options.spondylosis = PhantomSpondylosis(cobbAngle: -25, tilt: 4, cordDiameter: 9, masses: [
            PhantomMass(level: 2, size: .cordDiameter(4)), PhantomMass(level: 3, kind: .ossification, size: .kLineClearance(-1.5)),
        ])
        options.lesions = [CordLesion(area: 30, contrast: 1.7, position: 0.42, offset: 0)]
        let sample = Phantom.generate(key: RandomKey(seed: 12), options: options)
        let map = LabelMap(rows: 256, columns: 256, values: sample.slice.labels.pixels, rowSpacing: 200 / 256, columnSpacing: 200 / 256)
        let report = Diagnosis.diagnose(map, patient: "phantom 12", source: "Phantom.generate")
        let picture = try DiagnosisPicture.render(report: report, map: map, image: sample.slice.image.pixels)
        try AtomicFile.write(try PNG.encode(picture), to: repositoryRoot.appendingPathComponent("docs/images/diagnosis.png"))
        print(report.summary)
    }
}
