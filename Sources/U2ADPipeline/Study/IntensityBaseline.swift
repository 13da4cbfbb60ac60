/// The one-line baseline: the image itself, scored inside the cord region against the slice's typical cord intensity.
///
/// Its "reconstruction" is the median of the region's intensities, so that with the scoring's positive residual and
/// per-slice robust z-score the anomaly of a pixel is `(I - median) / (1.4826 MAD)` of the slice's cord, the robust
/// z-score of intensity, and it goes through the same curve, segments and calibration as the network's maps.
public enum IntensityBaseline {
    /// Maps of one slice in the region of `options` (the same region MC inference would mask).
    public static func maps(of slice: SliceSample, options: UncertaintyOptions, patchSize: Int) -> SliceMaps {
        let size = slice.size
        let image = options.normalizeImage ? UncertaintyMaps.minMaxNormalized(slice.image) : slice.image
        let region = MaskingRegion(labels: slice.labels, size: size, patchSize: patchSize, roiLabels: Set(options.roiLabels), erode: options.erodeROI)
        let inside = image.indices.filter { region.pixels[$0] != 0 }.map { Double(image[$0]) }
        let skipped = region.patches.count < options.minimumROIPatches
        let typical = inside.isEmpty ? 0 : Float(AnomalyMap.median(inside))
        var reconstruction = image, aleatoric = [Float](repeating: 0, count: image.count)
        for i in image.indices where region.pixels[i] != 0 && !skipped {
            reconstruction[i] = typical
            aleatoric[i] = abs(image[i] - typical)
        }
        return SliceMaps(name: slice.name, size: size, image: image, region: region.pixels, reconstruction: reconstruction,
                         epistemic: [Float](repeating: 0, count: image.count), aleatoric: aleatoric, roiPatches: region.patches.count,
                         passes: 0, hiddenPerPass: 0, samplesPerPatch: 0...0, skipped: skipped)
    }
}
