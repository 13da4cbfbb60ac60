import ArgumentParser
import Foundation
import U2ADRuntime

struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search the GEMM, attention and LayerNorm kernel parameters on an OpenCL device and write its tuning-table entry.",
        discussion: """
        Every candidate is built, checked against the CPU backend and timed at the model's shapes; the fastest correct \
        one per op goes into the device's entry of the tuning table (--out, default $U2AD_TUNING, else \
        ~/.config/u2ad/tuning.json), which every later run reads at start-up. `u2ad devices` shows the entry in use.
        """)

    @Option(help: "The OpenCL device: opencl or opencl:P:D (default: the device `auto` picks, else the first).")
    var backend: String?

    @Option(help: "Ops to search, comma-separated: gemm, attention, layernorm.")
    var ops: String = "gemm,attention,layernorm"

    @Option(help: "Images per batch of the timed shapes.")
    var batch: Int = 8

    @Option(help: "Least seconds per candidate and op.")
    var seconds: Double = 0.5

    @Option(help: "The tuning table to write (the device's entry is replaced, the others kept).")
    var out: String?

    func run() throws {
        do { try tune() } catch { failAndExit(error) }
    }

    private func tune() throws {
        try RuntimeSettings.check()
        let settings = RuntimeSettings.current
        let known: Set<String> = ["gemm", "attention", "layernorm"]
        let chosen = Set(ops.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        guard !chosen.isEmpty, chosen.isSubset(of: known) else { throw ValidationError("--ops: expected some of gemm, attention, layernorm, got '\(ops)'") }
        guard batch >= 1, batch <= 256 else { throw ValidationError("--batch: expected 1 to 256 images, got \(batch)") }
        guard seconds > 0, seconds <= 60 else { throw ValidationError("--seconds: expected more than 0 and at most 60, got \(seconds)") }
        let device = try openCLDevice()
        let url = out.map { URL(fileURLWithPath: $0) } ?? settings.tuningFile ?? TuningTable.defaultURL
        let existing = FileManager.default.fileExists(atPath: url.path) ? try TuningTable.read(url) : TuningTable()
        log("tuning \(device.selector) (\(device.name), \(device.type.rawValue)) at batch \(batch); writing \(url.path)")
        let search = TuningSearch(device: device, settings: settings, batch: batch, seconds: seconds, log: log)
        var entry = try search.run(ops: chosen)
        let previous = existing.entry(for: device)
        entry.gemm = entry.gemm ?? previous?.gemm
        entry.attention = entry.attention ?? previous?.attention
        entry.layerNorm = entry.layerNorm ?? previous?.layerNorm
        try existing.replacing(entry).write(to: url)
        print("wrote the entry for \(device.name) to \(url.path)")
    }

    private func openCLDevice() throws -> OpenCLDevice {
        let devices = OpenCLDevice.all()
        switch try BackendRequest(parsing: backend ?? "opencl") {
        case .openCL(let platform?, let device?):
            guard let found = devices.first(where: { $0.platformIndex == platform && $0.deviceIndex == device }) else {
                throw ValidationError("--backend: no OpenCL device \(platform):\(device); `u2ad devices` lists them")
            }
            return found
        case .openCL, .auto:
            guard let found = BackendSelector.autoPick(from: devices).device ?? devices.first else {
                throw ValidationError("--backend: no OpenCL device found; `u2ad devices` tells why")
            }
            return found
        case .cpu:
            throw ValidationError("--backend: tuning needs an OpenCL device, got cpu")
        }
    }

    private func log(_ line: String) { FileHandle.standardError.write((line + "\n").data(using: .utf8)!) }
}
