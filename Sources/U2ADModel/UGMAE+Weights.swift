import Foundation
import U2ADData
import U2ADRandom
import U2ADRuntime

extension UGMAE {
    /// Safetensors metadata key holding the JSON of the ``UGMAEConfiguration`` a file was saved with.
    public static let configurationMetadataKey = "u2ad.configuration"

    /// Tensors of the reference's `state_dict` that are accepted and ignored.
    static func isIgnoredReferenceTensor(_ name: String) -> Bool {
        name.hasPrefix("rec_blocks.") || name.hasPrefix("edge_blocks.") || name == "operator.filter.weight"
    }

    /// Loads weights saved from the reference's `state_dict` (or by ``save(to:metadata:)``).
    ///
    /// Every trainable tensor must be present with its exact shape; `pos_embed` and `decoder_pos_embed`
    /// are taken when present; the reference's unused `rec_blocks.*`, `edge_blocks.*` and
    /// `operator.filter.weight` are ignored; anything else is an error naming the tensor.
    public func load(from url: URL) throws {
        try load(try SafeTensorsFile.read(url), name: url.lastPathComponent)
    }

    /// Loads weights from a file already read (so a command reads its weights once); `name` labels errors.
    public func load(_ file: SafeTensorsFile, name: String) throws {
        try UGMAE.checkTensors(file, configuration: configuration, name: name)
        func read(_ tensor: String, _ shape: [Int]) throws -> [Float] {
            let values = try file.floats(tensor)
            guard values.allSatisfy({ $0.isFinite }) else { throw ModelError.notFinite(file: name, tensor: tensor) }
            return values
        }
        for (tensor, shape) in UGMAE.trainableShapes(configuration) { try parameters.set(tensor, try read(tensor, shape)) }
        let fixed = fixedShapes
        let encoderTable = file.shape(fixed[0].0) != nil ? try read(fixed[0].0, fixed[0].1) : positionalEmbedding
        let decoderTable = file.shape(fixed[1].0) != nil ? try read(fixed[1].0, fixed[1].1) : decoderPositionalEmbedding
        try setPositionalEmbeddings(encoder: encoderTable, decoder: decoderTable)
    }

    /// Checks, before any model is allocated, that `file` holds every trainable tensor of `configuration` with its
    /// exact shape, the fixed tables (when present) with theirs, and nothing else but the reference's ignored tensors.
    public static func checkTensors(_ file: SafeTensorsFile, configuration: UGMAEConfiguration, name: String) throws {
        let trainable = trainableShapes(configuration), fixed = fixedShapes(configuration)
        let known = Set(trainable.map(\.0) + fixed.map(\.0))
        for tensor in file.names where !known.contains(tensor) && !isIgnoredReferenceTensor(tensor) {
            throw ModelError.unexpectedTensor(file: name, tensor: tensor)
        }
        for (tensor, shape) in trainable + fixed {
            guard let actual = file.shape(tensor) else {
                if fixed.contains(where: { $0.0 == tensor }) { continue }
                throw ModelError.missingTensor(file: name, tensor: tensor)
            }
            guard actual == shape else { throw ModelError.wrongShape(file: name, tensor: tensor, shape: actual, expected: shape) }
        }
    }

    /// Every tensor in the reference's names, as a PyTorch `load_state_dict(strict=False)` expects.
    public func stateDict() throws -> [(name: String, shape: [Int], values: [Float])] {
        var tensors = try UGMAE.trainableShapes(configuration).map { (name: $0.0, shape: $0.1, values: try parameters.get($0.0)) }
        tensors.append((name: "pos_embed", shape: fixedShapes[0].1, values: positionalEmbedding))
        tensors.append((name: "decoder_pos_embed", shape: fixedShapes[1].1, values: decoderPositionalEmbedding))
        return tensors
    }

    /// Writes the weights as safetensors (float32, sorted names), atomically.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        var meta = metadata
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        if let json = try? encoder.encode(configuration), let text = String(data: json, encoding: .utf8) { meta[UGMAE.configurationMetadataKey] = text }
        try SafeTensorsFile.write(try stateDict(), metadata: meta, to: url)
    }

    /// The reference's initialisation: xavier-uniform Linear and patch-embedding weights, zero biases,
    /// LayerNorm weight 1 and bias 0, cls and mask tokens from N(0, 0.02), all drawn from `key`.
    public func initializeRandomly(key: RandomKey) throws {
        var random = key.stream()
        for (name, shape) in UGMAE.trainableShapes(configuration) {
            let count = shape.reduce(1, *)
            let values: [Float]
            if name == "cls_token" || name == "mask_token" {
                values = (0..<count).map { _ in Float(0.02 * random.normal()) }
            } else if name.hasSuffix(".bias") {
                values = [Float](repeating: 0, count: count)
            } else if name.hasSuffix("norm.weight") || name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") || shape.count == 1 {
                values = [Float](repeating: 1, count: count)
            } else {
                let fanOut = shape[0], fanIn = count / shape[0]
                let bound = (6.0 / Double(fanIn + fanOut)).squareRoot()
                values = (0..<count).map { _ in Float((2 * random.uniform() - 1) * bound) }
            }
            try parameters.set(name, values)
        }
    }
}
