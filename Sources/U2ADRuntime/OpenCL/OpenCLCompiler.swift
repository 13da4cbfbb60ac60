import COpenCL
import Foundation

/// Builds an op's `.cl` file with `-D` defines into a program, once per (file, defines) in a process, and keeps the
/// device binaries on disk keyed by a hash of source, options, device name and driver version.
///
/// The cache folder comes from ``RuntimeSettings/kernelCache`` (`U2AD_KERNEL_CACHE`); a cache that cannot be read or
/// written only costs a rebuild.
final class OpenCLCompiler {
    private let context: OpenCLContext
    private let sources: KernelSources
    let cacheFolder: URL?
    private var programs: [String: cl_program] = [:]
    /// Every kernel handle made, with the defines it was built with (the GPU-limits check walks them).
    private(set) var built: [(kernel: OpenCLKernel, defines: String)] = []

    init(context: OpenCLContext, settings: RuntimeSettings) {
        self.context = context
        sources = KernelSources(overrideFolder: settings.kernelDirectory)
        cacheFolder = settings.kernelCache
    }

    deinit { for program in programs.values { clReleaseProgram(program) } }

    /// The kernel `function` of `file` built with `defines`: a new kernel handle (each variant keeps its own).
    func kernel(_ function: String, file: String, defines: String) throws -> OpenCLKernel {
        let program = try self.program(file: file, defines: defines)
        var code: cl_int = 0
        guard let kernel = clCreateKernel(program, function, &code) else {
            throw RuntimeError.openCL(call: "clCreateKernel(\(function) in \(file))", code: code)
        }
        let handle = OpenCLKernel(kernel, name: function, context: context)
        built.append((handle, defines))
        return handle
    }

    private func program(file: String, defines: String) throws -> cl_program {
        let key = file + "\u{1}" + defines
        if let program = programs[key] { return program }
        let source = try sources.text(of: "common.h") + "\n" + sources.text(of: file)
        let options = "-cl-std=CL1.2 " + defines
        let device = context.device
        let hash = fnv1a64([source, options, device.name, device.driverVersion, device.platformName].joined(separator: "\u{1}"))
        let cacheFile = cacheFolder?.appendingPathComponent(String(format: "%016llx.bin", hash))
        let program: cl_program
        if let cacheFile, let binary = try? Data(contentsOf: cacheFile), let cached = try? build(binary: binary, options: options) {
            program = cached
        } else {
            program = try build(source: source, file: file, options: options)
            if let cacheFile { saveBinary(of: program, to: cacheFile) }
        }
        programs[key] = program
        return program
    }

    private func build(source: String, file: String, options: String) throws -> cl_program {
        var code: cl_int = 0
        let program: cl_program? = source.withCString { pointer in
            var text: UnsafePointer<CChar>? = pointer
            return clCreateProgramWithSource(context.context, 1, &text, nil, &code)
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
