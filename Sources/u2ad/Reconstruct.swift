import ArgumentParser
import Foundation
import U2ADData
import U2ADModel
import U2ADPipeline
import U2ADRuntime

struct Reconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the UGMAE once on a slice with given hidden patches; write both heads' raw outputs.",
        discussion: """
        Writes a float32 (2, 256, 256) .npy: channel 0 the intensity head, channel 1 the edge head, for every
        patch (not pasted), unpatchified. When the input has an ROI channel, prints the reference's losses for
        that mask at epoch 1.
        """)

    @Option(help: "Weights (.safetensors with the reference's state_dict names).")
    var weights: String
    @Option(help: "Slice .npy: (256, 256), or (3, 256, 256) = image, ROI mask, labels.")
    var input: String
    @Option(help: "Hidden patches .npy: 1024 values, shape (1024,) or (32, 32), nonzero = hidden from the encoder.")
    var maskedPatches: String
    @Option(help: "Output .npy path.")
    var output: String
    @OptionGroup var model: ModelShapeOptions
    @OptionGroup var backendOptions: BackendOptions

    func run() throws {
        do {
            try World.requireSingleProcess("u2ad reconstruct")
            let backend = try backendOptions.makeBackend()
            let network = try InferenceModel.load(weights: URL(fileURLWithPath: weights), backend: backend,
                                                  depth: model.depth, decoderDepth: model.decoderDepth)
            let slice = try SliceSample.load(URL(fileURLWithPath: input))
            let (maskShape, maskValues) = try NPY.readFloats(URL(fileURLWithPath: maskedPatches))
            let patches = network.configuration.patchCount
            guard maskValues.count == patches, maskShape == [patches] || maskShape == [network.configuration.grid, network.configuration.grid] else {
                throw PipelineError.badFile(maskedPatches, "shape \(maskShape), expected (\(patches),) or (\(network.configuration.grid), \(network.configuration.grid))")
            }
            let mask = try PatchMask(hidden: [maskValues.map { $0 != 0 }])
            let workspace = try UGMAE.Workspace(model: network, batch: 1, training: false)
            try network.forward(workspace, images: slice.image, mask: mask)
            let (intensity, edge) = try network.headOutputs(workspace)
            let c = network.configuration
            let out = Patchify.unpatchify(intensity, size: c.imageSize, patch: c.patchSize) + Patchify.unpatchify(edge, size: c.imageSize, patch: c.patchSize)
            try NPY.write(out, shape: [2, c.imageSize, c.imageSize], to: URL(fileURLWithPath: output))
            print("wrote \(output): (2, \(c.imageSize), \(c.imageSize)) float32, \(mask.maskedCount) patches hidden")
            if slice.roi.contains(where: { $0 != 0 }) {
                let loss = ReconstructionLoss.evaluate(
                    intensity: intensity, edge: edge,
                    images: Patchify.patchify(slice.image, size: c.imageSize, patch: c.patchSize),
                    edgeTargets: Patchify.patchify(ReconstructionLoss.sobelEdges(slice.image, size: c.imageSize), size: c.imageSize, patch: c.patchSize),
                    rois: Patchify.patchify(slice.roi, size: c.imageSize, patch: c.patchSize), mask: mask, grid: c.grid, epoch: 1)
                print(String(format: "loss (epoch 1): intensity %.8f  edge %.8f  total %.8f", loss.intensity, loss.edge, loss.total))
            }
        } catch { failAndExit(error) }
    }
}
