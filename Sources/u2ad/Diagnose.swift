import ArgumentParser
import Foundation
import U2ADData
import U2ADPipeline

struct Diagnose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Expert indicators of cervical spondylosis from label maps: C2-C7 Cobb angle, MSCC, K-line, herniation and T2 hyperintensity per level.",
        discussion: """
        Writes <out>/<patient>/diagnosis.json and diagnosis.png for each patient's mid-sagittal label map (legend: 1 disc, \
        2 vertebral body, 3 cord, 4 CSF, 5 protrusion, 6 T2 hyperintensity, 7 other compressive lesion). An indicator the \
        map cannot support is reported as not computable, with the reason. See docs/diagnosis.md.
        """)

    @Option(help: "Label maps: a .npy slice (3, 256, 256) or a folder of them (subfolders are patients), or NIfTI label volumes (file or folder).")
    var labels: String
    @Option(help: "With NIfTI labels: image volumes (file or folder, paired by name) to draw the figures on.")
    var images: String?
    @Option(help: "A u2ad detect report.json: its segment decisions fill the T2 hyperintensity column instead of label 6.")
    var detection: String?
    @Option(help: "Sagittal slice: index along a volume's stored left-right axis, or position in a patient's folder of .npy slices (default: the middle one).")
    var slice: Int?
    @Option(name: .customLong("pixel-spacing"), help: "Pixel size of .npy slices in mm.")
    var pixelSpacing: Double = 200.0 / 256.0
    @Option(name: .customLong("first-vertebra"), help: "Level of the top-most labelled vertebral body.")
    var firstVertebra: String = "C2"
    @Option(name: .customLong("label-map"), help: "Remap label values first, e.g. 1=2,2=1.")
    var labelMap: String?
    @Option(name: .customLong("minimum-body-area"), help: "Vertebral-body components smaller than this are ignored, mm².")
    var minimumBodyArea: Double = DiagnosisOptions().minimumBodyArea
    @Option(name: .customLong("band-length"), help: "Length along the cord over which each cord diameter is averaged, mm.")
    var bandLength: Double = DiagnosisOptions().bandLength
    @Option(name: .customLong("disc-tolerance"), help: "Disc tissue farther than this beyond the posterior vertebral line is protrusion, mm.")
    var discTolerance: Double = DiagnosisOptions().discTolerance
    @Option(help: "Output folder.")
    var out: String

    func run() {
        do { try diagnose() } catch { failAndExit(error) }
    }

    private func diagnose() throws {
        try World.requireSingleProcess("u2ad diagnose")
        var options = DiagnosisOptions()
        options.firstVertebra = firstVertebra.uppercased()
        options.minimumBodyArea = minimumBodyArea
        options.bandLength = bandLength
        options.discTolerance = discTolerance
        try options.validate()
        let input = DiagnosisInput(pixelSpacing: pixelSpacing, slice: slice, labelMap: try labelMap.map(VolumeSlicing.parseLabelMap) ?? [:])
        let findings = try detection.map { try DetectionFindings.load(URL(fileURLWithPath: $0)) }
        let cases = try input.load(labels: URL(fileURLWithPath: labels), images: images.map { URL(fileURLWithPath: $0) })
        let outFolder = URL(fileURLWithPath: out)
        try createFolder(outFolder, option: "--out")
        for item in cases {
            let patientDetection = findings?.patient(named: item.patient)
            if findings != nil, patientDetection == nil {
                log("warning: \(item.patient): the detection report has no patient of that name; T2 hyperintensity comes from label 6")
            }
            let report = Diagnosis.diagnose(item.map, patient: item.patient, source: item.source, options: options, detection: patientDetection)
            if let problem = item.map.legendProblem { log("warning: \(item.patient): \(problem); no indicator computed") }
            let folder = outFolder.appendingPathComponent(item.patient)
            try createFolder(folder, option: "--out")
            try report.write(to: folder.appendingPathComponent("diagnosis.json"))
            let picture = try DiagnosisPicture.render(report: report, map: item.map, image: item.image)
            try AtomicFile.write(try PNG.encode(picture), to: folder.appendingPathComponent("diagnosis.png"))
            print("\(item.patient): \(report.summary)")
        }
        log("diagnosed \(cases.count) patient\(cases.count == 1 ? "" : "s"); wrote \(outFolder.path)/<patient>/diagnosis.{json,png}")
    }
}
