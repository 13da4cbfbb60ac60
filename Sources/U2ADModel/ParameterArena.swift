import U2ADRuntime

/// Every trainable tensor of a model in one flat buffer, with a gradient buffer of the same layout,
/// so the optimizer runs as one launch over the whole arena.
///
/// Tensors keep PyTorch `state_dict` names and shapes; each starts at a multiple of ``viewAlignment``.
public final class ParameterArena {
    public struct Entry {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let backend: Backend
    public private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]
    public let values: Buffer
    public let gradients: Buffer
    private var valueViews: [String: Buffer] = [:]
    private var gradientViews: [String: Buffer] = [:]

    /// Total element count including alignment padding.
    public var capacity: Int { values.count }
    /// Number of trainable values (padding excluded).
    public var parameterCount: Int { entries.reduce(0) { $0 + $1.count } }

    /// Lays out `tensors` (name, shape) in order and allocates values and gradients.
    public init(backend: Backend, tensors: [(String, [Int])]) throws {
        self.backend = backend
        var offset = 0
        for (name, shape) in tensors {
            precondition(index[name] == nil, "duplicate parameter \(name)")
            index[name] = entries.count
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += (shape.reduce(1, *) + viewAlignment - 1) / viewAlignment * viewAlignment
        }
        values = try backend.makeBuffer([max(offset, 1)])
        gradients = try backend.makeBuffer([max(offset, 1)])
        try backend.fill(values, with: 0, count: values.count)
        try backend.fill(gradients, with: 0, count: gradients.count)
        for entry in entries {
            valueViews[entry.name] = try backend.view(of: values, offset: entry.offset, count: entry.count, shape: entry.shape)
            gradientViews[entry.name] = try backend.view(of: gradients, offset: entry.offset, count: entry.count, shape: entry.shape)
        }
    }

    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The device view of parameter `name`.
    public subscript(name: String) -> Buffer {
        guard let view = valueViews[name] else { preconditionFailure("no parameter named \(name)") }
        return view
    }

    /// The device view of the gradient of `name`.
    public func gradient(_ name: String) -> Buffer {
        guard let view = gradientViews[name] else { preconditionFailure("no parameter named \(name)") }
        return view
    }

    public func set(_ name: String, _ values: [Float]) throws {
        guard let entry = entry(name) else { preconditionFailure("no parameter named \(name)") }
        precondition(values.count == entry.count, "\(name): \(values.count) values for shape \(entry.shape)")
        try backend.upload(values, to: self[name])
    }

    public func get(_ name: String) throws -> [Float] { try backend.download(self[name]) }
    public func getGradient(_ name: String) throws -> [Float] { try backend.download(gradient(name)) }

    public func zeroGradients() throws { try backend.fill(gradients, with: 0, count: gradients.count) }
}
