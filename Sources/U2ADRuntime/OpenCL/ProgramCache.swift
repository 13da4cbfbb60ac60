import COpenCL
import Foundation

/// Compiles `Kernels/*.cl` with `-D` options once per process and caches the device binaries on disk,
/// keyed by a hash of source, options, device name and driver version.
///
/// The cache folder is `U2AD_KERNEL_CACHE` (`off` disables it), else `~/.cache/u2ad/kernels`.
final class ProgramCache {
    private let context: OpenCLContext
    private var programs: [String: cl_program] = [:]
    private var kernels: [String: cl_kernel] = [:]
    private let lock = NSLock()
    let directory: URL?

    init(context: OpenCLContext) {
        self.context = context
        let setting = ProcessInfo.processInfo.environment["U2AD_KERNEL_CACHE"]
        if setting == "off" {
            directory = nil
        } else if let setting, !setting.isEmpty {
            directory = URL(fileURLWithPath: setting)
        } else {
            directory = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/u2ad/kernels")
        }
    }

    deinit {
        for kernel in kernels.values { clReleaseKernel(kernel) }
        for program in programs.values { clReleaseProgram(program) }
    }

    /// The kernel `name` from `file` built with `options`; built on first use.
    func kernel(_ name: String, file: String, options: String) throws -> cl_kernel {
        let key = "\(file)|\(options)|\(name)"
        lock.lock(); defer { lock.unlock() }
        if let kernel = kernels[key] { return kernel }
        let program = try program(file: file, options: options)
        var code: cl_int = 0
        guard let kernel = clCreateKernel(program, name, &code) else {
            throw RuntimeError.openCL(call: "clCreateKernel(\(name) in \(file))", code: code)
        }
        kernels[key] = kernel
        return kernel
    }

    private func program(file: String, options: String) throws -> cl_program {
        let programKey = "\(file)|\(options)"
        if let program = programs[programKey] { return program }
        let source = try KernelSources.source("common.h") + "\n" + KernelSources.source(file)
        let fullOptions = "-cl-std=CL1.2 " + options
        let device = context.device
        let hash = fnv1a64([source, fullOptions, device.name, device.driverVersion, device.platformName].joined(separator: "\u{1}"))
        let cacheFile = directory?.appendingPathComponent(String(format: "%016llx.bin", hash))
        if let cacheFile, let binary = try? Data(contentsOf: cacheFile), let program = try? build(binary: binary, options: fullOptions) {
            programs[programKey] = program
            return program
        }
        let program = try build(source: source, file: file, options: fullOptions)
        if let cacheFile { saveBinary(of: program, to: cacheFile) }
        programs[programKey] = program
        return program
    }

    private func build(source: String, file: String, options: String) throws -> cl_program {
        var code: cl_int = 0
        let program: cl_program? = source.withCString { pointer in
            var sources: UnsafePointer<CChar>? = pointer
            return clCreateProgramWithSource(context.context, 1, &sources, nil, &code)
        }
        guard let program else { throw RuntimeError.openCL(call: "clCreateProgramWithSource(\(file))", code: code) }
        var device: cl_device_id? = context.device.id
        code = clBuildProgram(program, 1, &device, options, nil, nil)
        if code != CL_SUCCESS {
            let log = buildLog(program)
            clReleaseProgram(program)
            throw RuntimeError.programBuild(kernelFile: file, options: options, log: log)
        }
        return program
    }

    private func build(binary: Data, options: String) throws -> cl_program {
        var code: cl_int = 0
        var status: cl_int = 0
        var device: cl_device_id? = context.device.id
        var length = binary.count
        let program: cl_program? = binary.withUnsafeBytes { raw in
            var pointer: UnsafePointer<UInt8>? = raw.bindMemory(to: UInt8.self).baseAddress
            return clCreateProgramWithBinary(context.context, 1, &device, &length, &pointer, &status, &code)
        }
        guard let program, code == CL_SUCCESS, status == CL_SUCCESS else { throw RuntimeError.openCL(call: "clCreateProgramWithBinary", code: code) }
        code = clBuildProgram(program, 1, &device, options, nil, nil)
        if code != CL_SUCCESS {
            clReleaseProgram(program)
            throw RuntimeError.openCL(call: "clBuildProgram(cached binary)", code: code)
        }
        return program
    }

    private func buildLog(_ program: cl_program) -> String {
        var size = 0
        clGetProgramBuildInfo(program, context.device.id, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size)
        guard size > 0 else { return "(no build log)" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        clGetProgramBuildInfo(program, context.device.id, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &bytes, nil)
        return String(cString: bytes)
    }

    private func saveBinary(of program: cl_program, to url: URL) {
        var size = 0
        guard clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARY_SIZES), MemoryLayout<Int>.size, &size, nil) == CL_SUCCESS, size > 0 else { return }
        var bytes = [UInt8](repeating: 0, count: size)
        let ok: Bool = bytes.withUnsafeMutableBufferPointer { buffer in
            var pointer: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARIES), MemoryLayout<UnsafeMutablePointer<UInt8>?>.size, &pointer, nil) == CL_SUCCESS
        }
        guard ok else { return }
        // Best effort: a cache that cannot be written only costs a rebuild next time.
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.appendingPathExtension("tmp\(getpid())")
        if (try? Data(bytes).write(to: temporary)) != nil {
            _ = rename(temporary.path, url.path)
        }
    }
}

/// 64-bit FNV-1a over the UTF-8 bytes of `text`.
func fnv1a64(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
}
