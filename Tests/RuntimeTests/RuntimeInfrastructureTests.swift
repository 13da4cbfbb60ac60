import Foundation
import XCTest
@testable import U2ADRuntime

final class RuntimeInfrastructureTests: XCTestCase {
    func testBackendOptionParsing() throws {
        XCTAssertEqual(try BackendRequest(parsing: "auto"), .auto)
        XCTAssertEqual(try BackendRequest(parsing: "CPU"), .cpu)
        XCTAssertEqual(try BackendRequest(parsing: "opencl"), .openCL(platform: nil, device: nil))
        XCTAssertEqual(try BackendRequest(parsing: "opencl:1:2"), .openCL(platform: 1, device: 2))
        XCTAssertThrowsError(try BackendRequest(parsing: "opencl:x")) { error in
            XCTAssertTrue("\(error)".contains("opencl:x"))
        }
    }

    /// `auto` never takes a CPU OpenCL device such as PoCL.
    func testAutoSkipsCPUOpenCLDevices() {
        let devices = OpenCLDevice.all()
        let pick = BackendSelector.autoPick(from: devices)
        if devices.allSatisfy({ $0.type == .cpu }) {
            XCTAssertNil(pick.device, pick.reason)
        } else {
            XCTAssertNotEqual(pick.device?.type, .cpu)
        }
    }

    func testPoolReusesBuffersAndTracksPeak() throws {
        let backend = CPUBackend()
        let before = backend.pool.bytesReserved
        do {
            let a = try backend.makeBuffer([1000])
            _ = a
            XCTAssertEqual(backend.pool.bytesInUse, 4000)
        }
        XCTAssertEqual(backend.pool.bytesInUse, 0)
        let reserved = backend.pool.bytesReserved
        _ = try backend.makeBuffer([990])
        XCTAssertEqual(backend.pool.bytesReserved, reserved, "a freed block of the same bucket must be reused")
        XCTAssertGreaterThan(reserved, before)
        XCTAssertGreaterThanOrEqual(backend.pool.peakBytesInUse, 4000)
    }

    func testOversizedAllocationIsRefusedWithAClearMessage() throws {
        guard let device = openCLDeviceForTests else { throw XCTSkip("no OpenCL device") }
        let backend = try OpenCLBackend(device: device)
        XCTAssertThrowsError(try backend.makeBuffer(count: device.maxAllocation / 4 + 1024, shape: nil, elementType: .float32)) { error in
            XCTAssertTrue("\(error)".contains("CL_DEVICE_MAX_MEM_ALLOC_SIZE"), "\(error)")
        }
    }

    func testBuildFailurePrintsLogAndOptions() throws {
        guard let device = openCLDeviceForTests else { throw XCTSkip("no OpenCL device") }
        let backend = try OpenCLBackend(device: device)
        XCTAssertThrowsError(try backend.compiler.kernel("gemm", file: "gemm.cl", defines: "-DTILE_M=")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("gemm.cl") && text.contains("-DTILE_M="), text)
        }
    }

    /// The build embeds every op folder's kernel file and the shared header, and each op names an embedded file.
    func testEveryOpsKernelIsEmbedded() throws {
        let files = Set(KernelSources.embeddedFiles)
        XCTAssertTrue(files.contains("common.h"))
        for op in allOps { XCTAssertTrue(files.contains(op.kernelFile), "\(op.kernelFile) of \(op.name) is not embedded") }
        let folder = repositoryRoot.appendingPathComponent("Sources/U2ADRuntime/Ops")
        let onDisk = (FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".cl") || $0.hasSuffix(".h") }.map { URL(fileURLWithPath: $0).lastPathComponent }
        XCTAssertEqual(Set(onDisk), files)
        for name in onDisk {
            let url = (FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? [])
                .first { $0.lastPathComponent == name }!
            XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), try KernelSources(overrideFolder: nil).text(of: name))
        }
    }

    /// Every op's kernels build for the device (the eager list of `prepare` comes from the op registry).
    func testEveryOpPreparesOnOpenCL() throws {
        guard let device = openCLDeviceForTests else { throw XCTSkip("no OpenCL device") }
        try OpenCLBackend(device: device).prepare(headDims: [8, 16])
    }

    /// Compiled kernels land in the cache folder, and a second backend loads them back.
    func testCompiledKernelsAreCachedOnDiskAndReused() throws {
        guard let device = openCLDeviceForTests else { throw XCTSkip("no OpenCL device") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("u2ad-kernel-cache-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = RuntimeSettings()
        settings.kernelCache = folder
        let first = try OpenCLBackend(device: device, settings: settings)
        _ = try first.kernels(ElementwiseKernels.self)
        let cached = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".bin") }
        XCTAssertEqual(cached.count, 1, "one binary per (source, options, device)")
        let second = try OpenCLBackend(device: device, settings: settings)
        let x = try second.makeBuffer([10])
        try second.fill(x, with: 2.5, count: 10)
        XCTAssertEqual(try second.download(x), [Float](repeating: 2.5, count: 10))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".bin") }.count, 1)
    }

    func testDiskCacheKeyDependsOnSourceOptionsAndDevice() {
        XCTAssertNotEqual(fnv1a64("a|b"), fnv1a64("a|c"))
        XCTAssertEqual(fnv1a64("same"), fnv1a64("same"))
    }

    /// Every variable is read once into settings, and a value u2ad cannot use is one line naming it.
    func testSettingsFromTheEnvironment() throws {
        let settings = try RuntimeSettings(environment: ["U2AD_THREADS": "3", "U2AD_KERNEL_CACHE": "off", "U2AD_PROFILE": "1",
                                                         "U2AD_GEMM_TILES": "32,32,16,4,4", "U2AD_BACKEND": "cpu"])
        XCTAssertEqual(settings.threads, 3)
        XCTAssertNil(settings.kernelCache)
        XCTAssertTrue(settings.profile)
        XCTAssertEqual(settings.gemmTiles, GEMMTiles(tileM: 32, tileN: 32, tileK: 16, workPerThreadM: 4, workPerThreadN: 4))
        XCTAssertEqual(try BackendRequest.resolve(option: nil, settings: settings), .cpu)
        XCTAssertEqual(try BackendRequest.resolve(option: "auto", settings: settings), .auto)
        for (name, value) in [("U2AD_THREADS", "0"), ("U2AD_THREADS", "-3"), ("U2AD_THREADS", "abc"), ("U2AD_PROFILE", "yes"),
                              ("U2AD_GEMM_TILES", "64,64,16,3,4"), ("U2AD_GEMM_TILES", "1,2,3"), ("U2AD_GEMM_TILES", "256,256,64,1,1")] {
            XCTAssertThrowsError(try RuntimeSettings(environment: [name: value])) { error in
                XCTAssertTrue("\(error)".contains(name) && "\(error)".contains(value), "\(error)")
            }
        }
        XCTAssertThrowsError(try BackendRequest.resolve(option: " ", settings: settings))
    }

    /// `mpirun`'s placement variables: absent outside `mpirun`, checked when present.
    func testRankPlacementFromTheEnvironment() throws {
        XCTAssertNil(try RuntimeSettings(environment: [:]).placement)
        let placed = try RuntimeSettings(environment: ["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "3",
                                                       "OMPI_COMM_WORLD_LOCAL_SIZE": "2", "OMPI_COMM_WORLD_LOCAL_RANK": "1"])
        XCTAssertEqual(placed.placement, RankPlacement(rank: 3, size: 4, localRank: 1, localSize: 2))
        for (name, value) in [("OMPI_COMM_WORLD_RANK", "4"), ("OMPI_COMM_WORLD_RANK", "x"), ("OMPI_COMM_WORLD_LOCAL_RANK", "2")] {
            var environment = ["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"]
            environment[name] = value
            XCTAssertThrowsError(try RuntimeSettings(environment: environment)) { error in
                XCTAssertTrue("\(error)".contains(name), "\(error)")
            }
        }
    }

    /// A workspace's bytes are plain arithmetic over its layout, and the arena hands out views at aligned offsets.
    func testArenaLayoutIsArithmetic() throws {
        var layout = ArenaLayout()
        layout.add("a", [3, 5])
        layout.add("b", [300])
        layout.add("c", [1], elementType: .int32)
        XCTAssertEqual(layout.slots["b"]?.offset, viewAlignment)
        XCTAssertEqual(layout.elementCount, 4 * viewAlignment, "15 elements round to one unit, 300 to two, 1 to one")
        for backend in try backendsUnderTest() {
            let before = backend.pool.bytesInUse
            let arena = try Arena(device: backend, layout: layout)
            XCTAssertEqual(backend.pool.bytesInUse - before, layout.byteCount)
            let b = try arena["b"]
            try backend.fill(b, with: 2, count: 300)
            XCTAssertEqual(try backend.download(b), [Float](repeating: 2, count: 300))
            XCTAssertEqual(try arena["c"].elementType, .int32)
        }
    }
}
