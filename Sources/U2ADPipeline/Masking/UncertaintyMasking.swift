import Foundation
import U2ADModel

/// Which way epistemic uncertainty pushes a patch.
public enum VarianceDirection: String, Codable, Sendable, CaseIterable {
    /// The reference's formula `W = -log(softmax(V / tau) + 1e-6)`: higher-variance patches get a
    /// slightly *lower* weight, so they are slightly more likely to stay visible.
    case reference
    /// The opposite, as the paper describes the intent: `W = -log(softmax(-V / tau) + 1e-6)`, so
    /// higher-variance patches are slightly more likely to be hidden.
    case maskHighVariance = "mask-high-variance"
}

/// The reference's `variance_masking` (epistemic, EU) and `variance_error_masking` (epistemic and
/// aleatoric, EU+AU).
///
/// With per-patch variance sums `V`, filtered-error sums `E` and the ROI term `M`:
/// ```
/// Vm = V * (M > 0);  Vm[E > 0] = 0 (EU+AU only)
/// S  = {(b, l) : Vm[b][l] != 0}                       (the whole batch)
/// W  = -log(exp(Vm / tau) / sum_S exp(Vm / tau) + 1e-6) on S, 0 elsewhere
/// score = u * W + M,  u uniform in [0, 1)
/// ```
/// then the visible count and selection of ``ReferenceMasking``. ROI patches with `W = 0` (no variance,
/// or filtered error > 0) score exactly `max(M)`, the lowest ROI score: they are always visible.
public enum UncertaintyMasking {
    /// The weights `W` (float32), `[B][L]`. Non-finite variance or error values count as 0.
    public static func weights(roiPixels: [[Float]], variance: [[Float]], error: [[Float]]? = nil, tau: Float = 1,
                               direction: VarianceDirection = .reference, threshold: Float = 0) -> [[Float]] {
        var masked = zip(roiPixels, variance).map { roi, v in
            zip(roi, v).map { r, value -> Float in value.isFinite ? value * (r > threshold ? 1 : 0) : 0 }
        }
        if let error {
            for b in masked.indices where b < error.count {
                for l in masked[b].indices where l < error[b].count && error[b][l] > 0 { masked[b][l] = 0 }
            }
        }
        let sign: Float = direction == .reference ? 1 : -1
        var total = 0.0
        for row in masked { for value in row where value != 0 { total += Double(Foundation.exp(sign * value / tau)) } }
        let sum = Float(total)
        return masked.map { row in
            row.map { value -> Float in
                guard value != 0 else { return 0 }
                let weight = -Foundation.log(Foundation.exp(sign * value / tau) / sum + Float(1e-6))
                return weight.isFinite ? weight : 0
            }
        }
    }

}
