import COpenCL
import Foundation

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
}
