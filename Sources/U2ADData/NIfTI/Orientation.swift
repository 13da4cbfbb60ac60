import Foundation

/// The world direction a voxel axis runs along: world axis 0 = left→right, 1 = posterior→anterior,
/// 2 = inferior→superior (RAS+), and whether the voxel index increases along (+1) or against (-1) it.
public struct AxisDirection: Equatable, Sendable {
    public var worldAxis: Int
    public var sign: Int

    public init(worldAxis: Int, sign: Int) {
        self.worldAxis = worldAxis
        self.sign = sign
    }

    /// The letter of the direction the index increases towards (R, L, A, P, S or I).
    public var code: Character {
        let letters: [(Character, Character)] = [("R", "L"), ("A", "P"), ("S", "I")]
        return sign > 0 ? letters[worldAxis].0 : letters[worldAxis].1
    }
}

/// Voxel axis orientation from an affine, as nibabel's `io_orientation` and `aff2axcodes` compute it.
public enum Orientation {
    /// For each voxel axis, the world axis it is closest to (after removing zooms and shears by polar
    /// decomposition), choosing axes greedily so no world axis is used twice. Nil for an axis without extent.
    public static func voxelAxisDirections(of affine: [[Double]]) -> [AxisDirection?] {
        guard affine.count >= 3, affine.prefix(3).allSatisfy({ $0.count >= 3 }) else { return [nil, nil, nil] }
        var linear = (0..<3).map { i in (0..<3).map { j in affine[i][j] } }
        for j in 0..<3 {
            let zoom = Matrix3.norm(Matrix3.column(linear, j))
            if zoom != 0 { for i in 0..<3 { linear[i][j] /= zoom } }
        }
        var rotation = Matrix3.orthogonalFactor(linear)
        var result = [AxisDirection?](repeating: nil, count: 3)
        for voxelAxis in 0..<3 {
            let column = Matrix3.column(rotation, voxelAxis)
            guard column.contains(where: { abs($0) > 1e-8 }) else { continue }
            var best = 0
            for i in 1..<3 where abs(column[i]) > abs(column[best]) { best = i }
            result[voxelAxis] = AxisDirection(worldAxis: best, sign: column[best] < 0 ? -1 : 1)
            for j in 0..<3 { rotation[best][j] = 0 }
        }
        return result
    }

    /// Three letters naming where each voxel axis points, like nibabel's `aff2axcodes`
    /// (`"RAS"`, `"LPS"`, `"PSR"`...); `"?"` for an axis whose direction cannot be determined.
    public static func axisCodes(of affine: [[Double]]) -> String {
        String(voxelAxisDirections(of: affine).map { $0?.code ?? "?" })
    }
}
