import U2ADRuntime

/// The uniform draws behind every mask: one value in [0, 1) per (image, patch), addressed rather than
/// sequential, so any backend, any batch split and a resumed run see the same numbers.
///
/// Draw `(b, l)` of training step `step` is Philox4x32-10 with key `seed`, counter
/// `(l / 4, stream, step, image)` (word `l % 4`), as 24-bit float32 (`Philox.uniform`).
/// `image` is the index of the image in the training set, so a slice's draw does not depend on
/// its batch neighbours.
public enum MaskNoise {
    /// Counter word that separates mask draws from dropout draws (which use the layer index there).
    public static let maskStream: UInt32 = 0x4D41_534B  // "MASK"

    /// One uniform draw.
    @inline(__always)
    public static func uniform(seed: UInt64, step: Int, image: Int, patch: Int, stream: UInt32 = maskStream) -> Float {
        Philox.uniform(Philox.draw(seed: seed, step: UInt32(truncatingIfNeeded: step), layer: stream,
                                   pass: UInt32(truncatingIfNeeded: image), element: UInt32(truncatingIfNeeded: patch)))
    }

    /// `patches` draws for each of `images`, `[images.count][patches]`.
    public static func draws(seed: UInt64, step: Int, images: [Int], patches: Int, stream: UInt32 = maskStream) -> [[Float]] {
        images.map { image in (0..<patches).map { uniform(seed: seed, step: step, image: image, patch: $0, stream: stream) } }
    }
}
