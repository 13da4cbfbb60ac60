import CBLAS
import Foundation

/// How the user asked for a backend: `auto`, `cpu`, `opencl` or `opencl:P:D`.
public enum BackendRequest: Equatable, Sendable {
    case auto
    case cpu
    case openCL(platform: Int?, device: Int?)

    /// Parses the `--backend` / `U2AD_BACKEND` value.
    public init(parsing text: String) throws {
        let value = text.lowercased().trimmingCharacters(in: .whitespaces)
        switch value {
        case "", "auto": self = .auto
        case "cpu": self = .cpu
        case "opencl", "gpu": self = .openCL(platform: nil, device: nil)
        default:
            let parts = value.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "opencl", let p = Int(parts[1]), let d = Int(parts[2]), p >= 0, d >= 0 else {
                throw RuntimeError.badBackendOption(text)
            }
            self = .openCL(platform: p, device: d)
        }
    }

    /// The `--backend` option if given, else `U2AD_BACKEND`, else `auto`.
    public static func resolve(option: String?, settings: RuntimeSettings = .current) throws -> BackendRequest {
        if let option {
            guard !option.trimmingCharacters(in: .whitespaces).isEmpty else { throw RuntimeError.badBackendOption(option) }
            return try BackendRequest(parsing: option)
        }
        if let environment = settings.backend { return try BackendRequest(parsing: environment) }
        return .auto
    }
}

/// The chosen backend and why it was chosen.
public struct BackendChoice {
    public let backend: Backend
    public let reason: String

    /// One line for the log, e.g. `backend: cpu (AMD EPYC ...) — auto: no OpenCL GPU found (PoCL CPU device skipped)`.
    public var summary: String { "backend: \(backend.kind.rawValue) on \(backend.deviceName) (\(reason))" }
}

public enum BackendSelector {
    /// The device `auto` would pick, and why; `nil` device means the CPU backend. Under `mpirun` (`placement`), each
    /// local rank takes the node's GPU of its own index (modulo the GPU count), so one rank runs per device.
    public static func autoPick(from devices: [OpenCLDevice], placement: RankPlacement? = RuntimeSettings.current.placement)
        -> (device: OpenCLDevice?, reason: String) {
        if case let (gpu, share)? = nodeGPU(of: devices, placement: placement) {
            return (gpu, "auto: \(share ?? "first OpenCL \(gpu.type.rawValue) \(gpu.selector)")")
        }
        if devices.isEmpty { return (nil, "auto: no OpenCL device found") }
        let skipped = devices.map { "\($0.name) [\($0.type.rawValue)]" }.joined(separator: ", ")
        return (nil, "auto: no OpenCL GPU; CPU OpenCL devices are skipped for speed: \(skipped)")
    }

    /// The GPU (or accelerator) of this rank: the first without `placement`, else the one of its local rank; with the
    /// sentence saying which it is under `mpirun`.
    static func nodeGPU(of devices: [OpenCLDevice], placement: RankPlacement?) -> (OpenCLDevice, String?)? {
        let gpus = devices.filter { $0.type == .gpu || $0.type == .accelerator }
        guard !gpus.isEmpty else { return nil }
        guard let placement else { return (gpus[0], nil) }
        let index = placement.localRank % gpus.count
        let shared = placement.localSize > gpus.count ? "; \(placement.localSize) ranks share the node's \(gpus.count)" : ""
        return (gpus[index], "OpenCL \(gpus[index].type.rawValue) \(gpus[index].selector), GPU \(index + 1) of \(gpus.count) on the node "
                + "for local rank \(placement.localRank)\(shared)")
    }

    /// Creates the backend for `request`.
    public static func make(_ request: BackendRequest, placement: RankPlacement? = RuntimeSettings.current.placement) throws -> BackendChoice {
        switch request {
        case .cpu:
            return BackendChoice(backend: CPUBackend(), reason: "requested")
        case .auto:
            let (device, reason) = autoPick(from: OpenCLDevice.all(), placement: placement)
            if let device { return BackendChoice(backend: try OpenCLBackend(device: device), reason: reason) }
            return BackendChoice(backend: CPUBackend(), reason: reason)
        case .openCL(let platform, let index):
            let devices = OpenCLDevice.all()
            guard !devices.isEmpty else { throw RuntimeError.noOpenCLDevice("no OpenCL platform or device found (is an ICD such as pocl-opencl-icd installed?)") }
            if let platform, let index {
                guard let device = devices.first(where: { $0.platformIndex == platform && $0.deviceIndex == index }) else {
                    throw RuntimeError.noOpenCLDevice("no device opencl:\(platform):\(index); run `u2ad devices` to list them")
                }
                return BackendChoice(backend: try OpenCLBackend(device: device), reason: "requested \(device.selector)")
            }
            let (device, share) = nodeGPU(of: devices, placement: placement) ?? (devices[0], nil)
            return BackendChoice(backend: try OpenCLBackend(device: device),
                                 reason: "requested opencl: " + (share ?? "\(device.selector) [\(device.type.rawValue)]"))
        }
    }
}

/// What the CPU backend's BLAS reports about itself.
public enum BLASInfo {
    public static var config: String { String(cString: openblas_get_config()) }
    public static var coreName: String { String(cString: openblas_get_corename()) }
    public static var threads: Int { Int(openblas_get_num_threads()) }
    /// `OPENBLAS_CORETYPE` from the environment, which pins the kernel set (and can halve GEMM speed).
    public static var coreTypeOverride: String? { RuntimeSettings.current.openBLASCoreType }
}
