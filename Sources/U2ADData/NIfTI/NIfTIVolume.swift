import Foundation

/// A 3-D NIfTI image: voxel values in x-fastest order plus the header geometry needed to write it back.
public struct NIfTIVolume: Sendable {
    /// Voxel counts `[nx, ny, nz]`.
    public var shape: [Int]
    /// Voxel values (scaled by `scl_slope`/`scl_inter` when the file sets them), index `x + nx * (y + ny * z)`.
    public var data: [Float]
    /// Header fields that place the voxels in the world.
    public var geometry: NIfTIGeometry
    /// The voxel type stored in the file this volume was read from (`.float32` for volumes built in memory).
    public var sourceDataType: NIfTIDataType
    /// The header's `descrip` text.
    public var headerDescription: String
    /// File name used in error messages.
    public var name: String

    /// A volume with explicit geometry. Throws if `data` does not hold `shape` (three positive sizes) voxels.
    public init(shape: [Int], data: [Float], geometry: NIfTIGeometry, name: String = "volume") throws {
        guard shape.count == 3, shape.allSatisfy({ $0 > 0 }), let count = elementCount(shape) else {
            throw DataError.invalidArgument(file: name, detail: "shape \(shape) is not three positive sizes")
        }
        guard data.count == count else {
            throw DataError.invalidArgument(file: name, detail: "\(data.count) values do not fill shape \(shape)")
        }
        guard geometry.hasHeaderSizes else {
            throw DataError.invalidArgument(file: name, detail: "geometry arrays have the wrong sizes")
        }
        self.shape = shape
        self.data = data
        self.geometry = geometry
        self.sourceDataType = .float32
        self.headerDescription = ""
        self.name = name
    }

    /// A volume whose sform and qform both encode `affine` (4x4, voxel indices to world millimetres, RAS+).
    public init(shape: [Int], data: [Float], affine: [[Double]], name: String = "volume") throws {
        guard affine.count >= 3, affine.prefix(3).allSatisfy({ $0.count == 4 }) else {
            throw DataError.invalidArgument(file: name, detail: "affine is not 4x4")
        }
        try self.init(shape: shape, data: data, geometry: NIfTIGeometry(affine: affine), name: name)
    }

    /// Voxel sizes in millimetres along x, y, z.
    public var spacing: [Double] { geometry.spacing }

    /// The 4x4 voxel-to-world affine (nibabel's choice of sform, qform or pixdim diagonal).
    public var affine: [[Double]] { geometry.affine(shape: shape) }

    /// Orientation codes of the voxel axes, e.g. `"RAS"` or `"PSR"` (see `Orientation.axisCodes`).
    public var axisCodes: String { Orientation.axisCodes(of: affine) }

    /// The voxel at integer indices (which must be inside `shape`).
    public subscript(x x: Int, y y: Int, z z: Int) -> Float {
        get { data[x + shape[0] * (y + shape[1] * z)] }
        set { data[x + shape[0] * (y + shape[1] * z)] = newValue }
    }

    /// The same geometry with other voxel values (for output maps aligned with this volume).
    public func replacingData(_ values: [Float]) throws -> NIfTIVolume {
        guard values.count == data.count else {
            throw DataError.invalidArgument(file: name, detail: "\(values.count) values do not fill shape \(shape)")
        }
        var copy = self
        copy.data = values
        return copy
    }
}
