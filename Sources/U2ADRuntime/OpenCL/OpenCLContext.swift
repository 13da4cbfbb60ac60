import COpenCL
import Foundation

/// Device memory for the OpenCL backend.
final class DeviceStorage: BufferStorage {
    let byteCount: Int
    let memory: cl_mem

    init(memory: cl_mem, byteCount: Int) {
        self.memory = memory
        self.byteCount = byteCount
    }

    deinit { clReleaseMemObject(memory) }
}

/// A context and its one in-order command queue on one device.
final class OpenCLContext {
    let device: OpenCLDevice
    let context: cl_context
    let queue: cl_command_queue
    let profiling: Bool

    init(device: OpenCLDevice, profiling: Bool) throws {
        self.device = device
        self.profiling = profiling
        var code: cl_int = 0
        var id: cl_device_id? = device.id
        guard let context = clCreateContext(nil, 1, &id, nil, nil, &code) else {
            throw RuntimeError.openCL(call: "clCreateContext(\(device.name))", code: code)
        }
        self.context = context
        let properties: cl_command_queue_properties = profiling ? cl_command_queue_properties(CL_QUEUE_PROFILING_ENABLE) : 0
        guard let queue = clCreateCommandQueue(context, device.id, properties, &code) else {
            clReleaseContext(context)
            throw RuntimeError.openCL(call: "clCreateCommandQueue(\(device.name))", code: code)
        }
        self.queue = queue
    }

    deinit {
        clReleaseCommandQueue(queue)
        clReleaseContext(context)
    }

    /// Allocates and touches `bytes` so that a lazy allocation failure surfaces now, as a clear error.
    func allocate(bytes: Int) throws -> DeviceStorage {
        if bytes > device.maxAllocation {
            throw RuntimeError.allocationTooLarge(requested: bytes, device: device.name, maxAllocation: device.maxAllocation)
        }
        var code: cl_int = 0
        guard let memory = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &code) else {
            throw outOfMemory(bytes, code, "clCreateBuffer")
        }
        var zero: UInt8 = 0
        code = clEnqueueFillBuffer(queue, memory, &zero, 1, 0, bytes, 0, nil, nil)
        if code == CL_SUCCESS { code = clFinish(queue) }
        if code != CL_SUCCESS {
            clReleaseMemObject(memory)
            throw outOfMemory(bytes, code, "clEnqueueFillBuffer")
        }
        return DeviceStorage(memory: memory, byteCount: bytes)
    }

    private func outOfMemory(_ bytes: Int, _ code: cl_int, _ call: String) -> RuntimeError {
        if code == CL_MEM_OBJECT_ALLOCATION_FAILURE || code == CL_OUT_OF_RESOURCES || code == CL_OUT_OF_HOST_MEMORY || code == CL_INVALID_BUFFER_SIZE {
            return .outOfDeviceMemory(requested: bytes, device: device.name, limit: device.globalMemory)
        }
        return .openCL(call: call, code: code)
    }
}
