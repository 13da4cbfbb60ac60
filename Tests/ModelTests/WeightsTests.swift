import Foundation
import XCTest
import U2ADRandom
import U2ADData
@testable import U2ADModel
@testable import U2ADRuntime

final class WeightsTests: XCTestCase {
    let configuration = UGMAEConfiguration(depth: 1, decoderDepth: 1)

    func temporaryURL(_ name: String) -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("u2ad-weights-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(name)
    }

    func testRoundTripGivesIdenticalBytes() throws {
        let model = try UGMAE(configuration: configuration, backend: CPUBackend())
        try model.initializeRandomly(key: RandomKey(seed: 3))
        let first = temporaryURL("a.safetensors"), second = temporaryURL("b.safetensors")
        try model.save(to: first)
        let reloaded = try UGMAE(configuration: configuration, backend: CPUBackend())
        try reloaded.load(from: first)
        try reloaded.save(to: second)
        XCTAssertEqual(try Data(contentsOf: first), try Data(contentsOf: second))
        XCTAssertEqual(try reloaded.parameters.get("blocks.0.attn.qkv.weight"), try model.parameters.get("blocks.0.attn.qkv.weight"))
    }

    func testBadWeightsGiveErrorsNamingTheTensor() throws {
        let model = try UGMAE(configuration: configuration, backend: CPUBackend())
        try model.initializeRandomly(key: RandomKey(seed: 4))
        var tensors = try model.stateDict()

        let wrongShape = temporaryURL("shape.safetensors")
        let i = tensors.firstIndex { $0.name == "blocks.0.attn.qkv.weight" }!
        tensors[i] = (name: tensors[i].name, shape: [384, 64], values: Array(tensors[i].values[0..<(384 * 64)]))
        try SafeTensorsFile.write(tensors, to: wrongShape)
        XCTAssertThrowsError(try model.load(from: wrongShape)) { XCTAssertTrue("\($0)".contains("'blocks.0.attn.qkv.weight' has shape [384, 64]"), "\($0)") }

        let missing = temporaryURL("missing.safetensors")
        try SafeTensorsFile.write(try model.stateDict().filter { $0.name != "norm.bias" }, to: missing)
        XCTAssertThrowsError(try model.load(from: missing)) { XCTAssertTrue("\($0)".contains("missing tensor 'norm.bias'"), "\($0)") }

        let extra = temporaryURL("extra.safetensors")
        try SafeTensorsFile.write(try model.stateDict() + [(name: "head.weight", shape: [2], values: [1, 2]),
                                                       (name: "rec_blocks.0.norm1.weight", shape: [2], values: [1, 2])], to: extra)
        XCTAssertThrowsError(try model.load(from: extra)) { XCTAssertTrue("\($0)".contains("unknown tensor 'head.weight'"), "\($0)") }

        let truncated = temporaryURL("truncated.safetensors")
        let good = temporaryURL("good.safetensors")
        try model.save(to: good)
        let bytes = try Data(contentsOf: good)
        try bytes.prefix(bytes.count - 100).write(to: truncated)
        XCTAssertThrowsError(try model.load(from: truncated)) { XCTAssertTrue("\($0)".contains("truncated.safetensors"), "\($0)") }
    }

    /// The reference checkpoint's unused tensors are accepted.
    func testReferenceExtrasAreIgnored() throws {
        let model = try UGMAE(configuration: configuration, backend: CPUBackend())
        try model.initializeRandomly(key: RandomKey(seed: 5))
        let url = temporaryURL("reference.safetensors")
        try SafeTensorsFile.write(try model.stateDict() + [(name: "operator.filter.weight", shape: [2, 1, 3, 3], values: [Float](repeating: 1, count: 18)),
                                                       (name: "edge_blocks.2.mlp.fc1.bias", shape: [256], values: [Float](repeating: 0, count: 256))], to: url)
        XCTAssertNoThrow(try model.load(from: url))
    }

    func testPositionalEmbeddingMatchesFixture() throws {
        let weights = try SafeTensorsFile.read(fixtureURL("model/weights.safetensors"))
        assertClose(sinCosPositionalEmbedding(width: 128, grid: 32), try weights.doubles("pos_embed"), 2e-6, "pos_embed")
        assertClose(sinCosPositionalEmbedding(width: 64, grid: 32), try weights.doubles("decoder_pos_embed"), 2e-6, "decoder_pos_embed")
    }
}
