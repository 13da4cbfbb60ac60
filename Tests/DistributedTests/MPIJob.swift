import Foundation
import XCTest
import U2ADData
import U2ADRandom
import U2ADTestSupport

/// `mpirun` from the PATH, or a skip saying how to get it.
func mpirunExecutable() throws -> URL {
    let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
    for folder in folders {
        let candidate = URL(fileURLWithPath: folder).appendingPathComponent("mpirun")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    throw XCTSkip("mpirun not found on the PATH: install Open MPI (apt-get install openmpi-bin libopenmpi-dev, or make deps) to run the MPI tests")
}

/// Runs `u2ad arguments` as `ranks` ranks under `mpirun` (as root in CI: --allow-run-as-root; more ranks than cores:
/// --oversubscribe), with `environment` added for every rank. `whileRunning` gets the running `mpirun`.
func runMPI(ranks: Int, _ arguments: [String], environment: [String: String] = [:], timeLimit: Double = 300,
            whileRunning: ((Process) throws -> Void)? = nil) throws -> ProcessResult {
    guard FileManager.default.fileExists(atPath: u2adExecutable.path) else { throw XCTSkip("u2ad not built at \(u2adExecutable.path)") }
    let launcher = ["--allow-run-as-root", "--oversubscribe", "-n", "\(ranks)"] + environment.keys.sorted().flatMap { ["-x", $0] }
    return try runProcess(try mpirunExecutable(), launcher + [u2adExecutable.path] + arguments, environment: environment,
                          timeLimit: timeLimit, whileRunning: whileRunning)
}

/// Writes `count` phantom slices (`(3, 256, 256)` .npy: image, ROI, labels), lesioned ones first, into `folder`.
func writePhantomSlices(_ count: Int, lesioned: Int = 0, seed: UInt64, to folder: URL) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let cohort = Phantom.cohort(healthy: count - lesioned, lesioned: lesioned, key: RandomKey(seed: seed).split(.phantomCohort))
    for (index, sample) in cohort.enumerated() {
        let slice = sample.slice
        try NPY.write(slice.channels, shape: [3, slice.rows, slice.cols], to: folder.appendingPathComponent(String(format: "slice%03d.npy", index)))
    }
}

/// The PIDs of `parent`'s children whose environment holds `OMPI_COMM_WORLD_RANK=rank` (Linux `/proc`).
func rankProcesses(of parent: Int32, rank: Int) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, Int32(fields[1]) == parent,
              let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
        return environment.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" }
    }
}

/// The relative difference of two weight files, `|a - b| / |a|` over all their values (Euclidean norms). Adam turns
/// float rounding in a gradient that is zero in exact arithmetic (the attention's key bias) into steps of +-lr, so
/// single tensors can differ by far more than the whole, as they do between two thread counts of one process.
func relativeDifference(_ a: URL, _ b: URL) throws -> Double {
    let first = try SafeTensorsFile.read(a), second = try SafeTensorsFile.read(b)
    XCTAssertEqual(first.names, second.names)
    var difference = 0.0, norm = 0.0
    for name in first.names {
        let x = try first.floats(name), y = try second.floats(name)
        XCTAssertEqual(x.count, y.count, name)
        for (u, v) in zip(x, y) {
            difference += (Double(u) - Double(v)) * (Double(u) - Double(v))
            norm += Double(u) * Double(u)
        }
    }
    return (difference / norm).squareRoot()
}
