import Foundation
import U2ADData

/// Where a slice came from: a `.npy` slice file, or one slice of a NIfTI volume (whose maps can then be written back
/// into the scan's geometry).
public enum SliceOrigin: Sendable, Equatable, CustomStringConvertible {
    /// A slice file, or a slice made in memory (`path` is then its name).
    case file(path: String)
    /// Slice `index` along the stored left-right axis of the NIfTI volume at `path`.
    case volume(path: String, index: Int)

    public var path: String {
        switch self {
        case .file(let path), .volume(let path, _): return path
        }
    }

    /// `path`, or `path#index` for a volume slice (as reports print it).
    public var description: String {
        switch self {
        case .file(let path): return path
        case .volume(let path, let index): return "\(path)#\(index)"
        }
    }
}

/// One 2-D sagittal slice in the reference layout: image in [0, 1], ROI mask (0/1) and label map, each `size x size`.
public struct SliceSample: Sendable {
    public var name: String
    public var size: Int
    public var image: [Float]
    public var roi: [Float]
    public var labels: [Float]
    public var origin: SliceOrigin

    public init(name: String, size: Int, image: [Float], roi: [Float], labels: [Float], origin: SliceOrigin? = nil) {
        self.name = name
        self.size = size
        self.image = image
        self.roi = roi
        self.labels = labels
        self.origin = origin ?? .file(path: name)
    }

    /// Reads a `.npy` slice: `(3, S, S)` (image, ROI, labels) or `(S, S)` (image only; ROI and labels zero).
    /// NaN or infinite values and other shapes are errors naming the file.
    public static func load(_ url: URL, expectedSize: Int = 256) throws -> SliceSample {
        let (shape, values) = try NPY.readFloats(url)
        let file = url.lastPathComponent
        let plane = expectedSize * expectedSize
        guard values.allSatisfy({ $0.isFinite }) else { throw PipelineError.badFile(file, "contains NaN or infinite values") }
        let name = url.deletingPathExtension().lastPathComponent
        switch shape {
        case [3, expectedSize, expectedSize]:
            try LabelRule.check(Array(values[(2 * plane)...]), file: file, what: "label channel")
            return SliceSample(name: name, size: expectedSize, image: Array(values[0..<plane]), roi: Array(values[plane..<(2 * plane)]),
                               labels: Array(values[(2 * plane)...]), origin: .file(path: url.path))
        case [expectedSize, expectedSize]:
            return SliceSample(name: name, size: expectedSize, image: values, roi: [Float](repeating: 0, count: plane),
                               labels: [Float](repeating: 0, count: plane), origin: .file(path: url.path))
        default:
            throw PipelineError.badFile(file, "shape \(shape), expected (3, \(expectedSize), \(expectedSize)) or (\(expectedSize), \(expectedSize))")
        }
    }

    /// Every `.npy` slice in `folder` (sorted by name), or the one file given.
    public static func loadAll(_ url: URL, expectedSize: Int = 256) throws -> [SliceSample] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw PipelineError.badFile(url.path, "does not exist")
        }
        if !isDirectory.boolValue { return [try load(url, expectedSize: expectedSize)] }
        let files = try listFolder(url).filter { $0.hasSuffix(".npy") }.sorted {
            $0.localizedStandardCompare($1) == .orderedAscending
        }
        guard !files.isEmpty else { throw PipelineError.badFile(url.path, "holds no .npy slices") }
        return try files.map { try load(url.appendingPathComponent($0), expectedSize: expectedSize) }
    }

    /// Pixels whose label is in `labels`, as 0/1.
    public func labelMask(_ labels: Set<Int>) -> [Float] {
        self.labels.map { labelValue($0).map(labels.contains) ?? false ? 1 : 0 }
    }

    /// The reference layout `(3, S, S)` as one array.
    public var channels: [Float] { image + roi + labels }
}

/// The names in `folder`, with a one-line error naming it when it cannot be listed.
func listFolder(_ folder: URL) throws -> [String] {
    do { return try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
        throw PipelineError.badFile(folder.path, "cannot be listed: \(fileErrorReason(error, path: folder.path))")
    }
}

/// Errors of the pipeline layer; each renders as one line naming the file or option.
public enum PipelineError: Error, CustomStringConvertible {
    case badFile(String, String)
    case badOption(String, String)

    public var description: String {
        switch self {
        case .badFile(let file, let why): return "\(file): \(why)"
        case .badOption(let option, let why): return "\(option): \(why)"
        }
    }
}
