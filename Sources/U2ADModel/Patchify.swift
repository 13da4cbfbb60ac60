/// `[size, size]` image to patchified `[L, P*P]` (patch `l = r * grid + c`, pixel `k = py * P + px`), and back.
public enum Patchify {
    /// For every pixel: its index in the patchified layout and in the image.
    @inline(__always)
    static func forEachPixel(size: Int, patch: Int, _ body: (_ patchified: Int, _ image: Int) -> Void) {
        let grid = size / patch
        for r in 0..<grid {
            for c in 0..<grid {
                for py in 0..<patch {
                    for px in 0..<patch { body(((r * grid + c) * patch + py) * patch + px, (r * patch + py) * size + c * patch + px) }
                }
            }
        }
    }

    public static func patchify(_ image: [Float], size: Int, patch: Int) -> [Float] {
        var out = [Float](repeating: 0, count: size * size)
        forEachPixel(size: size, patch: patch) { out[$0] = image[$1] }
        return out
    }

    public static func unpatchify(_ patches: [Float], size: Int, patch: Int) -> [Float] {
        var out = [Float](repeating: 0, count: size * size)
        forEachPixel(size: size, patch: patch) { out[$1] = patches[$0] }
        return out
    }
}
