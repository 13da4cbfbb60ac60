import Foundation

/// One sagittal plane of a volume, displayed in radiological-sagittal convention:
/// row 0 is the most superior row and column 0 the most anterior column.
public struct SagittalSlice: Equatable, Sendable {
    /// Row-major pixel values, `rows * columns` of them.
    public var pixels: [Float]
    public var rows: Int
    public var columns: Int
    /// Millimetres between neighbouring rows (along inferior–superior).
    public var rowSpacing: Double
    /// Millimetres between neighbouring columns (along posterior–anterior).
    public var columnSpacing: Double
    /// Index of this plane along the volume's stored left–right voxel axis.
    public var sourceIndex: Int

    public init(pixels: [Float], rows: Int, columns: Int, rowSpacing: Double, columnSpacing: Double, sourceIndex: Int) {
        self.pixels = pixels
        self.rows = rows
        self.columns = columns
        self.rowSpacing = rowSpacing
        self.columnSpacing = columnSpacing
        self.sourceIndex = sourceIndex
    }
}

/// How sagittal slices map onto the voxels of a volume stored in any orientation.
public struct SagittalLayout: Equatable, Sendable {
    /// Shape of the volume, `[nx, ny, nz]`.
    public let shape: [Int]
    /// Voxel axis (0, 1 or 2) running left–right, inferior–superior and posterior–anterior.
    public let leftRightAxis: Int
    public let inferiorSuperiorAxis: Int
    public let posteriorAnteriorAxis: Int
    /// Index direction of each of those axes: true when the index grows towards right, superior, anterior.
    public let indexIncreasesRightward: Bool
    public let indexIncreasesSuperiorly: Bool
    public let indexIncreasesAnteriorly: Bool
    public let rowSpacing: Double
    public let columnSpacing: Double

    /// Builds the layout from a volume's shape and affine; fails when the affine has no clear orientation.
    public init(shape: [Int], affine: [[Double]], name: String = "volume") throws {
        guard shape.count == 3, shape.allSatisfy({ $0 > 0 }) else {
            throw DataError.invalidArgument(file: name, detail: "shape \(shape) is not three positive sizes")
        }
        let directions = Orientation.voxelAxisDirections(of: affine)
        func axis(_ world: Int) -> (Int, AxisDirection)? {
            directions.enumerated().first { $0.element?.worldAxis == world }.flatMap { pair in pair.element.map { (pair.offset, $0) } }
        }
        guard let (lr, lrDirection) = axis(0), let (pa, paDirection) = axis(1), let (is_, isDirection) = axis(2) else {
            throw DataError.malformed(
                file: name, detail: "cannot tell the orientation from affine \(affine) (axis codes \(Orientation.axisCodes(of: affine)))")
        }
        self.shape = shape
        leftRightAxis = lr
        posteriorAnteriorAxis = pa
        inferiorSuperiorAxis = is_
        indexIncreasesRightward = lrDirection.sign > 0
        indexIncreasesAnteriorly = paDirection.sign > 0
        indexIncreasesSuperiorly = isDirection.sign > 0
        let zooms = (0..<3).map { j in Matrix3.norm((0..<3).map { affine[$0][j] }) }
        rowSpacing = zooms[is_]
        columnSpacing = zooms[pa]
    }

    /// Number of sagittal slices (the left–right extent).
    public var sliceCount: Int { shape[leftRightAxis] }
    public var rows: Int { shape[inferiorSuperiorAxis] }
    public var columns: Int { shape[posteriorAnteriorAxis] }

    /// The stored left–right index of slice number `k`, counting from the patient's left (k = 0) to right.
    public func sourceIndex(ofSlice k: Int) -> Int {
        indexIncreasesRightward ? k : sliceCount - 1 - k
    }

    /// Linear voxel index (x fastest) of a slice pixel.
    public func voxelIndex(sourceIndex: Int, row: Int, column: Int) -> Int {
        var index = [0, 0, 0]
        index[leftRightAxis] = sourceIndex
        index[inferiorSuperiorAxis] = indexIncreasesSuperiorly ? rows - 1 - row : row
        index[posteriorAnteriorAxis] = indexIncreasesAnteriorly ? columns - 1 - column : column
        return index[0] + shape[0] * (index[1] + shape[1] * index[2])
    }

    /// Row-major pixels of the slice at `sourceIndex` taken from `volume` (x-fastest, this layout's shape).
    public func extract(from volume: [Float], sourceIndex: Int) -> [Float] {
        let (rowStep, columnStep, origin) = steps(sourceIndex: sourceIndex)
        var pixels = [Float](repeating: 0, count: rows * columns)
        for row in 0..<rows {
            var voxel = origin + row * rowStep
            for column in 0..<columns {
                pixels[row * columns + column] = volume[voxel]
                voxel += columnStep
            }
        }
        return pixels
    }

    /// Writes row-major slice pixels back into `volume` at `sourceIndex`: the inverse of `extract`.
    public func insert(_ pixels: [Float], sourceIndex: Int, into volume: inout [Float]) {
        let (rowStep, columnStep, origin) = steps(sourceIndex: sourceIndex)
        for row in 0..<rows {
            var voxel = origin + row * rowStep
            for column in 0..<columns {
                volume[voxel] = pixels[row * columns + column]
                voxel += columnStep
            }
        }
    }

    /// Linear index of pixel (0, 0) and the linear strides for one row down and one column right.
    private func steps(sourceIndex: Int) -> (row: Int, column: Int, origin: Int) {
        let strides = [1, shape[0], shape[0] * shape[1]]
        let rowStep = indexIncreasesSuperiorly ? -strides[inferiorSuperiorAxis] : strides[inferiorSuperiorAxis]
        let columnStep = indexIncreasesAnteriorly ? -strides[posteriorAnteriorAxis] : strides[posteriorAnteriorAxis]
        return (rowStep, columnStep, voxelIndex(sourceIndex: sourceIndex, row: 0, column: 0))
    }
}

extension NIfTIVolume {
    /// The mapping between this volume's voxels and sagittal slices.
    public func sagittalLayout() throws -> SagittalLayout {
        try SagittalLayout(shape: shape, affine: affine, name: name)
    }

    /// All sagittal slices, ordered from the patient's left to right, superior at the top and anterior on the left.
    public func sagittalSlices() throws -> [SagittalSlice] {
        let layout = try sagittalLayout()
        return (0..<layout.sliceCount).map { k in slice(layout, sourceIndex: layout.sourceIndex(ofSlice: k)) }
    }

    /// The sagittal slice at index `sourceIndex` of the stored left–right axis.
    public func sagittalSlice(sourceIndex: Int) throws -> SagittalSlice {
        let layout = try sagittalLayout()
        guard (0..<layout.sliceCount).contains(sourceIndex) else {
            throw DataError.invalidArgument(
                file: name, detail: "sagittal slice \(sourceIndex) is outside 0..<\(layout.sliceCount)")
        }
        return slice(layout, sourceIndex: sourceIndex)
    }

    /// A volume with this geometry whose voxels come from `slices` (placed by their `sourceIndex`),
    /// and `fill` elsewhere: use it to write per-slice output maps aligned with the input.
    public func volume(fromSagittalSlices slices: [SagittalSlice], fill: Float = 0) throws -> NIfTIVolume {
        let layout = try sagittalLayout()
        var values = [Float](repeating: fill, count: data.count)
        for slice in slices {
            guard (0..<layout.sliceCount).contains(slice.sourceIndex) else {
                throw DataError.invalidArgument(
                    file: name, detail: "sagittal slice \(slice.sourceIndex) is outside 0..<\(layout.sliceCount)")
            }
            guard slice.rows == layout.rows, slice.columns == layout.columns,
                  slice.pixels.count == layout.rows * layout.columns else {
                throw DataError.invalidArgument(
                    file: name,
                    detail: "sagittal slice \(slice.sourceIndex) is \(slice.rows)x\(slice.columns) with \(slice.pixels.count) pixels, expected \(layout.rows)x\(layout.columns)")
            }
            layout.insert(slice.pixels, sourceIndex: slice.sourceIndex, into: &values)
        }
        return try replacingData(values)
    }

    private func slice(_ layout: SagittalLayout, sourceIndex: Int) -> SagittalSlice {
        SagittalSlice(
            pixels: layout.extract(from: data, sourceIndex: sourceIndex), rows: layout.rows, columns: layout.columns,
            rowSpacing: layout.rowSpacing, columnSpacing: layout.columnSpacing, sourceIndex: sourceIndex)
    }
}
