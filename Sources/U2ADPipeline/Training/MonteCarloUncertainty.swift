import U2ADModel

/// The uncertainty source of adaptation: MC inference (``UncertaintyMaps``) with the settings of the
/// reference's `variance_generate.py` (``UncertaintyOptions/adaptation``), epistemic map = per-pixel variance,
/// aleatoric = |image - mean|.
public enum MonteCarloUncertainty {
    /// A source running ``UncertaintyMaps/compute(model:slices:options:communicator:progress:)``, sharded over the
    /// ranks of `communicator` (every rank gets every map).
    public static func source(communicator: Communicator = SingleProcess(), progress: ((String) -> Void)? = nil) -> UncertaintySource {
        { model, slices, options in
            try UncertaintyMaps.compute(model: model, slices: slices, options: options, communicator: communicator, progress: progress)
                .map { SliceUncertainty(variance: $0.epistemic, error: $0.aleatoric) }
        }
    }
}
