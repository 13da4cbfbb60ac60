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
/// | `OMPI_COMM_WORLD_RANK`, `_SIZE`, `_LOCAL_RANK`, `_LOCAL_SIZE` | set by Open MPI's `mpirun`: the process's rank, and its place among the ranks of its node (``RankPlacement``) |
/// | `U2AD_MPI_LIBRARY` | Open MPI's `libmpi.so` when the loader cannot find `libmpi.so.40` (read only under `mpirun`) |
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
    /// Where `mpirun` placed this process; nil when it was not launched by `mpirun`.
    public var placement: RankPlacement?
    public var mpiLibrary: String?

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
        placement = try RankPlacement(environment: environment)
        mpiLibrary = value("U2AD_MPI_LIBRARY")
    }

    /// The process's settings, read on first use. A variable u2ad cannot use is reported by ``check()``.
    public static let current: RuntimeSettings = (try? RuntimeSettings(environment: ProcessInfo.processInfo.environment)) ?? RuntimeSettings()

    /// Throws the first problem with the process's environment (the commands call this before any work).
    public static func check() throws {
        _ = try RuntimeSettings(environment: ProcessInfo.processInfo.environment)
    }
}

/// Where `mpirun` placed a process: its rank among all ranks and among the ranks on its node. The local rank picks
/// the node's device (``BackendSelector``) and the local rank count divides the CPU workers (``cpuThreadCount``).
public struct RankPlacement: Sendable, Equatable, CustomStringConvertible {
    public var rank: Int
    public var size: Int
    public var localRank: Int
    public var localSize: Int

    /// `rank 1 of 4 (local 1 of 2 on this node)`.
    public var description: String { "rank \(rank) of \(size) (local \(localRank) of \(localSize) on this node)" }
}

extension RankPlacement {
    /// The placement Open MPI's `mpirun` describes in `OMPI_COMM_WORLD_*`, or nil when `OMPI_COMM_WORLD_SIZE` is unset.
    init?(environment: [String: String]) throws {
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil else { return nil }
        func number(_ name: String, below limit: Int?) throws -> Int {
            let text = environment[name] ?? ""
            guard let value = Int(text), value >= 0, limit.map({ value < $0 }) ?? (value >= 1) else {
                throw RuntimeError.badSetting(name, text, limit.map { "a rank from 0 to \($0 - 1) (set by mpirun)" } ?? "a rank count of at least 1 (set by mpirun)")
            }
            return value
        }
        size = try number("OMPI_COMM_WORLD_SIZE", below: nil)
        rank = try number("OMPI_COMM_WORLD_RANK", below: size)
        localSize = environment["OMPI_COMM_WORLD_LOCAL_SIZE"] == nil ? 1 : try number("OMPI_COMM_WORLD_LOCAL_SIZE", below: nil)
        localRank = environment["OMPI_COMM_WORLD_LOCAL_RANK"] == nil ? 0 : try number("OMPI_COMM_WORLD_LOCAL_RANK", below: localSize)
    }
}
