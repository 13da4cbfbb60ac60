import Foundation

/// Every environment variable u2ad reads, read once at start-up and checked there.
///
/// | variable | meaning |
/// |---|---|
/// | `U2AD_BACKEND` | `auto`, `cpu`, `opencl` or `opencl:P:D` when `--backend` is not given |
/// | `U2AD_THREADS` | CPU backend workers (default: every core) |
/// | `U2AD_KERNEL_DIR` | read the kernels' `.cl` files from this folder instead of the copy embedded in the binary |
/// | `U2AD_KERNEL_CACHE` | compiled-kernel cache folder, `off` to disable (default `~/.cache/u2ad/kernels`) |
/// | `U2AD_PROFILE` | `1`: per-kernel time table at exit |
/// | `U2AD_GEMM_TILES` | `TM,TN,TK,WM,WN[,DB]`: GEMM tiles on OpenCL devices instead of the tuning table's |
/// | `U2AD_TUNING` | the tuning table, a JSON file (default `~/.config/u2ad/tuning.json`); empty until it exists |
/// | `U2AD_TUNE_AS` | `gpu`, `cpu`, `accelerator` or `other`: take that device type's defaults (CI runs PoCL with a GPU's) |
/// | `OPENBLAS_CORETYPE` | read only to report it: it pins OpenBLAS's kernel set |
public struct RuntimeSettings: Sendable, Equatable {
    public var backend: String?
    public var threads: Int?
    public var kernelDirectory: String?
    /// Nil: no disk cache.
    public var kernelCache: URL?
    public var profile = false
    public var gemmTiles: GEMMTiles?
    /// The per-device kernel parameters (``TuningTable``), and the file they came from.
    public var tuning = TuningTable()
    public var tuningFile: URL?
    /// The device type whose defaults every device takes, whatever it is.
    public var tuneAs: OpenCLDeviceType?
    public var openBLASCoreType: String?

    /// The defaults (no variable set).
    public init() {
        kernelCache = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/u2ad/kernels")
    }

    /// Settings from `environment`; throws one line naming the first variable with a value it cannot use.
    public init(environment: [String: String]) throws {
        self.init()
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        backend = value("U2AD_BACKEND")
        if let text = value("U2AD_THREADS") {
            guard let count = Int(text), count >= 1, count <= 4096 else {
                throw RuntimeError.badSetting("U2AD_THREADS", text, "a whole number of CPU workers from 1 to 4096")
            }
            threads = count
        }
        kernelDirectory = value("U2AD_KERNEL_DIR")
        if let text = value("U2AD_KERNEL_CACHE") { kernelCache = text == "off" ? nil : URL(fileURLWithPath: text) }
        if let text = value("U2AD_PROFILE") {
            guard text == "0" || text == "1" else { throw RuntimeError.badSetting("U2AD_PROFILE", text, "0 or 1") }
            profile = text == "1"
        }
        if let text = value("U2AD_GEMM_TILES") {
            guard let tiles = GEMMTiles(parsing: text) else {
                throw RuntimeError.badSetting("U2AD_GEMM_TILES", text, GEMMTiles.requirement)
            }
            gemmTiles = tiles
        }
        if let path = value("U2AD_TUNING") {
            tuningFile = URL(fileURLWithPath: path)
        } else if FileManager.default.fileExists(atPath: TuningTable.defaultURL.path) {
            tuningFile = TuningTable.defaultURL
        }
        // A table that does not exist yet is empty (`u2ad tune` writes it); one that exists must be valid.
        if let tuningFile, FileManager.default.fileExists(atPath: tuningFile.path) { tuning = try TuningTable.read(tuningFile) }
        if let text = value("U2AD_TUNE_AS") {
            guard let type = OpenCLDeviceType(rawValue: text.lowercased()) else {
                throw RuntimeError.badSetting("U2AD_TUNE_AS", text, "gpu, cpu, accelerator or other")
            }
            tuneAs = type
        }
        openBLASCoreType = value("OPENBLAS_CORETYPE")
    }

    /// The process's settings, read on first use. A variable u2ad cannot use is reported by ``check()``.
    public static let current: RuntimeSettings = (try? RuntimeSettings(environment: ProcessInfo.processInfo.environment)) ?? RuntimeSettings()

    /// Throws the first problem with the process's environment (the commands call this before any work).
    public static func check() throws {
        _ = try RuntimeSettings(environment: ProcessInfo.processInfo.environment)
    }
}
