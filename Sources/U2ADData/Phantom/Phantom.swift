import Foundation
import U2ADRandom

/// Seeded generator of 256x256 sagittal cervical-spine-like T2 slices in the reference layout
/// (see docs/phantom.md). Anterior is left, superior is top. Label legend: 0 background,
/// 1 disc, 2 vertebral body, 3 cord, 4 CSF, 6 T2 hyperintensity.
///
/// The anatomy, the noise and the lesions use separate random streams, so the same seed gives
/// the same patient with and without lesions.
public enum Phantom {

    /// Generates one slice: the patient of `key` with `options`' lesions.
    public static func generate(key: RandomKey, options: PhantomOptions = PhantomOptions()) -> PhantomSample {
        var rng = key.split(.phantomAnatomy).stream()
        var anatomy = drawAnatomy(&rng, options: options)
        if let spondylosis = options.spondylosis { anatomy = spondylosis.adjusting(anatomy) }
        var builder = Builder(anatomy: anatomy, size: options.size, rng: &rng)
        if let spondylosis = options.spondylosis { builder.applySpondylosis(spondylosis) }
        var lesionRng = key.split(.phantomLesions).stream()
        builder.placeLesions(options.lesions, rng: &lesionRng)
        var noiseRng = key.split(.phantomNoise).stream()
        var sample = builder.render(key: key, options: options, noiseRng: &noiseRng)
        if let spondylosis = options.spondylosis {
            sample.spondylosis = builder.labelMasses(&sample.slice.labels, spec: spondylosis)
        }
        return sample
    }

    /// `healthy` lesion-free slices then `lesioned` slices with random lesions, each a different
    /// patient derived from `key`.
    public static func cohort(healthy: Int, lesioned: Int, key: RandomKey,
                              options: PhantomOptions = PhantomOptions(),
                              lesionRanges: PhantomLesionRanges = PhantomLesionRanges()) -> [PhantomSample] {
        var out: [PhantomSample] = []
        out.reserveCapacity(healthy + lesioned)
        for i in 0..<(healthy + lesioned) {
            let patient = key.split(.phantomCohort).fold(in: i)
            var opt = options
            opt.lesions = []
            if i >= healthy {
                var r = patient.split(.phantomLesions).fold(in: 1).stream()
                let n = r.int(in: lesionRanges.count)
                for _ in 0..<n {
                    opt.lesions.append(PhantomLesion(
                        area: r.uniform(lesionRanges.area.lowerBound, lesionRanges.area.upperBound),
                        aspect: r.uniform(lesionRanges.aspect.lowerBound, lesionRanges.aspect.upperBound),
                        contrast: r.uniform(lesionRanges.contrast.lowerBound, lesionRanges.contrast.upperBound)))
                }
            }
            out.append(generate(key: patient, options: opt))
        }
        return out
    }
}
