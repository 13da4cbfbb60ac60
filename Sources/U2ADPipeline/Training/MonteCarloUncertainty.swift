import U2ADModel

/// The uncertainty source of adaptation: MC inference (``UncertaintyMaps``) with the settings of the
/// reference's `variance_generate.py` (ROI = labels {3, 4, 6}, not eroded; image min-max normalised;
/// K passes per patch at the given ratio), epistemic map = per-pixel variance, aleatoric = |image - mean|.
public enum MonteCarloUncertainty {
    /// The inference options for one request.
    public static func options(for request: UncertaintyRequest) -> UncertaintyOptions {
        var options = UncertaintyOptions.adaptation
        options.k = request.passes
        options.ratio = request.ratio
        options.roiLabels = request.labels
        options.seed = request.seed
        options.schedule = request.schedule
        return options
    }

    /// A source running ``UncertaintyMaps/compute(model:slices:options:progress:)``.
    public static func source(progress: ((String) -> Void)? = nil) -> UncertaintySource {
        { model, slices, request in
            try UncertaintyMaps.compute(model: model, slices: slices, options: options(for: request), progress: progress)
                .map { SliceUncertainty(variance: $0.epistemic, error: $0.aleatoric) }
        }
    }
}
