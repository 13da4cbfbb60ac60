import ArgumentParser
import Foundation
import U2ADData
import U2ADPipeline

struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn NIfTI volumes and label volumes into training slices in the reference .npy layout.",
        discussion: """
        Images and label volumes are paired by file name (a label file named like the image, or starting with
        the image's name, e.g. t2.nii.gz with t2_seg.nii.gz). Each sagittal slice that contains the cord is
        resampled to 1 x 1 mm, cropped or padded to 200 x 200, zoomed to 256 x 256, clipped to the 0.2 and 99.8
        percentiles and scaled to [0, 1], as the reference; the ROI channel is labels {3, 4} dilated once.
        Writes OUT/<volume>_sliceNNN.npy (3, 256, 256) and OUT/manifest.json.
        """)

    @Option(help: "Folder (or one file) of NIfTI images (.nii, .nii.gz).")
    var images: String
    @Option(help: "Folder (or one file) of NIfTI label volumes.")
    var labels: String
    @Option(help: "Output folder.")
    var out: String
    @Option(help: "Remap label values, e.g. 1=3 for a binary cord segmentation (3 = cord, 4 = CSF, 6 = lesion).")
    var labelMap: String?
    @Flag(help: "Keep every sagittal slice, not only those containing the cord.")
    var allSlices = false
    @Option(name: .customLong("field-of-view"), help: "Side of the square crop in mm before the zoom to 256 (default 200, the reference's; e.g. 64 for a scan of a small field of view, so the cord fills more pixels).")
    var fieldOfView: Int = 200

    func run() throws {
        do {
            try World.requireSingleProcess("u2ad preprocess")
            guard (16...1000).contains(fieldOfView) else {
                throw PipelineError.badOption("--field-of-view", "must be 16...1000 mm, got \(fieldOfView)")
            }
            var preprocessing = PreprocessingOptions()
            preprocessing.cropSize = fieldOfView
            let slicing = VolumeSlicing(labelMap: try labelMap.map(VolumeSlicing.parseLabelMap) ?? [:], preprocessing: preprocessing,
                                        requiredLabels: allSlices ? [] : [3])
            let outURL = URL(fileURLWithPath: out)
            try createFolder(outURL, option: "--out")
            var records: [VolumeSlicing.Record] = []
            for (image, paired) in try VolumeSlicing.pairVolumes(images: URL(fileURLWithPath: images), labels: URL(fileURLWithPath: labels)) {
                let slices = try slicing.slices(image: image, labels: paired)
                for (sample, record) in slices {
                    try NPY.write(sample.channels, shape: [3, sample.size, sample.size], to: outURL.appendingPathComponent(record.output))
                    records.append(record)
                }
                FileHandle.standardError.write("\(image.lastPathComponent): \(slices.count) slices with labels from \(paired.map(\.lastPathComponent).joined(separator: ", "))\n".data(using: .utf8)!)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(records), to: outURL.appendingPathComponent("manifest.json"))
            print("wrote \(records.count) slices and manifest.json to \(out)")
        } catch { failAndExit(error) }
    }
}
