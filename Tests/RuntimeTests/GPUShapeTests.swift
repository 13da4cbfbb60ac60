import XCTest
@testable import U2ADRuntime

/// The kernels as an NVIDIA GPU would build and launch them, checked on whatever OpenCL device CI has (PoCL): every
/// program is built with `-cl-std=CL1.2` and a GPU's default parameters (``RuntimeSettings/tuneAs``), and each kernel
/// must fit NVIDIA's limits. `make test` also runs the op suites and the backend parity test with `U2AD_TUNE_AS=gpu`,
/// so the results are checked at a GPU's group sizes too.
final class GPUShapeTests: XCTestCase {
    /// Shared memory a work-group may use on NVIDIA GPUs without opting in, and work items per group.
    static let localMemoryLimit = 48 * 1024, workGroupLimit = 1024

    func testEveryKernelWithAGPUsParametersFitsNVIDIALimits() throws {
        guard let device = openCLDeviceForTests else { throw XCTSkip("no OpenCL device") }
        var settings = RuntimeSettings.current
        settings.tuneAs = .gpu
        settings.gemmTiles = nil
        settings.tuning = TuningTable()
        let backend = try OpenCLBackend(device: device, settings: settings)
        try backend.prepare(headDims: [8, 16])
        for op in allOps {
            for item in op.benchmarks(batch: 1) { try item.setUp(backend)() }
        }
        try backend.synchronize()
        XCTAssertGreaterThan(backend.compiler.built.count, 30, "every op's kernels, the model's GEMM forms included")
        for (kernel, defines) in backend.compiler.built {
            let what = "\(kernel.name) \(defines)"
            XCTAssertLessThanOrEqual(kernel.localMemoryBytes, Self.localMemoryLimit, what)
            XCTAssertLessThanOrEqual(kernel.largestGroupLaunched, Self.workGroupLimit, what)
            XCTAssertLessThanOrEqual(kernel.largestGroupLaunched, kernel.maxWorkGroupSize, what)
        }
        let gemm = backend.compiler.built.filter { $0.kernel.name == "gemm" }
        XCTAssertTrue(gemm.allSatisfy { $0.defines.contains("-DWPT_M=8 -DWPT_N=8 -DDOUBLE_BUFFER=1") }, "GEMM with a GPU's 8x8 register blocks")
        XCTAssertTrue(gemm.contains { $0.kernel.largestGroupLaunched == 128 }, "GEMM launched with a GPU's 128-item groups")
    }

    /// The probes `u2ad-bench parity` runs on a device agree with the CPU backend here (PoCL), within its tolerance.
    func testParityProbesAgreeWithTheCPUBackend() throws {
        let backends = try backendsUnderTest()
        guard backends.count == 2 else { throw XCTSkip("no OpenCL device") }
        for probe in ParityProbes.all {
            let difference = ParityProbes.relativeDifference(try probe.run(backends[1]), try probe.run(backends[0]))
            XCTAssertLessThanOrEqual(difference, TuningSearch.tolerance, probe.name)
        }
    }

    /// `u2ad tune`'s search keeps a candidate that agrees with the CPU backend and leaves the ops it did not search out.
    func testTuningSearchKeepsACorrectCandidate() throws {
        guard let device = openCLDeviceForTests else { throw XCTSkip("no OpenCL device") }
        var lines: [String] = []
        let entry = try TuningSearch(device: device, settings: RuntimeSettings(), batch: 1, seconds: 0.01) { lines.append($0) }.run(ops: ["layernorm"])
        XCTAssertEqual(entry.device, device.name)
        XCTAssertEqual(entry.vendor, device.vendor)
        let chosen = try XCTUnwrap(entry.layerNorm)
        XCTAssertTrue(TuningSearch.layerNormCandidates(for: device.type).contains(chosen))
        XCTAssertNil(entry.gemm)
        XCTAssertNil(entry.attention)
        XCTAssertTrue(lines.contains { $0.hasPrefix("layernorm: ") }, "\(lines)")
    }

    /// Every candidate `u2ad tune` may try on a GPU, and every default, fits the limits by arithmetic.
    func testTuningCandidatesFitNVIDIALimits() {
        for type in [OpenCLDeviceType.gpu, .cpu, .accelerator, .other] {
            for tiles in TuningSearch.gemmCandidates(for: type) + [GEMM.defaults(for: type)] {
                XCTAssertTrue(tiles.isValid, "\(tiles)")
                XCTAssertLessThanOrEqual(tiles.localMemoryBytes, Self.localMemoryLimit, "\(tiles)")
                XCTAssertLessThanOrEqual(tiles.workGroupSize, Self.workGroupLimit, "\(tiles)")
            }
            for tiles in TuningSearch.attentionCandidates(for: type) + [Attention.defaults(for: type)] { XCTAssertTrue(tiles.isValid, "\(tiles)") }
            for tiles in TuningSearch.layerNormCandidates(for: type) + [LayerNorm.defaults(for: type)] { XCTAssertTrue(tiles.isValid, "\(tiles)") }
        }
    }

    /// The tuning table: an entry is found by vendor, name and type; a bad value is one error naming it.
    func testTuningTableEntriesAndErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("u2ad-tuning-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("tuning.json")
        let gemm = GEMMTiles(tileM: 64, tileN: 64, tileK: 16, workPerThreadM: 4, workPerThreadN: 8, doubleBuffer: true)
        let entry = TuningTable.Entry(vendor: "V", device: "D", type: "gpu", gemm: gemm, layerNorm: LayerNormTiles(groupSize: 64))
        try TuningTable(entries: [entry]).replacing(entry).write(to: url)
        let table = try TuningTable.read(url)
        XCTAssertEqual(table.entries, [entry])
        let settings = try RuntimeSettings(environment: ["U2AD_TUNING": url.path])
        XCTAssertEqual(settings.tuning, table)
        XCTAssertEqual(settings.tuningFile, url)
        if let device = openCLDeviceForTests {
            var matching = settings
            matching.tuning = TuningTable(entries: [TuningTable.Entry(vendor: device.vendor, device: device.name, type: device.type.rawValue, gemm: gemm)])
            let tuning = DeviceTuning(device: device, settings: matching)
            XCTAssertEqual(tuning.gemm, gemm)
            XCTAssertEqual(tuning.attention, Attention.defaults(for: device.type), "an op the entry leaves out takes the type's defaults")
            XCTAssertTrue(tuning.source.hasPrefix("entry for"), tuning.source)
            XCTAssertTrue(DeviceTuning(device: device, settings: RuntimeSettings()).source.hasSuffix("defaults"))
        }
        try Data(#"{"entries": [{"vendor": "V", "device": "D", "type": "gpu", "gemm": {"tileM": 64, "tileN": 64, "tileK": 16, "workPerThreadM": 3, "workPerThreadN": 4, "doubleBuffer": false}}]}"#.utf8)
            .write(to: url)
        XCTAssertThrowsError(try RuntimeSettings(environment: ["U2AD_TUNING": url.path])) { error in
            XCTAssertTrue("\(error)".contains("U2AD_TUNING") && "\(error)".contains(url.path) && "\(error)".contains("gemm"), "\(error)")
        }
        XCTAssertEqual(try RuntimeSettings(environment: ["U2AD_TUNING": folder.appendingPathComponent("none.json").path]).tuning, TuningTable(),
                       "a table u2ad tune has not written yet is empty")
        try Data("not json".utf8).write(to: url)
        XCTAssertThrowsError(try RuntimeSettings(environment: ["U2AD_TUNING": url.path])) { error in
            XCTAssertTrue("\(error)".contains(url.path), "\(error)")
        }
        XCTAssertThrowsError(try RuntimeSettings(environment: ["U2AD_TUNE_AS": "tpu"])) { error in
            XCTAssertTrue("\(error)".contains("U2AD_TUNE_AS") && "\(error)".contains("tpu"), "\(error)")
        }
    }
}
