import Foundation
import U2ADData

/// One patient's mid-sagittal label map, ready to diagnose, with the image to draw the figure on.
public struct DiagnosisCase: Sendable {
    public var patient: String
    /// The label file, and `#index` of the slice in a volume.
    public var source: String
    public var map: LabelMap
    /// The slice's image, `map.rows * map.columns` values; nil when none was given.
    public var image: [Float]?
}

/// Finds the label maps to diagnose: `.npy` slices in the reference layout (a file is a patient; in a folder each
/// loose file is a patient and each subfolder of slices one patient, as `u2ad detect` reads them) or NIfTI label
/// volumes (one patient each).
public struct DiagnosisInput {
    /// Pixel size of `.npy` slices, mm.
    public var pixelSpacing = 200.0 / 256.0
    /// The sagittal slice to use: its index along a volume's stored left-right axis, or its position in a patient's
    /// folder of `.npy` slices; nil takes the middle one (the reference takes the middle index of the volume's slowest
    /// array axis, which is the left-right axis of a sagittally stored scan).
    public var slice: Int?
    /// Label values to remap before diagnosis, e.g. `[1: 2, 2: 1]` for maps with bodies and discs swapped.
    public var labelMap: [Int: Int] = [:]

    public init(pixelSpacing: Double = 200.0 / 256.0, slice: Int? = nil, labelMap: [Int: Int] = [:]) {
        self.pixelSpacing = pixelSpacing
        self.slice = slice
        self.labelMap = labelMap
    }

    /// The cases of `labels`; `images` (NIfTI only) are paired with the label volumes by name.
    public func load(labels: URL, images: URL?) throws -> [DiagnosisCase] {
        guard pixelSpacing.isFinite, pixelSpacing > 0 else { throw PipelineError.badOption("--pixel-spacing", "must be > 0 mm, got \(pixelSpacing)") }
        let sizes = DataLimits.voxelSizeMM
        guard sizes.contains(pixelSpacing) else {
            throw PipelineError.badOption("--pixel-spacing", "must be in \(sizes.lowerBound)...\(sizes.upperBound) mm, got \(pixelSpacing)")
        }
        if let slice, slice < 0 { throw PipelineError.badOption("--slice", "must be >= 0, got \(slice)") }
        let volumes = try VolumeSlicing.niftiFiles(labels)
        if !volumes.isEmpty { return try volumes.map { try volumeCase($0, images: images) } }
        if let images { throw PipelineError.badOption("--images", "\(images.path): only NIfTI label volumes take images; .npy slices carry theirs") }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: labels.path, isDirectory: &isFolder), isFolder.boolValue,
           !((try? FileManager.default.subpathsOfDirectory(atPath: labels.path)) ?? []).contains(where: { $0.hasSuffix(".npy") }) {
            throw PipelineError.badFile(labels.path, "holds no .npy slices or .nii/.nii.gz label volumes")
        }
        return try PatientInput.load(labels).map { patient in
            let index = try chosen(slice, count: patient.slices.count, what: "\(patient.name) has \(patient.slices.count) slices")
            let sample = patient.slices[index]
            return DiagnosisCase(patient: patient.name, source: sample.origin.description,
                                 map: LabelMap(rows: sample.size, columns: sample.size, values: remapped(sample.labels),
                                               rowSpacing: pixelSpacing, columnSpacing: pixelSpacing),
                                 image: sample.image)
        }
    }

    private func volumeCase(_ url: URL, images: URL?) throws -> DiagnosisCase {
        let volume = try NIfTIVolume.read(url)
        try LabelRule.check(volume.data, file: url.lastPathComponent, what: "voxel")
        let layout = try volume.sagittalLayout()
        let index = try chosen(slice, count: layout.sliceCount, what: "\(url.lastPathComponent) has \(layout.sliceCount) sagittal slices")
        let labels = try volume.sagittalSlice(sourceIndex: index)
        let sizes = DataLimits.voxelSizeMM
        guard sizes.contains(labels.rowSpacing), sizes.contains(labels.columnSpacing) else {
            throw PipelineError.badFile(url.lastPathComponent,
                                        "voxel size \(labels.rowSpacing) x \(labels.columnSpacing) mm is outside \(sizes.lowerBound)...\(sizes.upperBound) mm")
        }
        var patient = VolumeSlicing.stem(url), image: [Float]?
        if let images {
            let imageURL = try pairedImage(for: url, in: images)
            let imageVolume = try NIfTIVolume.read(imageURL)
            guard imageVolume.shape == volume.shape else {
                throw PipelineError.badFile(imageURL.lastPathComponent, "image shape \(imageVolume.shape) differs from labels \(url.lastPathComponent) \(volume.shape)")
            }
            image = try imageVolume.sagittalSlice(sourceIndex: index).pixels
            patient = VolumeSlicing.stem(imageURL)
        }
        return DiagnosisCase(patient: patient, source: "\(url.path)#\(index)",
                             map: LabelMap(rows: labels.rows, columns: labels.columns, values: remapped(labels.pixels),
                                           rowSpacing: labels.rowSpacing, columnSpacing: labels.columnSpacing),
                             image: image)
    }

    /// The image volume of a label volume: `images` itself when it is a file, else the volume of that folder whose
    /// name begins the label volume's name (`t2.nii.gz` for `t2_seg.nii.gz`; the longest such name).
    private func pairedImage(for labels: URL, in images: URL) throws -> URL {
        let candidates = try VolumeSlicing.niftiFiles(images)
        var isFolder: ObjCBool = false
        FileManager.default.fileExists(atPath: images.path, isDirectory: &isFolder)
        if !isFolder.boolValue, let file = candidates.first { return file }
        let stem = VolumeSlicing.stem(labels)
        guard let image = candidates.filter({ $0 != labels && stem.hasPrefix(VolumeSlicing.stem($0)) })
            .max(by: { VolumeSlicing.stem($0).count < VolumeSlicing.stem($1).count }) else {
            throw PipelineError.badOption("--images", "no image volume in \(images.path) named like \(labels.lastPathComponent)")
        }
        return image
    }

    private func chosen(_ slice: Int?, count: Int, what: String) throws -> Int {
        guard let slice else { return count / 2 }
        guard slice < count else { throw PipelineError.badOption("--slice", "\(slice) is out of range: \(what) (0-\(count - 1))") }
        return slice
    }

    private func remapped(_ values: [Float]) -> [Float] {
        guard !labelMap.isEmpty else { return values }
        return values.map { value in
            guard let label = LabelRule.value(value), let to = labelMap[label] else { return value }
            return Float(to)
        }
    }
}
