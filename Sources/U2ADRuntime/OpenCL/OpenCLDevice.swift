import COpenCL
import Foundation

/// What kind of device an OpenCL driver exposes.
public enum OpenCLDeviceType: String, Sendable {
    case gpu, cpu, accelerator, other
}

/// One OpenCL device as discovered at startup.
public struct OpenCLDevice: @unchecked Sendable {
    public let platformIndex: Int
    public let deviceIndex: Int
    public let platformName: String
    /// `CL_DEVICE_VENDOR`, a key of the tuning table.
    public let vendor: String
    public let name: String
    public let type: OpenCLDeviceType
    public let computeUnits: Int
    public let globalMemory: Int
    public let localMemory: Int
    public let maxAllocation: Int
    public let maxWorkGroupSize: Int
    public let openCLCVersion: String
    public let driverVersion: String
    /// Whether the device computes in float64 (`CL_DEVICE_DOUBLE_FP_CONFIG` is not empty).
    public let hasFloat64: Bool
    let id: cl_device_id

    /// `opencl:P:D`, the option that selects this device.
    public var selector: String { "opencl:\(platformIndex):\(deviceIndex)" }

    /// Every device on every platform, in platform then device order. Empty when no ICD is installed.
    public static func all() -> [OpenCLDevice] {
        var platformCount: cl_uint = 0
        guard clGetPlatformIDs(0, nil, &platformCount) == CL_SUCCESS, platformCount > 0 else { return [] }
        var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
        guard clGetPlatformIDs(platformCount, &platforms, nil) == CL_SUCCESS else { return [] }
        var devices: [OpenCLDevice] = []
        for (p, platform) in platforms.enumerated() {
            let platformName = platformString(platform, CL_PLATFORM_NAME)
            var deviceCount: cl_uint = 0
            guard clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &deviceCount) == CL_SUCCESS, deviceCount > 0 else { continue }
            var ids = [cl_device_id?](repeating: nil, count: Int(deviceCount))
            guard clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), deviceCount, &ids, nil) == CL_SUCCESS else { continue }
            for (d, id) in ids.enumerated() {
                guard let id else { continue }
                let rawType: cl_device_type = deviceValue(id, CL_DEVICE_TYPE)
                let type: OpenCLDeviceType =
                    rawType & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 ? .gpu :
                    rawType & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 ? .accelerator :
                    rawType & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 ? .cpu : .other
                devices.append(OpenCLDevice(
                    platformIndex: p, deviceIndex: d, platformName: platformName, vendor: deviceString(id, CL_DEVICE_VENDOR),
                    name: deviceString(id, CL_DEVICE_NAME), type: type,
                    computeUnits: Int(deviceValue(id, CL_DEVICE_MAX_COMPUTE_UNITS) as cl_uint),
                    globalMemory: Int(deviceValue(id, CL_DEVICE_GLOBAL_MEM_SIZE) as cl_ulong),
                    localMemory: Int(deviceValue(id, CL_DEVICE_LOCAL_MEM_SIZE) as cl_ulong),
                    maxAllocation: Int(deviceValue(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE) as cl_ulong),
                    maxWorkGroupSize: Int(deviceValue(id, CL_DEVICE_MAX_WORK_GROUP_SIZE) as Int),
                    openCLCVersion: deviceString(id, CL_DEVICE_OPENCL_C_VERSION),
                    driverVersion: deviceString(id, CL_DRIVER_VERSION),
                    hasFloat64: (deviceValue(id, CL_DEVICE_DOUBLE_FP_CONFIG) as cl_device_fp_config) != 0,
                    id: id))
            }
        }
        return devices
    }
}

private func platformString(_ platform: cl_platform_id?, _ parameter: Int32) -> String {
    var size = 0
    guard clGetPlatformInfo(platform, cl_platform_info(parameter), 0, nil, &size) == CL_SUCCESS, size > 0 else { return "" }
    var bytes = [CChar](repeating: 0, count: size + 1)
    _ = clGetPlatformInfo(platform, cl_platform_info(parameter), size, &bytes, nil)
    return String(cString: bytes).trimmingCharacters(in: .whitespacesAndNewlines)
}

private func deviceString(_ device: cl_device_id, _ parameter: Int32) -> String {
    var size = 0
    guard clGetDeviceInfo(device, cl_device_info(parameter), 0, nil, &size) == CL_SUCCESS, size > 0 else { return "" }
    var bytes = [CChar](repeating: 0, count: size + 1)
    _ = clGetDeviceInfo(device, cl_device_info(parameter), size, &bytes, nil)
    return String(cString: bytes).trimmingCharacters(in: .whitespacesAndNewlines)
}

private func deviceValue<T: FixedWidthInteger>(_ device: cl_device_id, _ parameter: Int32) -> T {
    var value: T = 0
    _ = clGetDeviceInfo(device, cl_device_info(parameter), MemoryLayout<T>.size, &value, nil)
    return value
}

/// Throws ``RuntimeError/openCL(call:code:)`` unless `code` is `CL_SUCCESS`.
@inline(__always)
func check(_ code: cl_int, _ call: @autoclosure () -> String) throws {
    if code != CL_SUCCESS { throw RuntimeError.openCL(call: call(), code: code) }
}

/// The symbolic name of an OpenCL error code.
func openCLErrorName(_ code: Int32) -> String {
    let names: [Int32: String] = [
        -1: "CL_DEVICE_NOT_FOUND", -2: "CL_DEVICE_NOT_AVAILABLE", -3: "CL_COMPILER_NOT_AVAILABLE",
        -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE", -5: "CL_OUT_OF_RESOURCES", -6: "CL_OUT_OF_HOST_MEMORY",
        -11: "CL_BUILD_PROGRAM_FAILURE", -30: "CL_INVALID_VALUE", -33: "CL_INVALID_DEVICE",
        -34: "CL_INVALID_CONTEXT", -36: "CL_INVALID_COMMAND_QUEUE", -38: "CL_INVALID_MEM_OBJECT",
        -42: "CL_INVALID_BINARY", -43: "CL_INVALID_BUILD_OPTIONS", -44: "CL_INVALID_PROGRAM",
        -45: "CL_INVALID_PROGRAM_EXECUTABLE", -46: "CL_INVALID_KERNEL_NAME", -48: "CL_INVALID_KERNEL",
        -49: "CL_INVALID_ARG_INDEX", -50: "CL_INVALID_ARG_VALUE", -51: "CL_INVALID_ARG_SIZE",
        -52: "CL_INVALID_KERNEL_ARGS", -53: "CL_INVALID_WORK_DIMENSION", -54: "CL_INVALID_WORK_GROUP_SIZE",
        -55: "CL_INVALID_WORK_ITEM_SIZE", -56: "CL_INVALID_GLOBAL_OFFSET", -61: "CL_INVALID_BUFFER_SIZE",
        -63: "CL_INVALID_GLOBAL_WORK_SIZE", -1001: "CL_PLATFORM_NOT_FOUND_KHR",
    ]
    return names[code] ?? "OpenCL error"
}
