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

/// Allocates device buffers, touching each so that a lazy out-of-memory surfaces at once as a clear error
/// rather than at a later launch.
struct OpenCLAllocator {
    let context: OpenCLContext

    func allocate(bytes: Int) throws -> DeviceStorage {
        let device = context.device
        if bytes > device.maxAllocation {
            throw RuntimeError.allocationTooLarge(requested: bytes, device: device.name, maxAllocation: device.maxAllocation)
        }
        var code: cl_int = 0
        guard let memory = clCreateBuffer(context.context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &code) else {
            throw outOfMemory(bytes, code, "clCreateBuffer")
        }
        var zero: UInt8 = 0
        code = clEnqueueFillBuffer(context.queue, memory, &zero, 1, 0, bytes, 0, nil, nil)
        if code == CL_SUCCESS { code = clFinish(context.queue) }
        if code != CL_SUCCESS {
            clReleaseMemObject(memory)
            throw outOfMemory(bytes, code, "clEnqueueFillBuffer")
        }
        return DeviceStorage(memory: memory, byteCount: bytes)
    }

    private func outOfMemory(_ bytes: Int, _ code: cl_int, _ call: String) -> RuntimeError {
        if code == CL_MEM_OBJECT_ALLOCATION_FAILURE || code == CL_OUT_OF_RESOURCES || code == CL_OUT_OF_HOST_MEMORY || code == CL_INVALID_BUFFER_SIZE {
            return .outOfDeviceMemory(requested: bytes, device: context.device.name, limit: context.device.globalMemory)
        }
        return .openCL(call: call, code: code)
    }
}
