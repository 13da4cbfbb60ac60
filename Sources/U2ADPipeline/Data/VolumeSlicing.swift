import Foundation
import U2ADData

/// Turns a NIfTI volume (and its label volumes) into preprocessed sagittal slices in the reference layout.
public struct VolumeSlicing {
    /// Label value remapping applied to label volumes, e.g. `[1: 3, 2: 4]` for a binary cord mask.
    public var labelMap: [Int: Int] = [:]
    public var preprocessing = PreprocessingOptions()
    /// Keep only slices whose labels contain one of these (default: spinal cord); empty keeps every slice.
    public var requiredLabels: Set<Int> = [3]

    public init(labelMap: [Int: Int] = [:], preprocessing: PreprocessingOptions = PreprocessingOptions(), requiredLabels: Set<Int> = [3]) {
        self.labelMap = labelMap
        self.preprocessing = preprocessing
        self.requiredLabels = requiredLabels
    }

    /// Where a slice came from, so results map back to the volume.
    public struct Record: Codable, Sendable {
        public var output: String
        public var sourceImage: String
        public var sourceLabels: [String]
        public var sliceIndex: Int
        public var spacing: [Double]
        public var affine: [[Double]]
        public var orientation: String
    }

    /// Parses `1=3,2=4`.
    public static func parseLabelMap(_ text: String) throws -> [Int: Int] {
        var map: [Int: Int] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=")
            guard parts.count == 2, let from = Int(parts[0].trimmingCharacters(in: .whitespaces)),
                  let to = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
                throw PipelineError.badOption("--label-map", "'\(pair)' is not FROM=TO (e.g. 1=3,2=4)")
            }
            map[from] = to
        }
        try checkLabels(Array(map.keys) + Array(map.values), option: "--label-map")
        return map
    }

    /// Slices of `image` with labels merged from `labels`: the highest label wins where volumes overlap, so a
    /// lesion (6) stays inside the cord (3). A binary volume whose file name, past the image's name, contains
    /// `lesion` maps 1 to 6.
    public func slices(image imageURL: URL, labels labelURLs: [URL]) throws -> [(sample: SliceSample, record: Record)] {
        let volume = try NIfTIVolume.read(imageURL)
        let stem = Self.stem(imageURL)
        var merged = [Float](repeating: 0, count: volume.data.count)
        var found: [String] = [], rawLabels = Set<Int>()
        for url in labelURLs {
            let labels = try NIfTIVolume.read(url)
            guard labels.shape == volume.shape else {
                throw PipelineError.badFile(url.lastPathComponent, "label volume shape \(labels.shape) differs from image \(volume.shape)")
            }
            try LabelRule.check(labels.data, file: url.lastPathComponent, what: "voxel")
            let isLesionMask = Self.stem(url).dropFirst(Self.stem(url).hasPrefix(stem) ? stem.count : 0).lowercased().contains("lesion")
            for i in 0..<merged.count where labels.data[i] != 0 {
                guard let value = labelValue(labels.data[i]) else { continue }
                let mapped = isLesionMask && value == 1 ? 6 : (labelMap[value] ?? value)
                merged[i] = max(merged[i], Float(mapped))
            }
            let distinct = LabelRule.distinct(labels.data)
            rawLabels.formUnion(distinct)
            found.append("\(url.lastPathComponent): " + (distinct.isEmpty ? "none" : distinct.prefix(12).map(String.init).joined(separator: ",")))
        }
        let labelVolume = try volume.replacingData(merged)
        let imageSlices = try volume.sagittalSlices(), labelSlices = try labelVolume.sagittalSlices()
        var out: [(SliceSample, Record)] = []
        for (imageSlice, labelSlice) in zip(imageSlices, labelSlices) {
            if !requiredLabels.isEmpty, !labelSlice.pixels.contains(where: { labelValue($0).map(requiredLabels.contains) ?? false }) { continue }
            let processed: PreprocessedSlice
            do {
                processed = try Preprocessing.preprocess(
                    image: Image2D(rows: imageSlice.rows, cols: imageSlice.columns, pixels: imageSlice.pixels),
                    labels: Image2D(rows: labelSlice.rows, cols: labelSlice.columns, pixels: labelSlice.pixels),
                    spacing: (row: imageSlice.rowSpacing, col: imageSlice.columnSpacing), options: preprocessing)
            } catch let error as ImageError {
                throw PipelineError.badFile(imageURL.lastPathComponent, "slice \(imageSlice.sourceIndex): \(error)")
            }
            let name = "\(stem)_slice\(String(format: "%03d", imageSlice.sourceIndex))"
            let sample = SliceSample(name: name, size: processed.rows, image: processed.image.pixels, roi: processed.roi.pixels,
                                     labels: processed.labels.pixels, origin: .volume(path: imageURL.path, index: imageSlice.sourceIndex))
            let record = Record(output: name + ".npy", sourceImage: imageURL.path, sourceLabels: labelURLs.map(\.path),
                                sliceIndex: imageSlice.sourceIndex, spacing: volume.spacing, affine: volume.affine, orientation: volume.axisCodes)
            out.append((sample, record))
        }
        if out.isEmpty, !requiredLabels.isEmpty {
            let wanted = requiredLabels.sorted().map(String.init).joined(separator: " or ")
            let suggestion = rawLabels.min().map { " (e.g. --label-map \($0)=3 for a binary cord mask)" } ?? ""
            throw PipelineError.badFile(
                imageURL.lastPathComponent,
                "no sagittal slice holds label \(wanted) (the cord); the label volumes hold labels \(found.joined(separator: "; ")); map the cord to 3 with --label-map\(suggestion)")
        }
        return out
    }

    /// NIfTI files at `url`: the file itself if it is one, or the `.nii`/`.nii.gz` files of a folder, sorted.
    public static func niftiFiles(_ url: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { throw PipelineError.badFile(url.path, "does not exist") }
        if !isDirectory.boolValue { return isNIfTI(url) ? [url] : [] }
        return try listFolder(url).sorted().map { url.appendingPathComponent($0) }.filter(isNIfTI)
    }

    /// Each image of `images` with the label volumes of `labels` named like it (`t2.nii.gz` with `t2_seg.nii.gz`).
    public static func pairVolumes(images: URL, labels: URL) throws -> [(image: URL, labels: [URL])] {
        let imageFiles = try niftiFiles(images), labelFiles = try niftiFiles(labels)
        guard !imageFiles.isEmpty else { throw PipelineError.badFile(images.path, "holds no .nii or .nii.gz files") }
        return try imageFiles.map { image in
            let paired = labelFiles.filter { $0 != image && stem($0).hasPrefix(stem(image)) }
            guard !paired.isEmpty else { throw PipelineError.badFile(image.lastPathComponent, "no label volume named like it in \(labels.path)") }
            return (image, paired)
        }
    }

    /// One patient per volume: its preprocessed slices that contain the cord.
    public func patients(images: URL, labels: URL) throws -> [Patient] {
        try Self.pairVolumes(images: images, labels: labels).map { pair in
            Patient(name: Self.stem(pair.image), slices: try slices(image: pair.image, labels: pair.labels).map(\.sample))
        }
    }

    /// Maps a `size x size` map of a preprocessed slice back onto the slice's own pixel grid: the inverse of
    /// the zoom to `size`, the centre crop or pad, and the resampling to `targetSpacing` (linear interpolation).
    public func restore(_ map: [Float], size: Int, rows: Int, columns: Int, spacing: (row: Double, column: Double)) throws -> [Float] {
        let crop = preprocessing.cropSize
        let cropped = try SplineZoom.zoom(map.map(Double.init), rows: size, cols: size,
                                          zoom: (Double(crop) / Double(size), Double(crop) / Double(size)), order: 1)
        let resampledRows = SplineZoom.outputLength(rows, zoom: spacing.row / preprocessing.targetSpacing)
        let resampledColumns = SplineZoom.outputLength(columns, zoom: spacing.column / preprocessing.targetSpacing)
        let resampled = Preprocessing.centerCropOrPad(cropped.pixels, rows: cropped.rows, cols: cropped.cols,
                                                      toRows: resampledRows, toCols: resampledColumns)
        let back = try SplineZoom.zoom(resampled, rows: resampledRows, cols: resampledColumns,
                                       zoom: (Double(rows) / Double(resampledRows), Double(columns) / Double(resampledColumns)), order: 1)
        // Rounding of the output shape can differ by a pixel; fit to the slice exactly.
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<min(rows, back.rows) {
            for c in 0..<min(columns, back.cols) { out[r * columns + c] = Float(back.pixels[r * back.cols + c]) }
        }
        return out
    }

    /// Writes per-slice maps of `volume` as NIfTI volumes with its geometry (voxels of slices not analysed are 0),
    /// so they overlay on the scan. `maps` pairs each slice's volume index with its named maps.
    public func writeVolumeMaps(of imageURL: URL, slices: [(index: Int, maps: [String: [Float]])], size: Int, to folder: URL) throws -> [URL] {
        let volume = try NIfTIVolume.read(imageURL)
        let layout = try volume.sagittalLayout()
        guard let names = slices.first?.maps.keys.sorted() else { return [] }
        var written: [URL] = []
        for name in names {
            var data = [Float](repeating: 0, count: volume.data.count)
            for slice in slices {
                guard let map = slice.maps[name] else { continue }
                let pixels = try restore(map, size: size, rows: layout.rows, columns: layout.columns,
                                         spacing: (layout.rowSpacing, layout.columnSpacing))
                layout.insert(pixels, sourceIndex: slice.index, into: &data)
            }
            let url = folder.appendingPathComponent("\(Self.stem(imageURL)).\(name).nii.gz")
            try volume.replacingData(data).write(to: url)
            written.append(url)
        }
        return written
    }

    /// The file name without `.nii` or `.nii.gz`.
    public static func stem(_ url: URL) -> String {
        url.lastPathComponent.replacingOccurrences(of: ".nii.gz", with: "").replacingOccurrences(of: ".nii", with: "")
    }

    /// Whether `url` names a NIfTI file.
    public static func isNIfTI(_ url: URL) -> Bool { url.path.hasSuffix(".nii") || url.path.hasSuffix(".nii.gz") }
}
