import Foundation
import U2ADModel

/// The slices of a training run with what every step needs precomputed: the training ROI as 0/1
/// pixels (patchified for the loss) and its pixel count per patch (for masking).
public struct TrainingSet {
    public let slices: [SliceSample]
    /// Training ROI per slice, 0/1 pixels `[S * S]`.
    public let rois: [[Float]]
    /// Training ROI per slice, patchified `[L * P * P]` (the loss's layout).
    public let patchifiedROIs: [[Float]]
    /// ROI pixels per patch, per slice `[L]`.
    public let roiPixels: [[Float]]

    public var count: Int { slices.count }

    /// Prepares `slices` for `configuration`; `roiLabels` empty takes each slice's ROI channel (any nonzero
    /// value is ROI), otherwise the pixels whose label is in `roiLabels`.
    /// Throws when a slice has the wrong size or no slice has any ROI pixel.
    public init(slices: [SliceSample], configuration: UGMAEConfiguration, roiLabels: [Int] = []) throws {
        guard !slices.isEmpty else { throw PipelineError.badOption("--data", "no training slices") }
        let size = configuration.imageSize, patch = configuration.patchSize
        for slice in slices where slice.size != size || slice.image.count != size * size {
            throw PipelineError.badFile(slice.origin.description, "slice is \(slice.size)x\(slice.size), the model expects \(size)x\(size)")
        }
        self.slices = slices
        let labels = Set(roiLabels)
        rois = slices.map { slice in
            labels.isEmpty ? slice.roi.map { $0 != 0 && $0.isFinite ? 1 : 0 } : slice.labelMask(labels)
        }
        patchifiedROIs = rois.map { Patchify.patchify($0, size: size, patch: patch) }
        roiPixels = rois.map { PatchSums.of($0, size: size, patch: patch) }
        guard roiPixels.contains(where: { $0.contains { $0 > 0 } }) else {
            let source = labels.isEmpty ? "ROI channel" : "labels \(roiLabels.map(String.init).joined(separator: ","))"
            throw PipelineError.badOption("--data", "no slice has any training-ROI pixel (\(source)); nothing to learn")
        }
    }

    /// Loads every `.npy` slice of `folder`.
    public static func load(folder: String, configuration: UGMAEConfiguration, roiLabels: [Int] = []) throws -> TrainingSet {
        let url = URL(fileURLWithPath: folder)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw PipelineError.badOption("--data", "\(folder) does not exist")
        }
        guard isFolder.boolValue else { throw PipelineError.badOption("--data", "\(folder) is not a folder of .npy slices") }
        let slices = try SliceSample.loadAll(url, expectedSize: configuration.imageSize)
        return try TrainingSet(slices: slices, configuration: configuration, roiLabels: roiLabels)
    }
}
