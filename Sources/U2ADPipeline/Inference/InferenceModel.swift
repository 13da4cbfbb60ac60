import Foundation
import U2ADData
import U2ADModel
import U2ADRuntime

/// Loads weights for inference with the configuration they were saved with.
public enum InferenceModel {
    /// Metadata key holding the JSON of the ``UGMAEConfiguration`` (written by `UGMAE.save`).
    public static let configurationKey = UGMAE.configurationMetadataKey

    /// Reads a weights file (once per command: the configuration and the tensors both come from what this returns).
    public static func read(_ weights: URL) throws -> SafeTensorsFile {
        guard FileManager.default.fileExists(atPath: weights.path) else { throw PipelineError.badFile(weights.path, "does not exist") }
        return try SafeTensorsFile.read(weights)
    }

    /// The configuration of `weights` (see ``configuration(of:named:depth:decoderDepth:)``).
    public static func configuration(weights: URL, depth: Int? = nil, decoderDepth: Int? = nil) throws -> UGMAEConfiguration {
        try configuration(of: read(weights), named: weights.lastPathComponent, depth: depth, decoderDepth: decoderDepth)
    }

    /// Whether the file records its configuration in its metadata (u2ad's own checkpoints do, the reference's do not).
    public static func recordsConfiguration(_ file: SafeTensorsFile) -> Bool { file.metadata[configurationKey] != nil }

    /// The configuration of a weights file: the metadata's when present, else the default with the encoder and
    /// decoder depths counted from the tensor names; `depth` and `decoderDepth` override either.
    public static func configuration(of file: SafeTensorsFile, named name: String, depth: Int? = nil, decoderDepth: Int? = nil) throws -> UGMAEConfiguration {
        var configuration = UGMAEConfiguration()
        if let text = file.metadata[configurationKey] {
            do { configuration = try JSONDecoder().decode(UGMAEConfiguration.self, from: Data(text.utf8)) } catch {
                throw PipelineError.badFile(name, "metadata \(configurationKey) is not a UGMAE configuration")
            }
        } else {
            let encoder = blockCount(file.names, prefix: "blocks."), decoder = blockCount(file.names, prefix: "decoder_blocks.")
            if encoder > 0 { configuration.depth = encoder }
            if decoder > 0 { configuration.decoderDepth = decoder }
        }
        if let depth { configuration.depth = depth }
        if let decoderDepth { configuration.decoderDepth = decoderDepth }
        if let problem = configuration.problem {
            if problem.field == "depth", depth != nil { throw PipelineError.badOption("--depth", "\(problem)") }
            if problem.field == "decoderDepth", decoderDepth != nil { throw PipelineError.badOption("--decoder-depth", "\(problem)") }
            let source = file.metadata[configurationKey] != nil ? "metadata \(configurationKey)" : "model configuration"
            throw PipelineError.badFile(name, "\(source): \(problem)")
        }
        return configuration
    }

    /// A model on `backend` with the weights of `weights`, read once. The configuration is checked, then the tensor
    /// names and shapes against it, before the model is allocated.
    public static func load(weights: URL, backend: Backend, depth: Int? = nil, decoderDepth: Int? = nil) throws -> UGMAE {
        let file = try read(weights), name = weights.lastPathComponent
        let configuration = try configuration(of: file, named: name, depth: depth, decoderDepth: decoderDepth)
        try UGMAE.checkTensors(file, configuration: configuration, name: name)
        let model = try UGMAE(configuration: configuration, backend: backend)
        try model.load(file, name: name)
        return model
    }

    /// Number of distinct `prefix<i>.` blocks.
    static func blockCount(_ names: [String], prefix: String) -> Int {
        Set(names.compactMap { name -> Int? in
            guard name.hasPrefix(prefix) else { return nil }
            return Int(name.dropFirst(prefix.count).prefix { $0 != "." })
        }).count
    }
}
