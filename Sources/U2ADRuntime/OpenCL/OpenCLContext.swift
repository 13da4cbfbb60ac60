import COpenCL
import Foundation

/// A context and its one in-order command queue on one device, with the queue's transfers.
///
/// Uploads do not block: the values are copied into host staging memory, the write is enqueued, and the copy is freed
/// once its event reports completion (checked at each later transfer and at ``finish()``). The in-order queue runs
/// every command after the writes enqueued before it, so a kernel never sees a buffer before its upload.
final class OpenCLContext {
    let device: OpenCLDevice
    let context: cl_context
    let queue: cl_command_queue
    let profiling: Bool
    /// Bytes moved and kernels launched on this queue.
    var traffic = DeviceTraffic()
    /// Staging copies of uploads still in flight, with the event that completes each.
    private var staged: [(event: cl_event, memory: UnsafeMutableRawPointer)] = []

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
        clFinish(queue)
        releaseStaging(onlyCompleted: false)
        clReleaseCommandQueue(queue)
        clReleaseContext(context)
    }

    /// Enqueues a write of `raw` into `memory` at byte `offset` from a staging copy and returns without waiting.
    func write(_ raw: UnsafeRawBufferPointer, to memory: cl_mem, offset: Int) throws {
        guard let source = raw.baseAddress, raw.count > 0 else { return }
        releaseStaging(onlyCompleted: true)
        let staging = UnsafeMutableRawPointer.allocate(byteCount: raw.count, alignment: 64)
        staging.copyMemory(from: source, byteCount: raw.count)
        var event: cl_event?
        let code = clEnqueueWriteBuffer(queue, memory, cl_bool(CL_FALSE), offset, raw.count, staging, 0, nil, &event)
        guard code == CL_SUCCESS, let event else {
            staging.deallocate()
            throw RuntimeError.openCL(call: "clEnqueueWriteBuffer(\(raw.count) bytes)", code: code)
        }
        staged.append((event, staging))
        traffic.countUpload(raw.count)
        if profiling { record(event, "[host to device]", bytes: raw.count) }
    }

    /// Enqueues a read of `memory` into `raw`; `blocking: false` returns at once with the event that completes it
    /// (`raw` must stay valid until then).
    @discardableResult
    func read(_ memory: cl_mem, into raw: UnsafeMutableRawBufferPointer, blocking: Bool) throws -> cl_event? {
        guard raw.count > 0 else { return nil }
        var event: cl_event?
        try check(clEnqueueReadBuffer(queue, memory, cl_bool(blocking ? CL_TRUE : CL_FALSE), 0, raw.count, raw.baseAddress, 0, nil, &event),
                  "clEnqueueReadBuffer(\(raw.count) bytes)")
        traffic.countDownload(raw.count)
        if profiling, let event { record(event, "[device to host]", bytes: raw.count) }
        if blocking, let event {
            clReleaseEvent(event)
            return nil
        }
        return event
    }

    /// Waits for every queued command and frees the staging copies.
    func finish() throws {
        try check(clFinish(queue), "clFinish")
        releaseStaging(onlyCompleted: false)
    }

    private func releaseStaging(onlyCompleted: Bool) {
        guard !staged.isEmpty else { return }
        var pending: [(event: cl_event, memory: UnsafeMutableRawPointer)] = []
        for entry in staged {
            var status: cl_int = CL_COMPLETE
            if onlyCompleted {
                clGetEventInfo(entry.event, cl_event_info(CL_EVENT_COMMAND_EXECUTION_STATUS), MemoryLayout<cl_int>.size, &status, nil)
            }
            // A negative status is an error: the command will never touch the staging memory again either.
            if status == CL_COMPLETE || status < 0 {
                clReleaseEvent(entry.event)
                entry.memory.deallocate()
            } else {
                pending.append(entry)
            }
        }
        staged = pending
    }

    /// Waits for `event` and records its device time in the profiler.
    private func record(_ event: cl_event, _ name: String, bytes: Int) {
        var event: cl_event? = event
        clWaitForEvents(1, &event)
        Profiler.shared.record(name, nanoseconds: eventNanoseconds(event), bytes: Double(bytes))
    }
}

/// Device time between the start and end of a profiled command.
func eventNanoseconds(_ event: cl_event?) -> UInt64 {
    var start: cl_ulong = 0, end: cl_ulong = 0
    clGetEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_START), 8, &start, nil)
    clGetEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_END), 8, &end, nil)
    return end >= start ? end - start : 0
}
