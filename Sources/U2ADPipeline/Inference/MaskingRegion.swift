import U2ADData

/// The region of a slice that MC inference masks and that bounds its maps: pixels whose label is in
/// the chosen set, optionally eroded by a 3x3 square (`scipy.ndimage.binary_erosion(m, ones((3, 3)))`),
/// and the patches holding at least one such pixel.
public struct MaskingRegion: Equatable, Sendable {
    /// 0/1 per pixel, row-major `size x size`.
    public var pixels: [Float]
    /// Patch indices `l = r * grid + c` with at least one region pixel, ascending.
    public var patches: [Int]

    public init(labels: [Float], size: Int, patchSize: Int, roiLabels: Set<Int>, erode: Bool) {
        var mask = Image2D(rows: size, cols: size, pixels: labels.map { labelValue($0).map(roiLabels.contains) ?? false ? 1 : 0 })
        if erode { mask = Morphology.binaryErosion(mask, iterations: 1, structure: .eight) }
        pixels = mask.pixels
        patches = MaskingRegion.patches(of: mask.pixels, size: size, patchSize: patchSize)
    }

    /// Patches with at least one non-zero pixel of `pixels`.
    public static func patches(of pixels: [Float], size: Int, patchSize: Int) -> [Int] {
        let grid = size / patchSize
        var hit = [Bool](repeating: false, count: grid * grid)
        for y in 0..<(grid * patchSize) {
            for x in 0..<(grid * patchSize) where pixels[y * size + x] != 0 {
                hit[(y / patchSize) * grid + x / patchSize] = true
            }
        }
        return hit.indices.filter { hit[$0] }
    }
}
