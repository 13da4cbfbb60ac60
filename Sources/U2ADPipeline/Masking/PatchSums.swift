/// Per-patch sums of a pixel map, as the reference reduces ROI, variance and error maps
/// (`patchify(map).sum(-1)`): patch `l = r * grid + c` sums its `patch x patch` pixels.
public enum PatchSums {
    /// Sums of the `size x size` map `map` over each `patch x patch` patch, in float32 like the reference.
    public static func of(_ map: [Float], size: Int, patch: Int) -> [Float] {
        let grid = size / patch
        var sums = [Float](repeating: 0, count: grid * grid)
        guard map.count >= size * size, grid > 0 else { return sums }
        map.withUnsafeBufferPointer { pixels in
            for r in 0..<grid {
                for c in 0..<grid {
                    var sum: Float = 0
                    for py in 0..<patch {
                        let row = (r * patch + py) * size + c * patch
                        for px in 0..<patch { sum += pixels[row + px] }
                    }
                    sums[r * grid + c] = sum
                }
            }
        }
        return sums
    }
}
