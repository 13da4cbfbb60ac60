import U2ADData

/// The per-slice figure: image | reconstruction | epistemic (jet) | aleatoric (hot) | overlay.
public enum DetectionPanel {
    /// Columns of background between tiles.
    public static let gap = 4

    /// The five tiles side by side. The epistemic and aleatoric tiles span 0 to the slice's maximum. The
    /// overlay blends the aleatoric map (hot) onto the image where it exceeds `pixelThreshold` (without one,
    /// the 90th percentile of the slice's non-zero aleatoric values), and outlines lesion-labelled pixels in green.
    public static func render(maps: SliceMaps, labels: [Float], lesionLabel: Int = 6, pixelThreshold: Double? = nil) throws -> RGBImage {
        let size = maps.size
        func image(_ values: [Float]) -> Image2D { Image2D(rows: size, cols: size, pixels: values) }
        func upper(_ values: [Float]) -> Float { max(values.max() ?? 0, 1e-12) }
        let gray = Colormap.gray.apply(image(maps.image))
        let reconstruction = Colormap.gray.apply(image(maps.reconstruction))
        let epistemic = Colormap.jet.apply(image(maps.epistemic), range: 0...upper(maps.epistemic))
        let aleatoric = Colormap.hot.apply(image(maps.aleatoric), range: 0...upper(maps.aleatoric))
        let cutoff = pixelThreshold ?? defaultPixelThreshold(maps.aleatoric)
        let highlighted = image(maps.aleatoric.map { Double($0) > cutoff && $0 > 0 ? 1 : 0 })
        var overlay = try Colormap.blend(base: gray, overlay: aleatoric, alpha: 0.7, mask: highlighted)
        let lesion = image(labels.map { labelValue($0) == lesionLabel ? 1 : 0 })
        let inner = Morphology.binaryErosion(lesion, iterations: 1, structure: .four)
        for i in 0..<(size * size) where lesion.pixels[i] != 0 && inner.pixels[i] == 0 {
            overlay.pixels[3 * i] = 0; overlay.pixels[3 * i + 1] = 255; overlay.pixels[3 * i + 2] = 0
        }
        return RGBImage.hstack([gray, reconstruction, epistemic, aleatoric, overlay], gap: gap, background: RGB(255, 255, 255))
    }

    /// The 90th percentile of the non-zero values (as the reference's `process_error`), or infinity without any.
    static func defaultPixelThreshold(_ values: [Float]) -> Double {
        let nonzero = values.filter { $0 > 0 }.map(Double.init).sorted()
        guard !nonzero.isEmpty else { return .infinity }
        let position = 0.9 * Double(nonzero.count - 1)
        let low = Int(position), high = min(low + 1, nonzero.count - 1)
        return nonzero[low] + (position - Double(low)) * (nonzero[high] - nonzero[low])
    }
}
