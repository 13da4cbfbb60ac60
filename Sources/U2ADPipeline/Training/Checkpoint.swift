import Foundation
import U2ADData
import U2ADModel
import U2ADRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A training checkpoint: the folder `RUN/checkpoint/` holding
/// `weights.safetensors` (the model, reference names), `optimizer.safetensors` (Adam moments),
/// `uncertainty.safetensors` (adaptation: per-patch map sums) and `state.json` (``TrainingState``).
///
/// Written into a fresh temporary folder that is renamed into place only when complete (the previous
/// checkpoint is moved aside to `checkpoint.old` first and deleted after), so a crash at any moment
/// leaves either the old or the new checkpoint whole; ``Checkpoint/locate(run:)`` falls back to
/// `checkpoint.old` when the crash came between the two renames.
public enum Checkpoint {
    public static let folderName = "checkpoint"
    static let previousName = "checkpoint.old"
    static let temporaryPrefix = ".checkpoint-"

    /// Writes a checkpoint of `model`, the Adam `moments`, `state` and `uncertainty` under `run`.
    public static func write(run: URL, model: UGMAE, moments: (first: Buffer, second: Buffer), state: TrainingState,
                             uncertainty: UncertaintySums?) throws {
        let fileManager = FileManager.default
        let temporary = run.appendingPathComponent("\(temporaryPrefix)\(UUID().uuidString).tmp")
        do {
            try fileManager.createDirectory(at: temporary, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.badFile(run.path, "cannot create a checkpoint folder: \(error.localizedDescription)")
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
            synchronizeFolder(temporary)
        } catch {
            try? fileManager.removeItem(at: temporary)
            throw error
        }
        let current = run.appendingPathComponent(folderName), previous = run.appendingPathComponent(previousName)
        try? fileManager.removeItem(at: previous)
        if fileManager.fileExists(atPath: current.path), rename(current.path, previous.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? fileManager.removeItem(at: temporary)
            throw PipelineError.badFile(current.path, "cannot move the previous checkpoint aside: \(reason)")
        }
        if rename(temporary.path, current.path) != 0 {
            let reason = String(cString: strerror(errno))
            _ = rename(previous.path, current.path)
            throw PipelineError.badFile(current.path, "cannot move the new checkpoint into place: \(reason)")
        }
        synchronizeFolder(run)
        try? fileManager.removeItem(at: previous)
    }

    /// The folder of the newest complete checkpoint of `run` (`checkpoint/`, else `checkpoint.old/`), or nil.
    public static func locate(run: URL) -> URL? {
        for name in [folderName, previousName] {
            let folder = run.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("state.json").path) { return folder }
        }
        return nil
    }

    /// Reads `state.json` of the checkpoint in `folder`.
    public static func readState(_ folder: URL) throws -> TrainingState {
        let url = folder.appendingPathComponent("state.json")
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw PipelineError.badFile(url.path, "cannot be read") }
        struct Format: Decodable { var format: Int }
        if let format = try? JSONDecoder().decode(Format.self, from: data).format, format != TrainingState.currentFormat {
            throw PipelineError.badFile(url.path, "checkpoint format \(format), this build reads \(TrainingState.currentFormat) (start the run again)")
        }
        do { return try JSONDecoder().decode(TrainingState.self, from: data) } catch {
            throw PipelineError.badFile(url.path, "is not a training state (\(error.localizedDescription))")
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
