import Foundation
import U2ADRandom

/// Seeded generator of 256x256 sagittal cervical-spine-like T2 slices in the reference layout
/// (see docs/phantom.md). Anterior is left, superior is top. Label legend: 0 background,
/// 1 disc, 2 vertebral body, 3 cord, 4 CSF, 6 T2 hyperintensity.
///
/// The anatomy, the confounders, the noise and the lesions use separate random streams, so the same key gives the
/// same patient with and without lesions.
public enum Phantom {

    /// Generates one slice: the patient of `key` with `options`' lesions. Every lesion must be valid
    /// (`CordLesion.invalidReason` is `nil`).
    public static func generate(key: RandomKey, options: PhantomOptions = PhantomOptions()) -> PhantomSample {
        for lesion in options.lesions {
            if let reason = lesion.invalidReason { preconditionFailure("Phantom.generate: \(reason)") }
        }
        var rng = key.split(.phantomAnatomy).stream()
        var anatomy = drawAnatomy(&rng, options: options)
        if let spondylosis = options.spondylosis { anatomy = spondylosis.adjusting(anatomy) }
        var builder = Builder(anatomy: anatomy, size: options.size, rng: &rng)
        if let spondylosis = options.spondylosis { builder.applySpondylosis(spondylosis) }
        var confounderRng = key.split(.phantomArtefacts).stream()
        builder.confounders = builder.drawConfounders(options.confounders, rng: &confounderRng)
        var lesionRng = key.split(.phantomLesions).stream()
        builder.placeLesions(options.lesions, rng: &lesionRng)
        var noiseRng = key.split(.phantomNoise).stream()
        var sample = builder.render(key: key, options: options, noiseRng: &noiseRng)
        if let spondylosis = options.spondylosis {
            sample.spondylosis = builder.labelMasses(&sample.slice.labels, spec: spondylosis)
        }
        return sample
    }

    /// `healthy` lesion-free patients then `lesioned` patients with lesions drawn from `lesionRanges`, each a
    /// different patient derived from `key`, all from the same anatomy and confounder distribution. Patient `i` is
    /// `generate(key: patientKey(i, in: key))`, so its lesion-free twin is one call away.
    public static func cohort(healthy: Int, lesioned: Int, key: RandomKey,
                              options: PhantomOptions = PhantomOptions(),
                              lesionRanges: CordLesionRanges = CordLesionRanges()) -> [PhantomSample] {
        (0..<(healthy + lesioned)).map { i in
            let patient = patientKey(i, in: key)
            var opt = options
            opt.lesions = []
            if i >= healthy {
                var random = patient.split(.phantomLesions).fold(in: 1).stream()
                opt.lesions = lesionRanges.draw(&random)
            }
            return generate(key: patient, options: opt)
        }
    }

    /// The key of patient `index` of a cohort drawn from `key`.
    public static func patientKey(_ index: Int, in key: RandomKey) -> RandomKey {
        key.split(.phantomCohort).fold(in: index)
    }
}
