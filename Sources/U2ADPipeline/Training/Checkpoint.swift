import Foundation
import U2ADData
import U2ADModel
import U2ADRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A training checkpoint: the folder `RUN/checkpoint/` holding
/// `weights.safetensors` (the model, reference names), `optimizer.safetensors` (Adam moments),
/// `uncertainty.safetensors` (adaptation: per-patch map sums), `state.json` (``TrainingState``) and
/// `checksums.json` (the size and CRC-32 of each of the others, written last).
///
/// Written into a fresh temporary folder, synchronised, then put in place without ever deleting the only complete
/// checkpoint: the current one is renamed to `checkpoint.old`, the new one renamed to `checkpoint`, and only then is
/// `checkpoint.old` deleted. A kill at any moment leaves at least one complete checkpoint; ``recover(run:)`` takes the
/// newest one whose checksums hold, among `checkpoint`, `checkpoint.old` and complete temporary folders.
public enum Checkpoint {
    public static let folderName = "checkpoint"
    static let previousName = "checkpoint.old"
    static let temporaryPrefix = ".checkpoint-"
    static let manifestName = "checksums.json"

    /// Writes a checkpoint of `model`, the Adam `moments`, `state` and `uncertainty` under `run`.
    public static func write(run: URL, model: UGMAE, moments: (first: Buffer, second: Buffer), state: TrainingState,
                             uncertainty: UncertaintySums?) throws {
        let fileManager = FileManager.default
        let temporary = run.appendingPathComponent("\(temporaryPrefix)\(UUID().uuidString).tmp")
        do {
            try fileManager.createDirectory(at: temporary, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.badFile(run.path, "cannot create a checkpoint folder: \(fileErrorReason(error, path: run.path))")
        }
        do {
            try model.save(to: temporary.appendingPathComponent("weights.safetensors"),
                           metadata: ["u2ad.epoch": String(state.epoch), "u2ad.step": String(state.step)])
            let backend = model.backend
            let count = model.parameters.capacity
            try SafeTensorsFile.write([(name: "adam.first_moment", shape: [count], values: try backend.download(moments.first)),
                                       (name: "adam.second_moment", shape: [count], values: try backend.download(moments.second))],
                                      metadata: ["u2ad.step": String(state.step)],
                                      to: temporary.appendingPathComponent("optimizer.safetensors"))
            if let uncertainty {
                let rows = uncertainty.variance.count, columns = uncertainty.variance.first?.count ?? 0
                try SafeTensorsFile.write([(name: "variance", shape: [rows, columns], values: uncertainty.variance.flatMap { $0 }),
                                           (name: "error", shape: [rows, columns], values: uncertainty.error.flatMap { $0 })],
                                          metadata: ["u2ad.epoch": String(uncertainty.epoch),
                                                     "u2ad.mean_variance": String(uncertainty.meanVariance),
                                                     "u2ad.mean_error": String(uncertainty.meanError)],
                                          to: temporary.appendingPathComponent("uncertainty.safetensors"))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(state), to: temporary.appendingPathComponent("state.json"))
            try writeManifest(temporary)
            synchronizeFolder(temporary)
        } catch {
            try? fileManager.removeItem(at: temporary)
            throw error
        }
        try install(temporary, run: run)
    }

    /// Puts the complete checkpoint `folder` in place as `checkpoint/`. The current checkpoint is renamed aside to
    /// `checkpoint.old/` (an older `checkpoint.old/` is deleted first: `folder` and the current one are both complete
    /// then), `folder` is renamed into place, and `checkpoint.old/` is deleted last.
    static func install(_ folder: URL, run: URL) throws {
        let fileManager = FileManager.default
        let current = run.appendingPathComponent(folderName), previous = run.appendingPathComponent(previousName)
        synchronizeFolder(run)
        if fileManager.fileExists(atPath: current.path) {
            if fileManager.fileExists(atPath: previous.path) { try? fileManager.removeItem(at: previous) }
            if rename(current.path, previous.path) != 0 {
                throw PipelineError.badFile(current.path, "cannot move the previous checkpoint aside: \(String(cString: strerror(errno)))")
            }
            synchronizeFolder(run)
        }
        if rename(folder.path, current.path) != 0 {
            let reason = String(cString: strerror(errno))
            _ = rename(previous.path, current.path)
            throw PipelineError.badFile(current.path, "cannot move the new checkpoint into place: \(reason)")
        }
        synchronizeFolder(run)
        try? fileManager.removeItem(at: previous)
        synchronizeFolder(run)
    }

    /// Writes `checksums.json` (size and CRC-32 of every other file of `folder`), the mark of a complete checkpoint.
    static func writeManifest(_ folder: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") && $0 != manifestName }
        var files: [String: FileChecksum] = [:]
        for name in names { files[name] = try FileChecksum(of: folder.appendingPathComponent(name)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(files), to: folder.appendingPathComponent(manifestName))
    }

    /// Throws, naming the file, unless every file `checksums.json` of `folder` lists has its size and CRC-32, and the
    /// files a checkpoint needs are there. A checkpoint written before checksums existed (no `checksums.json`) passes
    /// when its state, weights and optimizer files are present.
    static func verify(_ folder: URL) throws {
        let fileManager = FileManager.default
        let manifest = folder.appendingPathComponent(manifestName)
        let required = ["state.json", "weights.safetensors", "optimizer.safetensors"]
        guard fileManager.fileExists(atPath: manifest.path) else {
            if let missing = required.first(where: { !fileManager.fileExists(atPath: folder.appendingPathComponent($0).path) }) {
                throw PipelineError.badFile(folder.appendingPathComponent(missing).path, "is missing (incomplete checkpoint)")
            }
            return
        }
        let files: [String: FileChecksum]
        do { files = try JSONDecoder().decode([String: FileChecksum].self, from: Data(contentsOf: manifest)) } catch {
            throw PipelineError.badFile(manifest.path, "is damaged (not a list of checksums)")
        }
        for name in required where files[name] == nil {
            throw PipelineError.badFile(manifest.path, "does not list \(name) (incomplete checkpoint)")
        }
        for (name, expected) in files.sorted(by: { $0.key < $1.key }) {
            let url = folder.appendingPathComponent(name)
            guard fileManager.fileExists(atPath: url.path) else { throw PipelineError.badFile(url.path, "is missing (incomplete checkpoint)") }
            let actual = try FileChecksum(of: url)
            guard actual == expected else {
                throw PipelineError.badFile(
                    url.path,
                    "is damaged: \(actual.bytes) bytes with CRC-32 \(actual.crc32), the checkpoint recorded \(expected.bytes) bytes with CRC-32 \(expected.crc32)")
            }
        }
    }

    /// A checkpoint found by ``recover(run:)``: its folder and state, and why newer-looking folders were passed over.
    public struct Recovered {
        public var folder: URL
        public var state: TrainingState
        /// One line per candidate folder that was damaged or incomplete.
        public var skipped: [String]
    }

    /// The newest complete checkpoint of `run` among `checkpoint/`, `checkpoint.old/` and the temporary folders that
    /// finished writing (a kill between the renames leaves the newest one there); nil when `run` holds none of
    /// them. Throws, naming every candidate's problem, when there are checkpoints but none is complete.
    public static func recover(run: URL) throws -> Recovered? {
        let fileManager = FileManager.default
        var candidates = [folderName, previousName].map { run.appendingPathComponent($0) }.filter { fileManager.fileExists(atPath: $0.path) }
        let names = (try? fileManager.contentsOfDirectory(atPath: run.path)) ?? []
        candidates += names.filter { $0.hasPrefix(temporaryPrefix) && $0.hasSuffix(".tmp") }.sorted().map { run.appendingPathComponent($0) }
            .filter { fileManager.fileExists(atPath: $0.appendingPathComponent(manifestName).path) }
        guard !candidates.isEmpty else { return nil }
        var complete: [(folder: URL, state: TrainingState)] = [], problems: [String] = []
        for folder in candidates {
            do {
                try verify(folder)
                complete.append((folder, try readState(folder)))
            } catch {
                problems.append("\(error)")
            }
        }
        func progress(_ state: TrainingState) -> [Int] { [state.epoch, state.batchesDone, state.step, state.finished ? 1 : 0] }
        guard let newest = complete.max(by: { progress($0.state).lexicographicallyPrecedes(progress($1.state)) }) else {
            throw PipelineError.badFile(run.path, "holds no complete checkpoint: " + problems.joined(separator: "; "))
        }
        return Recovered(folder: newest.folder, state: newest.state, skipped: problems)
    }

    /// The folder of the newest complete checkpoint of `run` (see ``recover(run:)``), or nil.
    public static func locate(run: URL) -> URL? {
        (try? recover(run: run))??.folder
    }

    /// Reads `state.json` of the checkpoint in `folder`.
    public static func readState(_ folder: URL) throws -> TrainingState {
        let url = folder.appendingPathComponent("state.json")
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw PipelineError.badFile(url.path, "cannot be read: \(fileErrorReason(error, path: url.path))") }
        struct Format: Decodable { var format: Int }
        if let format = try? JSONDecoder().decode(Format.self, from: data).format, format != TrainingState.currentFormat {
            throw PipelineError.badFile(url.path, "checkpoint format \(format), this build reads \(TrainingState.currentFormat) (start the run again)")
        }
        do { return try JSONDecoder().decode(TrainingState.self, from: data) } catch {
            throw PipelineError.badFile(url.path, "is not a training state (\(decodingProblem(error)))")
        }
    }

    /// Loads the Adam moments of the checkpoint in `folder` into `moments`.
    public static func readMoments(_ folder: URL, into moments: (first: Buffer, second: Buffer), backend: Backend, count: Int) throws {
        let url = folder.appendingPathComponent("optimizer.safetensors")
        let file = try SafeTensorsFile.read(url)
        for (name, buffer) in [("adam.first_moment", moments.first), ("adam.second_moment", moments.second)] {
            let values = try file.floats(name, shape: [count])
            guard values.allSatisfy({ $0.isFinite }) else { throw PipelineError.badFile(url.path, "\(name) holds NaN or infinite values") }
            try backend.upload(values, to: buffer)
        }
    }

    /// Loads the per-patch uncertainty sums of the checkpoint in `folder`, or nil when it has none.
    public static func readUncertainty(_ folder: URL, slices: Int, patches: Int) throws -> UncertaintySums? {
        let url = folder.appendingPathComponent("uncertainty.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let file = try SafeTensorsFile.read(url)
        let variance = try file.floats("variance", shape: [slices, patches])
        let error = try file.floats("error", shape: [slices, patches])
        guard let epoch = file.metadata["u2ad.epoch"].flatMap(Int.init) else {
            throw PipelineError.badFile(url.path, "has no u2ad.epoch metadata")
        }
        func rows(_ values: [Float]) -> [[Float]] { (0..<slices).map { Array(values[($0 * patches)..<(($0 + 1) * patches)]) } }
        return UncertaintySums(epoch: epoch, variance: rows(variance), error: rows(error),
                               meanVariance: file.metadata["u2ad.mean_variance"].flatMap(Double.init) ?? .nan,
                               meanError: file.metadata["u2ad.mean_error"].flatMap(Double.init) ?? .nan)
    }

    /// Removes temporary folders left by a crash during a checkpoint write.
    public static func removeLeftovers(run: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run.path)) ?? []
        for name in names where name.hasPrefix(temporaryPrefix) && name.hasSuffix(".tmp") {
            try? FileManager.default.removeItem(at: run.appendingPathComponent(name))
        }
    }

    /// `fsync` of a folder, so that renames inside it are durable.
    static func synchronizeFolder(_ folder: URL) {
        let descriptor = open(folder.path, O_RDONLY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}

/// Where a JSON document fails to decode, in a few words (`missing key 'epoch'`, `wrong type at options.epochs`).
func decodingProblem(_ error: Error) -> String {
    func path(_ context: DecodingError.Context) -> String { context.codingPath.map(\.stringValue).joined(separator: ".") }
    switch error as? DecodingError {
    case .keyNotFound(let key, let context)?: return "missing key '\((path(context).isEmpty ? "" : path(context) + ".") + key.stringValue)'"
    case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?: return "wrong value at \(path(context))"
    case .dataCorrupted(let context)?: return context.codingPath.isEmpty ? "not valid JSON" : "bad value at \(path(context))"
    default: return "not valid JSON"
    }
}
