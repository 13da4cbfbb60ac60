import ArgumentParser
import Foundation
import U2ADRuntime

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List OpenCL devices, the one `auto` picks and why, and the CPU backend's BLAS.")

    @OptionGroup var backendOptions: BackendOptions

    func run() throws {
        do { try RuntimeSettings.check() } catch { failAndExit(error) }
        if let placement = RuntimeSettings.current.placement {
            // Under mpirun: rank 0 lists the node's devices, and every rank says what it would run on.
            if placement.rank == 0 { listDevices() }
            do {
                let choice = try BackendSelector.make(try BackendRequest.resolve(option: backendOptions.backend))
                print("\(placement) on \(ProcessInfo.processInfo.hostName): \(choice.summary); CPU backend threads: \(cpuThreadCount)")
            } catch { failAndExit(error) }
            return
        }
        listDevices()
    }

    /// The device table, tuning, `auto`'s pick, the selected backend and the BLAS.
    private func listDevices() {
        let devices = OpenCLDevice.all()
        print("OpenCL devices:")
        if devices.isEmpty {
            print("  (none: no OpenCL platform found; install an ICD such as pocl-opencl-icd or a GPU driver)")
        } else {
            let header = ["selector", "type", "name", "platform", "CUs", "global", "local", "max alloc", "OpenCL C", "driver"]
            var rows = [header]
            for d in devices {
                rows.append([d.selector, d.type.rawValue, d.name, d.platformName, "\(d.computeUnits)", formatBytes(d.globalMemory),
                             formatBytes(d.localMemory), formatBytes(d.maxAllocation), d.openCLCVersion, d.driverVersion])
            }
            let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print("  " + row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  "))
            }
        }
        let settings = RuntimeSettings.current
        print("tuning table: \(settings.tuningFile.map { "\($0.path), \(settings.tuning.entries.count) entries" } ?? "none (set U2AD_TUNING or run u2ad tune)")")
        for d in devices {
            print("kernel parameters for \(d.selector) (\(DeviceTuning(device: d, settings: settings).source)):")
            for op in allOps { print("  \(op.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(op.tuning(for: d, settings: settings))") }
        }
        let (device, reason) = BackendSelector.autoPick(from: devices)
        if let device {
            print("auto picks: opencl \(device.selector) (\(device.name)) — \(reason)")
        } else {
            print("auto picks: cpu backend — \(reason)")
        }
        do {
            let choice = try BackendSelector.make(try BackendRequest.resolve(option: backendOptions.backend))
            print("selected: \(choice.summary)")
        } catch { failAndExit(error) }
        print("CPU backend: \(CPUInfo.modelName), \(cpuThreadCount) threads (U2AD_THREADS)")
        print("BLAS: OpenBLAS \(BLASInfo.config)")
        print("BLAS core: \(BLASInfo.coreName); the CPU backend splits each GEMM over its \(cpuThreadCount) workers, OpenBLAS single-threaded in each")
        if let coreType = BLASInfo.coreTypeOverride {
            print("warning: OPENBLAS_CORETYPE=\(coreType) is set and pins OpenBLAS to that kernel set; GEMM can be up to 2x slower than with auto-detection")
        }
    }
}
