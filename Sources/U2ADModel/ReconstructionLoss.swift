import Foundation

/// The reference's training loss, computed on the host from the two heads' outputs.
///
/// Predictions are pasted inside the ROI pixels (the target is kept outside), the squared error of each
/// hidden patch is averaged over its pixels and weighted by a 3x3 average pool of the patch mask
/// (`1 + pool`, or `2 - pool` at epoch 0), then averaged over the hidden patches of the batch.
/// `total = 10 x intensity + edge`.
public enum ReconstructionLoss {
    public struct Result {
        public var intensity: Double
        public var edge: Double
        public var total: Double { 10 * intensity + edge }
        /// dTotal / d(intensity head output), patchified `[B, L, P*P]`.
        public var intensityGradient: [Float]
        /// dTotal / d(edge head output), patchified.
        public var edgeGradient: [Float]
    }

    /// Sobel magnitude with replicate padding, clamped at 1 (the reference's edge target).
    public static func sobelEdges(_ image: [Float], size: Int) -> [Float] {
        var edges = [Float](repeating: 0, count: size * size)
        @inline(__always) func at(_ y: Int, _ x: Int) -> Double {
            Double(image[min(max(y, 0), size - 1) * size + min(max(x, 0), size - 1)])
        }
        for y in 0..<size {
            for x in 0..<size {
                let gx = -at(y - 1, x - 1) + at(y - 1, x + 1) - 2 * at(y, x - 1) + 2 * at(y, x + 1) - at(y + 1, x - 1) + at(y + 1, x + 1)
                let gy = at(y - 1, x - 1) + 2 * at(y - 1, x) + at(y - 1, x + 1) - at(y + 1, x - 1) - 2 * at(y + 1, x) - at(y + 1, x + 1)
                edges[y * size + x] = Float(min((gx * gx + gy * gy).squareRoot(), 1))
            }
        }
        return edges
    }

    /// Per-patch structure weight: `1 + pool` (epoch > 0) or `2 - pool` (epoch 0) of the hidden-patch grid.
    public static func structureWeights(_ hidden: [Bool], grid: Int, epoch: Int) -> [Double] {
        var weights = [Double](repeating: 0, count: grid * grid)
        for r in 0..<grid {
            for c in 0..<grid {
                var sum = 0.0
                for dr in -1...1 {
                    for dc in -1...1 {
                        let rr = r + dr, cc = c + dc
                        if rr >= 0, rr < grid, cc >= 0, cc < grid, hidden[rr * grid + cc] { sum += 1 }
                    }
                }
                let pool = sum / 9
                weights[r * grid + c] = epoch > 0 ? 1 + pool : 2 - pool
            }
        }
        return weights
    }

    /// Losses and gradients for one batch. `images`, `rois`, `edgeTargets` are patchified `[B, L, P*P]`.
    /// `wholeBatch`: when these images are one rank's share of a larger batch (data-parallel training), the image count
    /// of the whole batch, over whose hidden patches the loss is averaged, so that the shares' losses and gradients
    /// add up to the whole batch's.
    public static func evaluate(intensity: [Float], edge: [Float], images: [Float], edgeTargets: [Float], rois: [Float],
                                mask: PatchMask, grid: Int, epoch: Int, wholeBatch: Int? = nil) -> Result {
        let pixels = intensity.count / max(mask.batch * mask.patchCount, 1)
        let hiddenTotal = Double((wholeBatch ?? mask.batch) * mask.maskedCount)
        var gradIntensity = [Float](repeating: 0, count: intensity.count)
        var gradEdge = [Float](repeating: 0, count: edge.count)
        var lossIntensity = 0.0, lossEdge = 0.0
        for b in 0..<mask.batch {
            let weights = structureWeights(mask.hidden[b], grid: grid, epoch: epoch)
            for l in mask.masked[b] {
                let base = (b * mask.patchCount + l) * pixels
                var sumIntensity = 0.0, sumEdge = 0.0
                let scale = weights[l] / Double(pixels) / hiddenTotal
                for k in base..<(base + pixels) {
                    let m = Double(rois[k])
                    let di = m * (Double(intensity[k]) - Double(images[k]))
                    let de = m * (Double(edge[k]) - Double(edgeTargets[k]))
                    sumIntensity += di * di
                    sumEdge += de * de
                    gradIntensity[k] = Float(10 * scale * 2 * di * m)
                    gradEdge[k] = Float(scale * 2 * de * m)
                }
                lossIntensity += weights[l] * sumIntensity / Double(pixels)
                lossEdge += weights[l] * sumEdge / Double(pixels)
            }
        }
        return Result(intensity: lossIntensity / hiddenTotal, edge: lossEdge / hiddenTotal,
                      intensityGradient: gradIntensity, edgeGradient: gradEdge)
    }
}
