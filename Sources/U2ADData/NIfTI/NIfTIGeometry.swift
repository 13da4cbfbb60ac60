import Foundation

/// The spatial fields of a NIfTI header: everything needed to rebuild the voxel-to-world affine
/// and to write a file that readers (nibabel, ITK, FSL) place in the same world position.
public struct NIfTIGeometry: Equatable, Sendable {
    /// `qform_code` (0 = unknown, 1 = scanner, 2 = aligned, 3 = Talairach, 4 = MNI).
    public var qformCode: Int
    /// `sform_code`, same codes as `qformCode`.
    public var sformCode: Int
    /// Quaternion parameters `quatern_b`, `quatern_c`, `quatern_d`.
    public var quaternion: [Double]
    /// `qoffset_x`, `qoffset_y`, `qoffset_z`.
    public var qoffset: [Double]
    /// `pixdim[0...7]` as stored; `pixdim[0]` is qfac.
    public var pixdim: [Double]
    /// Rows `srow_x`, `srow_y`, `srow_z` of the sform (3 rows of 4).
    public var sform: [[Double]]
    /// `xyzt_units` (10 = millimetres and seconds).
    public var xyztUnits: Int
    /// `dim_info` (frequency, phase and slice encoding directions).
    public var dimInfo: UInt8

    /// Geometry from raw header fields; arrays of the wrong length are cut or padded (pixdim with 1, others with 0).
    public init(qformCode: Int, sformCode: Int, quaternion: [Double], qoffset: [Double], pixdim: [Double],
                sform: [[Double]], xyztUnits: Int = 10, dimInfo: UInt8 = 0) {
        func fitted(_ values: [Double], _ count: Int, padding: Double) -> [Double] {
            Array(values.prefix(count)) + [Double](repeating: padding, count: max(0, count - values.count))
        }
        self.qformCode = qformCode
        self.sformCode = sformCode
        self.quaternion = fitted(quaternion, 3, padding: 0)
        self.qoffset = fitted(qoffset, 3, padding: 0)
        self.pixdim = fitted(pixdim, 8, padding: 1)
        let rows = (0..<3).map { $0 < sform.count ? sform[$0] : [] }
        self.sform = rows.map { fitted($0, 4, padding: 0) }
        self.xyztUnits = xyztUnits
        self.dimInfo = dimInfo
    }

    /// Geometry whose sform and qform both encode `affine` (4x4, voxel indices to world millimetres).
    /// The qform holds the closest rotation; a sheared affine is kept exactly in the sform only.
    public init(affine: [[Double]], code: Int = 2) {
        let linear = (0..<3).map { i in (0..<3).map { j in affine[i][j] } }
        var zooms = (0..<3).map { Matrix3.norm(Matrix3.column(linear, $0)) }
        var normalized = linear
        for j in 0..<3 {
            if zooms[j] == 0 || !zooms[j].isFinite {
                zooms[j] = 1
                for i in 0..<3 { normalized[i][j] = i == j ? 1 : 0 }
            } else {
                for i in 0..<3 { normalized[i][j] /= zooms[j] }
            }
        }
        var rotation = Matrix3.orthogonalFactor(normalized, tolerance: 0)
        var qfac = 1.0
        if Matrix3.determinant(rotation) < 0 {
            qfac = -1
            for i in 0..<3 { rotation[i][2] = -rotation[i][2] }
        }
        self.init(
            qformCode: code, sformCode: code,
            quaternion: NIfTIGeometry.quaternion(of: rotation),
            qoffset: [affine[0][3], affine[1][3], affine[2][3]],
            pixdim: [qfac, zooms[0], zooms[1], zooms[2], 1, 1, 1, 1],
            sform: (0..<3).map { Array(affine[$0][0..<4]) })
    }

    /// True when every array has the length of its header field.
    var hasHeaderSizes: Bool {
        quaternion.count == 3 && qoffset.count == 3 && pixdim.count == 8 && sform.count == 3 && sform.allSatisfy { $0.count == 4 }
    }

    /// qfac as nibabel reads it: -1 only when `pixdim[0]` is exactly -1.
    public var qfac: Double { pixdim[0] == -1 ? -1 : 1 }

    /// Voxel sizes `pixdim[1...3]`, with nibabel's fixes: negative values made positive, zero replaced by 1.
    public var spacing: [Double] {
        (1...3).map { abs(pixdim[$0]) == 0 ? 1 : abs(pixdim[$0]) }
    }

    /// The qform as a 4x4 matrix (rotation from the quaternion, times spacing, with qfac on the third axis).
    /// The quaternion's `a` is `sqrt(1 - b² - c² - d²)`, or 0 when that is negative, and the rotation
    /// is normalised by the quaternion's norm, as nibabel does.
    public var qformMatrix: [[Double]] {
        let (x, y, z) = (quaternion[0], quaternion[1], quaternion[2])
        let w = max(0, 1 - (x * x + y * y + z * z)).squareRoot()
        let norm = w * w + x * x + y * y + z * z
        let rotation: [[Double]]
        if norm < Double.ulpOfOne {
            rotation = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        } else {
            let s = 2 / norm
            rotation = [
                [1 - s * (y * y + z * z), s * (x * y - w * z), s * (x * z + w * y)],
                [s * (x * y + w * z), 1 - s * (x * x + z * z), s * (y * z - w * x)],
                [s * (x * z - w * y), s * (y * z + w * x), 1 - s * (x * x + y * y)],
            ]
        }
        let zooms = spacing
        let scales = [zooms[0], zooms[1], zooms[2] * qfac]
        var matrix = (0..<3).map { i in (0..<3).map { j in rotation[i][j] * scales[j] } + [qoffset[i]] }
        matrix.append([0, 0, 0, 1])
        return matrix
    }

    /// The sform as a 4x4 matrix.
    public var sformMatrix: [[Double]] { sform.map { Array($0.prefix(4)) } + [[0, 0, 0, 1]] }

    /// The voxel-to-world affine nibabel uses: the sform if `sformCode` is set, else the qform if
    /// `qformCode` is set, else the spacing diagonal with x flipped, centred on the volume.
    public func affine(shape: [Int]) -> [[Double]] {
        if sformCode != 0 { return sformMatrix }
        if qformCode != 0 { return qformMatrix }
        let zooms = spacing
        var matrix: [[Double]] = [[-zooms[0], 0, 0, 0], [0, zooms[1], 0, 0], [0, 0, zooms[2], 0], [0, 0, 0, 1]]
        for axis in 0..<3 {
            let extent = axis < shape.count ? Double(shape[axis]) : 1
            matrix[axis][3] = -(extent - 1) / 2 * matrix[axis][axis]
        }
        return matrix
    }

    /// Unit quaternion (b, c, d with a >= 0) of a proper rotation matrix, as in nifti_mat44_to_quatern.
    static func quaternion(of r: [[Double]]) -> [Double] {
        var a = r[0][0] + r[1][1] + r[2][2] + 1
        var b: Double, c: Double, d: Double
        if a > 0.5 {
            a = 0.5 * a.squareRoot()
            b = 0.25 * (r[2][1] - r[1][2]) / a
            c = 0.25 * (r[0][2] - r[2][0]) / a
            d = 0.25 * (r[1][0] - r[0][1]) / a
        } else {
            let xd = 1 + r[0][0] - (r[1][1] + r[2][2])
            let yd = 1 + r[1][1] - (r[0][0] + r[2][2])
            let zd = 1 + r[2][2] - (r[0][0] + r[1][1])
            if xd > 1 {
                b = 0.5 * xd.squareRoot()
                c = 0.25 * (r[0][1] + r[1][0]) / b
                d = 0.25 * (r[0][2] + r[2][0]) / b
                a = 0.25 * (r[2][1] - r[1][2]) / b
            } else if yd > 1 {
                c = 0.5 * yd.squareRoot()
                b = 0.25 * (r[0][1] + r[1][0]) / c
                d = 0.25 * (r[1][2] + r[2][1]) / c
                a = 0.25 * (r[0][2] - r[2][0]) / c
            } else {
                d = 0.5 * zd.squareRoot()
                b = 0.25 * (r[0][2] + r[2][0]) / d
                c = 0.25 * (r[1][2] + r[2][1]) / d
                a = 0.25 * (r[1][0] - r[0][1]) / d
            }
            if a < 0 { (b, c, d) = (-b, -c, -d) }
        }
        return [b, c, d]
    }
}
