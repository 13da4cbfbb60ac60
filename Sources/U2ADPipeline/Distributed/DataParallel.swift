import Foundation
import U2ADModel
import U2ADRuntime

/// One data-parallel step's pass, as every rank ends it: the whole batch's losses, the whole batch's gradient in the
/// parameter arena, and this rank's own head outputs.
struct SharedPass {
    var intensity: Double
    var edge: Double
    var total: Double { 10 * intensity + edge }
    /// This rank's head outputs (patchified), empty when its share of the batch was empty.
    var heads: (intensity: [Float], edge: [Float])
    /// Seconds this rank waited for the slowest rank to finish its share.
    var waitSeconds: Double
    /// Seconds spent summing the gradients and losses over the ranks, once all had arrived.
    var exchangeSeconds: Double
}

extension Trainer {
    /// Forward, loss and backward over this rank's `share` of the batch (whose mask is `mask`, drawn for the whole
    /// batch); then, once every rank has arrived, the gradient arena and the losses summed over the ranks (one
    /// all-reduce each). The loss of a share is normalised by the whole batch, so the sum is the whole batch's
    /// gradient: every rank then takes the same Adam step. On one rank this is exactly the single-process step.
    func passOverShare(_ share: Range<Int>, of mask: PatchMask, images: [Float], patchedImages: [Float], patchedEdges: [Float],
                       patchedROIs: [Float], epoch: Int) throws -> SharedPass {
        var pass = SharedPass(intensity: 0, edge: 0, heads: ([], []), waitSeconds: 0, exchangeSeconds: 0)
        if share.isEmpty {
            try model.parameters.zeroGradients()
        } else {
            let localMask = share.count == mask.batch ? mask : try PatchMask(hidden: Array(mask.hidden[share]))
            try model.forward(workspace, images: images, mask: localMask)
            pass.heads = try model.headOutputs(workspace)
            let loss = ReconstructionLoss.evaluate(intensity: pass.heads.intensity, edge: pass.heads.edge, images: patchedImages,
                                                   edgeTargets: patchedEdges, rois: patchedROIs, mask: localMask, grid: options.model.grid,
                                                   epoch: epoch, wholeBatch: mask.batch)
            try model.backward(workspace, intensityGradient: loss.intensityGradient, edgeGradient: loss.edgeGradient)
            (pass.intensity, pass.edge) = (loss.intensity, loss.edge)
        }
        guard communicator.size > 1 else { return pass }
        let start = ProcessInfo.processInfo.systemUptime
        try communicator.waitForAll()
        let arrived = ProcessInfo.processInfo.systemUptime
        try communicator.sum(model.parameters.gradients, on: backend)
        var losses = [pass.intensity, pass.edge]
        try communicator.reduce(&losses, .sum)
        (pass.intensity, pass.edge) = (losses[0], losses[1])
        pass.waitSeconds = arrived - start
        pass.exchangeSeconds = ProcessInfo.processInfo.systemUptime - arrived
        return pass
    }
}
