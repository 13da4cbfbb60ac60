import COpenCL
import Foundation

/// One argument of a kernel launch.
enum KernelArgument {
    case buffer(Buffer)
    case int(Int)
    case float(Float)
    case uint(UInt32)
}

/// One compiled kernel variant: sets its arguments, enqueues it, and times it when profiling is on.
/// Each op keeps its variants' handles (``OpenCLKernelSet``), so a launch looks nothing up by name.
final class OpenCLKernel {
    let name: String
    let kernel: cl_kernel
    private let context: OpenCLContext
    /// The most work items of any group it was launched with (0 when the driver chose the group).
    private(set) var largestGroupLaunched = 0

    init(_ kernel: cl_kernel, name: String, context: OpenCLContext) {
        self.kernel = kernel
        self.name = name
        self.context = context
    }

    deinit { clReleaseKernel(kernel) }

    /// Enqueues the kernel over `global` items (rounded up to whole `local` groups).
    func launch(global: [Int], local: [Int]? = nil, _ arguments: [KernelArgument], flops: Double = 0, bytes: Double = 0) throws {
        for (index, argument) in arguments.enumerated() {
            let code: cl_int
            switch argument {
            case .buffer(let buffer):
                var value: cl_mem? = (buffer.storage as! DeviceStorage).memory
                code = clSetKernelArg(kernel, cl_uint(index), MemoryLayout<cl_mem>.size, &value)
            case .int(let int):
                var value = Int32(truncatingIfNeeded: int)
                code = clSetKernelArg(kernel, cl_uint(index), 4, &value)
            case .float(let float):
                var value = float
                code = clSetKernelArg(kernel, cl_uint(index), 4, &value)
            case .uint(let uint):
                var value = uint
                code = clSetKernelArg(kernel, cl_uint(index), 4, &value)
            }
            try check(code, "clSetKernelArg(\(name), \(index))")
        }
        var globalSize = global
        if let local {
            largestGroupLaunched = max(largestGroupLaunched, local.reduce(1, *))
            for axis in 0..<global.count { globalSize[axis] = (global[axis] + local[axis] - 1) / local[axis] * local[axis] }
        }
        var event: cl_event? = nil
        let profiling = context.profiling
        let code: cl_int = withUnsafeMutablePointer(to: &event) { eventPointer in
            globalSize.withUnsafeBufferPointer { globalPointer in
                let eventOut: UnsafeMutablePointer<cl_event?>? = profiling ? eventPointer : nil
                guard let local else {
                    return clEnqueueNDRangeKernel(context.queue, kernel, cl_uint(global.count), nil, globalPointer.baseAddress, nil, 0, nil, eventOut)
                }
                return local.withUnsafeBufferPointer { localPointer in
                    clEnqueueNDRangeKernel(context.queue, kernel, cl_uint(global.count), nil, globalPointer.baseAddress, localPointer.baseAddress, 0, nil, eventOut)
                }
            }
        }
        if code == CL_OUT_OF_RESOURCES || code == CL_MEM_OBJECT_ALLOCATION_FAILURE {
            throw RuntimeError.outOfDeviceMemory(requested: 0, device: context.device.name, limit: context.device.globalMemory)
        }
        try check(code, "clEnqueueNDRangeKernel(\(name))")
        context.traffic.launches += 1
        if profiling, event != nil {
            clWaitForEvents(1, &event)
            Profiler.shared.record(name, nanoseconds: eventNanoseconds(event), flops: flops, bytes: bytes)
            clReleaseEvent(event)
        }
    }

    /// Local memory the compiled kernel uses, in bytes (`CL_KERNEL_LOCAL_MEM_SIZE`).
    var localMemoryBytes: Int {
        var value: cl_ulong = 0
        clGetKernelWorkGroupInfo(kernel, context.device.id, cl_kernel_work_group_info(CL_KERNEL_LOCAL_MEM_SIZE), 8, &value, nil)
        return Int(value)
    }

    /// The largest work-group this kernel can run with on the device (`CL_KERNEL_WORK_GROUP_SIZE`).
    var maxWorkGroupSize: Int {
        var value = 0
        clGetKernelWorkGroupInfo(kernel, context.device.id, cl_kernel_work_group_info(CL_KERNEL_WORK_GROUP_SIZE), MemoryLayout<Int>.size, &value, nil)
        return value
    }
}

/// The kernels of one op on one OpenCL backend, created on the op's first launch and kept for the backend's life.
protocol OpenCLKernelSet: AnyObject {
    init(_ backend: OpenCLBackend) throws
}
