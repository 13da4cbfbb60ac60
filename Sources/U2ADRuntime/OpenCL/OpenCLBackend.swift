import COpenCL
import Foundation

/// One argument of a kernel launch.
enum KernelArgument {
    case buffer(Buffer)
    case int(Int)
    case float(Float)
    case uint(UInt32)
}

/// GEMM tile sizes, passed to `Kernels/gemm.cl` as `-D` defines.
public struct GEMMTiles: Sendable, Equatable, CustomStringConvertible {
    public var tileM = 64, tileN = 64, tileK = 16, workPerThreadM = 4, workPerThreadN = 4

    /// Per-device defaults; `U2AD_GEMM_TILES=TM,TN,TK,WM,WN` overrides them.
    public static func defaults(for device: OpenCLDevice) -> GEMMTiles {
        if let text = ProcessInfo.processInfo.environment["U2AD_GEMM_TILES"] {
            let values = text.split(separator: ",").compactMap { Int($0) }
            if values.count == 5 {
                return GEMMTiles(tileM: values[0], tileN: values[1], tileK: values[2], workPerThreadM: values[3], workPerThreadN: values[4])
            }
        }
        switch device.type {
        case .gpu, .accelerator: return GEMMTiles()
        case .cpu, .other: return GEMMTiles(tileM: 32, tileN: 32, tileK: 16, workPerThreadM: 4, workPerThreadN: 4)
        }
    }

    public var description: String {
        "-DTILE_M=\(tileM) -DTILE_N=\(tileN) -DTILE_K=\(tileK) -DWPT_M=\(workPerThreadM) -DWPT_N=\(workPerThreadN)"
    }
}

/// The OpenCL backend: every op is a kernel from `Kernels/` on one device with one in-order queue.
public final class OpenCLBackend: Backend {
    public let kind = BackendKind.openCL
    public let device: OpenCLDevice
    public let pool: BufferPool
    public var gemmTiles: GEMMTiles
    let context: OpenCLContext
    let programs: ProgramCache
    /// Work-group size of the attention kernels.
    let attentionBlock: Int

    public var deviceName: String { device.name }

    public init(device: OpenCLDevice) throws {
        self.device = device
        let context = try OpenCLContext(device: device, profiling: Profiler.shared.isEnabled)
        self.context = context
        programs = ProgramCache(context: context)
        pool = BufferPool { try context.allocate(bytes: $0) }
        gemmTiles = GEMMTiles.defaults(for: device)
        attentionBlock = device.type == .gpu ? 64 : 32
    }

    @inline(__always)
    func memory(_ buffer: Buffer) -> cl_mem { (buffer.storage as! DeviceStorage).memory }

    public func makeBuffer(count: Int, shape: [Int]?, elementType: ElementType) throws -> Buffer {
        let storage = try pool.take(bytes: max(count, 1) * 4)
        return Buffer(storage: storage, count: count, shape: shape ?? [count], elementType: elementType, pool: pool)
    }

    public func upload(_ values: [Float], to buffer: Buffer) {
        precondition(values.count <= buffer.count, "upload of \(values.count) values into a buffer of \(buffer.count)")
        values.withUnsafeBytes { raw in
            fatalOnError(clEnqueueWriteBuffer(context.queue, memory(buffer), cl_bool(CL_TRUE), 0, raw.count, raw.baseAddress, 0, nil, nil), "clEnqueueWriteBuffer")
        }
    }

    public func upload(_ values: [Int32], to buffer: Buffer) {
        precondition(values.count <= buffer.count, "upload of \(values.count) values into a buffer of \(buffer.count)")
        values.withUnsafeBytes { raw in
            fatalOnError(clEnqueueWriteBuffer(context.queue, memory(buffer), cl_bool(CL_TRUE), 0, raw.count, raw.baseAddress, 0, nil, nil), "clEnqueueWriteBuffer")
        }
    }

    public func download(_ buffer: Buffer) -> [Float] {
        var values = [Float](repeating: 0, count: buffer.count)
        values.withUnsafeMutableBytes { raw in
            fatalOnError(clEnqueueReadBuffer(context.queue, memory(buffer), cl_bool(CL_TRUE), 0, raw.count, raw.baseAddress, 0, nil, nil), "clEnqueueReadBuffer")
        }
        return values
    }

    public func downloadInts(_ buffer: Buffer) -> [Int32] {
        var values = [Int32](repeating: 0, count: buffer.count)
        values.withUnsafeMutableBytes { raw in
            fatalOnError(clEnqueueReadBuffer(context.queue, memory(buffer), cl_bool(CL_TRUE), 0, raw.count, raw.baseAddress, 0, nil, nil), "clEnqueueReadBuffer")
        }
        return values
    }

    public func synchronize() { fatalOnError(clFinish(context.queue), "clFinish") }

    public func view(of buffer: Buffer, offset: Int, count: Int, shape: [Int]) throws -> Buffer {
        precondition(offset % viewAlignment == 0 && offset + count <= buffer.count, "view [\(offset), +\(count)) of a buffer of \(buffer.count)")
        var region = cl_buffer_region(origin: offset * 4, size: max(count, 1) * 4)
        var code: cl_int = 0
        guard let memory = clCreateSubBuffer(memory(buffer), cl_mem_flags(CL_MEM_READ_WRITE), cl_buffer_create_type(CL_BUFFER_CREATE_TYPE_REGION), &region, &code) else {
            throw RuntimeError.openCL(call: "clCreateSubBuffer(offset \(offset * 4) bytes)", code: code)
        }
        return Buffer(viewOf: buffer, storage: DeviceStorage(memory: memory, byteCount: count * 4), count: count, shape: shape)
    }

    /// Compiles the programs the op set needs now, so a build failure surfaces as an error before any work starts.
    public func prepare(headDims: [Int] = [8]) throws {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                _ = try programs.kernel("gemm", file: "gemm.cl", options: gemmOptions(transposeA, transposeB, bias: false, activation: .none, residual: false))
            }
        }
        _ = try programs.kernel("fill", file: "elementwise.cl", options: "")
        _ = try programs.kernel("layernorm_forward", file: "layernorm.cl", options: layerNormOptions)
        for headDim in headDims {
            _ = try programs.kernel("attention_forward", file: "attention.cl", options: attentionOptions(headDim))
        }
    }

    // MARK: Launching

    /// Enqueues `name` from `file` over `global` items (rounded up to `local`), recording it in the profiler.
    func launch(_ name: String, file: String, options: String = "", global: [Int], local: [Int]? = nil,
                _ arguments: [KernelArgument], flops: Double = 0, bytes: Double = 0) {
        let kernel: cl_kernel
        do { kernel = try programs.kernel(name, file: file, options: options) } catch { fatal("\(error)") }
        for (index, argument) in arguments.enumerated() {
            let code: cl_int
            switch argument {
            case .buffer(let buffer):
                var value: cl_mem? = memory(buffer)
                code = clSetKernelArg(kernel, cl_uint(index), MemoryLayout<cl_mem>.size, &value)
            case .int(let int):
                var value = Int32(int)
                code = clSetKernelArg(kernel, cl_uint(index), 4, &value)
            case .float(let float):
                var value = float
                code = clSetKernelArg(kernel, cl_uint(index), 4, &value)
            case .uint(let uint):
                var value = uint
                code = clSetKernelArg(kernel, cl_uint(index), 4, &value)
            }
            fatalOnError(code, "clSetKernelArg(\(name), \(index))")
        }
        var globalSize = global
        if let local {
            for axis in 0..<global.count { globalSize[axis] = (global[axis] + local[axis] - 1) / local[axis] * local[axis] }
        }
        var event: cl_event? = nil
        let profiling = context.profiling
        let localCopy = local
        let code: cl_int = withUnsafeMutablePointer(to: &event) { eventPointer in
            globalSize.withUnsafeBufferPointer { globalPointer in
                let eventOut: UnsafeMutablePointer<cl_event?>? = profiling ? eventPointer : nil
                guard let localCopy else {
                    return clEnqueueNDRangeKernel(context.queue, kernel, cl_uint(global.count), nil, globalPointer.baseAddress, nil, 0, nil, eventOut)
                }
                return localCopy.withUnsafeBufferPointer { localPointer in
                    clEnqueueNDRangeKernel(context.queue, kernel, cl_uint(global.count), nil, globalPointer.baseAddress, localPointer.baseAddress, 0, nil, eventOut)
                }
            }
        }
        if code == CL_OUT_OF_RESOURCES || code == CL_MEM_OBJECT_ALLOCATION_FAILURE {
            fatal("out of device memory on \(device.name) while launching \(name) (\(openCLErrorName(code)))")
        }
        fatalOnError(code, "clEnqueueNDRangeKernel(\(name))")
        if profiling, event != nil {
            clWaitForEvents(1, &event)
            var start: cl_ulong = 0, end: cl_ulong = 0
            clGetEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_START), 8, &start, nil)
            clGetEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_END), 8, &end, nil)
            clReleaseEvent(event)
            Profiler.shared.record(name, nanoseconds: end >= start ? end - start : 0, flops: flops, bytes: bytes)
        }
    }

    func fatalOnError(_ code: cl_int, _ call: @autoclosure () -> String) {
        if code != CL_SUCCESS { fatal(RuntimeError.openCL(call: call(), code: code).description) }
    }

    /// Ops cannot throw, so a device failure mid-run ends the process with one clear line.
    func fatal(_ message: String) -> Never {
        FileHandle.standardError.write("error: \(message)\n".data(using: .utf8)!)
        exit(1)
    }

    func gemmOptions(_ transposeA: Bool, _ transposeB: Bool, bias: Bool, activation: Activation, residual: Bool) -> String {
        "\(gemmTiles) -DTRANS_A=\(transposeA ? 1 : 0) -DTRANS_B=\(transposeB ? 1 : 0) -DHAS_BIAS=\(bias ? 1 : 0) -DHAS_RESIDUAL=\(residual ? 1 : 0) -DACTIVATION=\(activation.rawValue)"
    }

    func attentionOptions(_ headDim: Int) -> String { "-DHEAD_DIM=\(headDim) -DBLOCK=\(attentionBlock)" }
}
