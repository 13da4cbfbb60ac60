/// Errors raised by the compute runtime. Each renders as one line that names what failed.
public enum RuntimeError: Error, CustomStringConvertible {
    case badBackendOption(String)
    case badSetting(String, String, String)
    case noOpenCLDevice(String)
    case openCL(call: String, code: Int32)
    case outOfDeviceMemory(requested: Int, device: String, limit: Int)
    case allocationTooLarge(requested: Int, device: String, maxAllocation: Int)
    case programBuild(kernelFile: String, options: String, log: String)
    case missingKernelSource(String)
    case shapeMismatch(String)

    public var description: String {
        switch self {
        case .badBackendOption(let value):
            return "--backend / U2AD_BACKEND: '\(value)' is not one of auto, cpu, opencl, opencl:P:D"
        case .badSetting(let name, let value, let expected):
            return "\(name)='\(value)': expected \(expected)"
        case .noOpenCLDevice(let why):
            return "OpenCL backend unavailable: \(why)"
        case .openCL(let call, let code):
            return "OpenCL call \(call) failed with \(openCLErrorName(code)) (\(code))"
        case .outOfDeviceMemory(let requested, let device, let limit):
            return "out of device memory on \(device): requested \(formatBytes(requested)), device memory \(formatBytes(limit))"
        case .allocationTooLarge(let requested, let device, let maxAllocation):
            return "allocation of \(formatBytes(requested)) refused on \(device): above CL_DEVICE_MAX_MEM_ALLOC_SIZE (\(formatBytes(maxAllocation)))"
        case .programBuild(let file, let options, let log):
            let oneLine = log.split(separator: "\n").prefix(12).joined(separator: " | ")
            return "OpenCL build of \(file) failed with options '\(options)': \(oneLine)"
        case .missingKernelSource(let name):
            return "kernel source '\(name)' not found (embedded sources or U2AD_KERNEL_DIR)"
        case .shapeMismatch(let what):
            return "shape mismatch: \(what)"
        }
    }
}

/// Human-readable byte count, e.g. `1.50 GiB`.
public func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.2f %@", value, units[unit])
}
