import XCTest
import U2ADData
@testable import U2ADModel
@testable import U2ADRuntime

/// Parity with fixtures made by `tools/reference/make_fixtures.py` (PyTorch + timm, float64 math from float32 inputs).
final class PyTorchParityTests: XCTestCase {
    func testTimmBlockParity() throws {
        for (file, dim, heads) in [("block/block.safetensors", 64, 8), ("block/block_d128.safetensors", 128, 16)] {
            let fixture = try SafeTensorsFile.read(fixtureURL(file))
            let shape = fixture.shape("x")!
            let (batch, tokens) = (shape[0], shape[1])
            let block = TransformerBlock(prefix: "", dim: dim, heads: heads, layer: 0)
            for backend in try backendsUnderTest() {
                let arena = try ParameterArena(backend: backend, tensors: block.parameterShapes)
                for (name, _) in block.parameterShapes { try arena.set(name, try fixture.floats("param." + name)) }
                let activations = try TransformerBlock.Activations(backend: backend, block: block, batch: batch, tokens: tokens)
                let scratch = try TransformerBlock.Scratch(backend: backend, dim: dim, hiddenDim: 4 * dim, rows: batch * tokens)
                let input = try backend.makeBuffer(try fixture.floats("x")), output = try backend.makeBuffer([batch * tokens * dim])
                try block.forward(input, into: output, batch: batch, tokens: tokens, parameters: arena, saving: activations, scratch: scratch)
                let tolerance = backend.kind == .cpu ? 1e-5 : 2e-5
                assertClose(try backend.download(output), try fixture.doubles("y"), tolerance, "\(backend.kind) \(file) forward")
                let gradInput = try backend.makeBuffer([batch * tokens * dim])
                try block.backward(try backend.makeBuffer(try fixture.floats("dy")), input: input, into: gradInput, batch: batch, tokens: tokens,
                               parameters: arena, saved: activations, scratch: scratch)
                assertClose(try backend.download(gradInput), try fixture.doubles("grad.x"), 1e-4, "\(backend.kind) \(file) grad x")
                for (name, _) in block.parameterShapes {
                    assertClose(try arena.getGradient(name), try fixture.doubles("grad." + name), 1e-4, "\(backend.kind) \(file) grad \(name)")
                }
            }
        }
    }

    private let fixtureConfiguration = UGMAEConfiguration(depth: 2, decoderDepth: 2)

    /// The reference UGMAE (depth 2 + 2, full widths) on a real clinical slice: head outputs,
    /// losses at epochs 1 and 0, and the gradient of the total loss for every parameter.
    func testUGMAEParityBatch1() throws {
        let expected = try SafeTensorsFile.read(fixtureURL("model/expected.safetensors"))
        let image = try expected.floats("image"), roi = try expected.floats("roi")
        let hidden = try expected.floats("masked_patches").map { $0 != 0 }
        let mask = try PatchMask(hidden: [hidden])
        let c = fixtureConfiguration
        assertClose(ReconstructionLoss.sobelEdges(image, size: 256), try expected.doubles("edge_target"), 1e-6, "Sobel edge target")
        for backend in try backendsUnderTest() {
            let model = try UGMAE(configuration: c, backend: backend)
            try model.load(from: fixtureURL("model/weights.safetensors"))
            let workspace = try UGMAE.Workspace(model: model, batch: 1, training: true)
            try model.forward(workspace, images: image, mask: mask)
            let (intensity, edge) = try model.headOutputs(workspace)
            assertClose(Patchify.unpatchify(intensity, size: 256, patch: 8), try expected.doubles("pred_intensity"), 1e-4, "\(backend.kind) intensity head")
            assertClose(Patchify.unpatchify(edge, size: 256, patch: 8), try expected.doubles("pred_edge"), 1e-4, "\(backend.kind) edge head")

            let patchedImage = Patchify.patchify(image, size: 256, patch: 8), patchedROI = Patchify.patchify(roi, size: 256, patch: 8)
            let patchedEdges = Patchify.patchify(ReconstructionLoss.sobelEdges(image, size: 256), size: 256, patch: 8)
            for (epoch, suffix) in [(1, ""), (0, "_epoch0")] {
                let loss = ReconstructionLoss.evaluate(intensity: intensity, edge: edge, images: patchedImage, edgeTargets: patchedEdges,
                                                       rois: patchedROI, mask: mask, grid: 32, epoch: epoch)
                XCTAssertEqual(loss.intensity, try expected.doubles("loss_intensity" + suffix)[0], accuracy: 1e-5 * loss.intensity, "\(backend.kind) intensity loss\(suffix)")
                XCTAssertEqual(loss.edge, try expected.doubles("loss_edge" + suffix)[0], accuracy: 1e-5 * loss.edge, "\(backend.kind) edge loss\(suffix)")
                XCTAssertEqual(loss.total, try expected.doubles("loss_total" + suffix)[0], accuracy: 1e-5 * loss.total, "\(backend.kind) total loss\(suffix)")
            }
            let loss = ReconstructionLoss.evaluate(intensity: intensity, edge: edge, images: patchedImage, edgeTargets: patchedEdges,
                                                   rois: patchedROI, mask: mask, grid: 32, epoch: 1)
            try model.backward(workspace, intensityGradient: loss.intensityGradient, edgeGradient: loss.edgeGradient)
            for (name, _) in UGMAE.trainableShapes(c) {
                assertClose(try model.parameters.getGradient(name), try expected.doubles("grad." + name), 1e-3, "\(backend.kind) grad \(name)")
            }
        }
    }

    /// Batch 2 with one shared visible count: outputs and the batch-wide loss normalisation.
    func testUGMAEParityBatch2() throws {
        let expected = try SafeTensorsFile.read(fixtureURL("model/expected_batch2.safetensors"))
        let images = try expected.floats("image"), rois = try expected.floats("roi")
        let hiddenFlat = try expected.floats("masked_patches").map { $0 != 0 }
        let mask = try PatchMask(hidden: [Array(hiddenFlat[0..<1024]), Array(hiddenFlat[1024...])])
        let backend = CPUBackend()
        let model = try UGMAE(configuration: fixtureConfiguration, backend: backend)
        try model.load(from: fixtureURL("model/weights.safetensors"))
        let workspace = try UGMAE.Workspace(model: model, batch: 2, training: false)
        try model.forward(workspace, images: images, mask: mask)
        let (intensity, edge) = try model.headOutputs(workspace)
        let expectedIntensity = try expected.doubles("pred_intensity")
        var ours: [Float] = [], patchedImages: [Float] = [], patchedROIs: [Float] = [], patchedEdges: [Float] = []
        for b in 0..<2 {
            let range = (b * 65536)..<((b + 1) * 65536)
            ours += Patchify.unpatchify(Array(intensity[range]), size: 256, patch: 8)
            let image = Array(images[range])
            patchedImages += Patchify.patchify(image, size: 256, patch: 8)
            patchedROIs += Patchify.patchify(Array(rois[range]), size: 256, patch: 8)
            patchedEdges += Patchify.patchify(ReconstructionLoss.sobelEdges(image, size: 256), size: 256, patch: 8)
        }
        assertClose(ours, expectedIntensity, 1e-4, "batch-2 intensity head")
        let loss = ReconstructionLoss.evaluate(intensity: intensity, edge: edge, images: patchedImages, edgeTargets: patchedEdges,
                                               rois: patchedROIs, mask: mask, grid: 32, epoch: 1)
        XCTAssertEqual(loss.total, try expected.doubles("loss_total")[0], accuracy: 1e-5 * loss.total)
    }

    func testUnequalVisibleCountsAreRejected() {
        var a = [Bool](repeating: false, count: 1024), b = a
        a[5] = true
        b[5] = true; b[6] = true
        XCTAssertThrowsError(try PatchMask(hidden: [a, b])) { XCTAssertTrue("\($0)".contains("same number")) }
    }
}
