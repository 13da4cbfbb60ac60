import Foundation
import U2ADData
import U2ADModel

/// The training snapshot of `ada-train.py` (`save_image(..., nrow=3)`): a 2 x 3 grid of
/// image, masked image, reconstruction pasted into the hidden patches (top row), and
/// Sobel edge target, masked edge target, edge prediction pasted into the hidden patches (bottom row).
public enum TrainingSnapshot {
    /// Renders one image of a batch. `image`, `edgeTarget` are `[S * S]`; `intensity`, `edge` are the
    /// heads' patchified outputs `[L * P * P]`; `hidden[l]` marks the hidden patches.
    public static func render(image: [Float], edgeTarget: [Float], intensity: [Float], edge: [Float], hidden: [Bool],
                              configuration: UGMAEConfiguration) -> RGBImage {
        let size = configuration.imageSize, patch = configuration.patchSize
        func panels(_ target: [Float], _ prediction: [Float]) -> [RGBImage] {
            let patches = Patchify.patchify(target, size: size, patch: patch)
            let pixels = patch * patch
            var masked = patches, pasted = patches
            for (l, isHidden) in hidden.enumerated() where isHidden {
                for k in (l * pixels)..<((l + 1) * pixels) {
                    masked[k] = 0
                    pasted[k] = k < prediction.count ? prediction[k] : 0
                }
            }
            return [target, Patchify.unpatchify(masked, size: size, patch: patch), Patchify.unpatchify(pasted, size: size, patch: patch)]
                .map { RGBImage(gray: Image2D(rows: size, cols: size, pixels: $0.map { $0.isFinite ? $0 : 0 })) }
        }
        let gap = 2, background = RGB(40, 40, 40)
        return RGBImage.vstack([RGBImage.hstack(panels(image, intensity), gap: gap, background: background),
                                RGBImage.hstack(panels(edgeTarget, edge), gap: gap, background: background)],
                               gap: gap, background: background)
    }

    /// Renders and writes the PNG atomically.
    public static func write(to url: URL, image: [Float], edgeTarget: [Float], intensity: [Float], edge: [Float], hidden: [Bool],
                             configuration: UGMAEConfiguration) throws {
        try PNG.write(render(image: image, edgeTarget: edgeTarget, intensity: intensity, edge: edge, hidden: hidden,
                             configuration: configuration), to: url)
    }
}
