import Foundation
import U2ADModel

/// The epistemic (variance) and aleatoric (reconstruction error) pixel maps of one slice, `[S * S]`.
public struct SliceUncertainty: Sendable {
    public var variance: [Float]
    public var error: [Float]

    public init(variance: [Float], error: [Float]) {
        self.variance = variance
        self.error = error
    }
}

/// Computes the uncertainty maps of every slice with the model's current weights and the given MC inference settings.
public typealias UncertaintySource = (_ model: UGMAE, _ slices: [SliceSample], _ options: UncertaintyOptions) throws -> [SliceUncertainty]

/// The current uncertainty of the whole training set reduced to what masking needs: per-patch sums.
public struct UncertaintySums: Sendable, Equatable {
    /// Epoch before which the maps were generated.
    public var epoch: Int
    /// Per slice, per patch: sum of the variance map.
    public var variance: [[Float]]
    /// Per slice, per patch: sum of the error map after the structure mask and `process_error`.
    public var error: [[Float]]
    /// Mean over slices of each map's sum (the reference's `calculate_average_summation`, unfiltered error).
    public var meanVariance: Double
    public var meanError: Double

    public init(epoch: Int, variance: [[Float]], error: [[Float]], meanVariance: Double, meanError: Double) {
        self.epoch = epoch
        self.variance = variance
        self.error = error
        self.meanVariance = meanVariance
        self.meanError = meanError
    }

    /// Reduces pixel maps; throws when a map is missing, has the wrong size or holds NaN.
    public init(maps: [SliceUncertainty], set: TrainingSet, configuration: UGMAEConfiguration,
                filtering: ErrorFiltering.Settings, epoch: Int) throws {
        let size = configuration.imageSize, patch = configuration.patchSize
        guard maps.count == set.count else {
            throw PipelineError.badOption("uncertainty maps", "\(maps.count) maps for \(set.count) slices")
        }
        var variance: [[Float]] = [], error: [[Float]] = []
        var varianceTotal = 0.0, errorTotal = 0.0
        for (map, slice) in zip(maps, set.slices) {
            guard map.variance.count == size * size, map.error.count == size * size else {
                throw PipelineError.badFile(slice.origin.description, "uncertainty maps hold \(map.variance.count) and \(map.error.count) values, expected \(size * size)")
            }
            guard map.variance.allSatisfy({ $0.isFinite }), map.error.allSatisfy({ $0.isFinite }) else {
                throw PipelineError.badFile(slice.origin.description, "uncertainty maps contain NaN or infinite values (has training diverged?)")
            }
            variance.append(PatchSums.of(map.variance, size: size, patch: patch))
            let filtered = ErrorFiltering.aleatoricMap(map.error, labels: slice.labels, size: size, settings: filtering)
            error.append(PatchSums.of(filtered, size: size, patch: patch))
            varianceTotal += map.variance.reduce(0.0) { $0 + Double($1) }
            errorTotal += map.error.reduce(0.0) { $0 + Double($1) }
        }
        self.init(epoch: epoch, variance: variance, error: error,
                  meanVariance: varianceTotal / Double(max(maps.count, 1)), meanError: errorTotal / Double(max(maps.count, 1)))
    }
}
