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
        XCTAssertThrowsError(try backend.programs.kernel("gemm", file: "gemm.cl", options: "-DTILE_M=")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("gemm.cl") && text.contains("-DTILE_M="), text)
        }
    }

    /// The embedded copy of Kernels/ must be what is on disk (run tools/embed-kernels.sh after editing a kernel).
    func testEmbeddedKernelsMatchKernelFolder() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("Kernels")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".cl") || $0.hasSuffix(".h") }.sorted()
        XCTAssertEqual(files, KernelSources.embeddedFiles)
        for file in files {
            let disk = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(disk.trimmingCharacters(in: .newlines), try KernelSources.source(file).trimmingCharacters(in: .newlines),
                           "Kernels/\(file) changed: run tools/embed-kernels.sh")
        }
    }

    /// Compiled kernels land in `U2AD_KERNEL_CACHE`, and a second process-level cache loads them back.
    func testCompiledKernelsAreCachedOnDiskAndReused() throws {
        guard let device = openCLDeviceForTests else { throw XCTSkip("no OpenCL device") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("u2ad-kernel-cache-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        setenv("U2AD_KERNEL_CACHE", folder.path, 1)
        defer { unsetenv("U2AD_KERNEL_CACHE") }
        let first = try OpenCLBackend(device: device)
        _ = try first.programs.kernel("fill", file: "elementwise.cl", options: "")
        let cached = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".bin") }
        XCTAssertEqual(cached.count, 1, "one binary per (source, options, device)")
        let second = try OpenCLBackend(device: device)
        let x = try second.makeBuffer([10])
        second.fill(x, with: 2.5, count: 10)
        XCTAssertEqual(second.download(x), [Float](repeating: 2.5, count: 10))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".bin") }.count, 1)
    }

    func testDiskCacheKeyDependsOnSourceOptionsAndDevice() {
        XCTAssertNotEqual(fnv1a64("a|b"), fnv1a64("a|c"))
        XCTAssertEqual(fnv1a64("same"), fnv1a64("same"))
    }
}
