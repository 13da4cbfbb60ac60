import Foundation
import XCTest
import U2ADRandom
import U2ADData
import U2ADModel
import U2ADRuntime

/// The configuration's ranges (docs/limits.md): every configuration that once crashed the model has a problem naming
/// the field, and no configuration, however absurd, traps before the problem is found.
final class ConfigurationLimitsTests: XCTestCase {
    func testCrashConfigurationsHaveAProblemNamingTheField() throws {
        let base = UGMAEConfiguration(depth: 2, decoderDepth: 2)
        XCTAssertNil(base.problem)
        XCTAssertNil(UGMAEConfiguration().problem, "the reference's configuration")
        var cases: [(UGMAEConfiguration, String)] = []
        func with(_ change: (inout UGMAEConfiguration) -> Void, _ field: String) {
            var c = base
            change(&c)
            cases.append((c, field))
        }
        with({ $0.mlpRatio = 1 << 62 }, "mlpRatio")
        with({ $0.decoderEmbedDim = 1 << 62 }, "decoderEmbedDim")
        with({ $0.imageSize = 1 << 40 }, "imageSize")
        with({ $0.embedDim = 130; $0.heads = 2 }, "embedDim")        // passed the old check, trapped in the sin-cos table
        with({ $0.depth = 1 << 20 }, "depth")
        with({ $0.embedDim = 1 << 40; $0.heads = 1 }, "embedDim")
        with({ $0.patchSize = 0 }, "patchSize")
        with({ $0.patchSize = 7 }, "patchSize")                       // does not divide 256
        with({ $0.imageSize = 1024; $0.patchSize = 4 }, "patchSize")   // 65,536 patches
        with({ $0.heads = 3 }, "heads")
        with({ $0.decoderHeads = 0 }, "decoderHeads")
        with({ $0.depth = 64; $0.embedDim = 4096; $0.heads = 16; $0.mlpRatio = 16 }, "parameters")
        for (configuration, field) in cases {
            XCTAssertEqual(configuration.problem?.field, field, "\(configuration)")
            XCTAssertThrowsError(try UGMAE(configuration: configuration, backend: CPUBackend())) { error in
                XCTAssertTrue("\(error)".contains(field), "\(error)")
            }
        }
    }

    /// Random configurations from small to absurd values: `problem` never traps; those without one build a model
    /// whose tables have the declared shapes (the small ones are allocated).
    func testRandomConfigurationsNeverTrap() throws {
        var random = RandomKey(seed: 31).split(.testData).stream()
        let values = [0, 1, 2, 3, 4, 8, 12, 16, 32, 64, 128, 130, 256, 1024, 4096, 65_536, Int(Int32.max), 1 << 40, 1 << 62, Int.max, -1, Int.min]
        func draw() -> Int { values[Int(random.next() % UInt64(values.count))] }
        var valid = 0
        for _ in 0..<3000 {
            // A small valid configuration with one to three fields drawn from the values above.
            var fields = [64, 16, 32, 1, 4, 16, 1, 2, 2]
            for _ in 0..<(1 + random.next() % 3) { fields[Int(random.next() % 9)] = draw() }
            let c = UGMAEConfiguration(imageSize: fields[0], patchSize: fields[1], embedDim: fields[2], depth: fields[3], heads: fields[4],
                                       decoderEmbedDim: fields[5], decoderDepth: fields[6], decoderHeads: fields[7], mlpRatio: fields[8])
            guard c.problem == nil else { continue }
            valid += 1
            XCTAssertLessThanOrEqual(c.parameterCount, UGMAEConfiguration.maximumParameters)
            if c.parameterCount < 300_000, c.patchCount <= 1024 {
                let model = try UGMAE(configuration: c, backend: CPUBackend())
                XCTAssertEqual(model.positionalEmbedding.count, (1 + c.patchCount) * c.embedDim)
            }
        }
        XCTAssertGreaterThan(valid, 0)
    }

    /// The tensor shapes of a file are checked against the configuration before a model exists.
    func testTensorShapesAreCheckedBeforeTheModel() throws {
        let small = UGMAEConfiguration(patchSize: 16, embedDim: 32, depth: 1, heads: 4, decoderEmbedDim: 32, decoderDepth: 1, decoderHeads: 4)
        let model = try UGMAE(configuration: small, backend: CPUBackend())
        let url = try temporaryFolder(self, "shapes").appendingPathComponent("w.safetensors")
        try model.save(to: url)
        let file = try SafeTensorsFile.read(url)
        XCTAssertNoThrow(try UGMAE.checkTensors(file, configuration: small, name: "w.safetensors"))
        var deeper = small
        deeper.depth = 3
        XCTAssertThrowsError(try UGMAE.checkTensors(file, configuration: deeper, name: "w.safetensors")) { error in
            XCTAssertEqual("\(error)", "w.safetensors: missing tensor 'blocks.1.norm1.weight'")
        }
        var wider = small
        wider.mlpRatio = 2
        XCTAssertThrowsError(try UGMAE.checkTensors(file, configuration: wider, name: "w.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("'blocks.0.mlp.fc1.weight' has shape [128, 32], expected [64, 32]"), "\(error)")
        }
    }

    func testModelBeyondTheMemoryLeftIsRefused() throws {
        guard MemoryCheck.available(on: CPUBackend()) != nil else { throw XCTSkip("available memory unknown") }
        XCTAssertThrowsError(try MemoryCheck.check(Int.max / 2, for: "a model", backend: CPUBackend())) { error in
            XCTAssertTrue("\(error)".hasPrefix("a model needs"), "\(error)")
        }
    }
}
