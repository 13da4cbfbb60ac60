/// The layout of many tensors in one buffer, computed by plain arithmetic before anything is allocated
/// (llm.c's `fill_in_activation_sizes`): the planner adds each tensor's shape, reads ``byteCount``, and only then
/// allocates, so that what a batch costs is known without allocating it.
public struct ArenaLayout: Sendable {
    public struct Slot: Sendable {
        public let offset: Int
        public let shape: [Int]
        public let elementType: ElementType
        public var count: Int { shape.reduce(1, *) }
    }

    public private(set) var slots: [String: Slot] = [:]
    /// Elements, alignment padding included.
    public private(set) var elementCount = 0

    public init() {}

    public var byteCount: Int { elementCount * 4 }

    /// Reserves a tensor named `name`; each starts at a multiple of ``viewAlignment``.
    public mutating func add(_ name: String, _ shape: [Int], elementType: ElementType = .float32) {
        precondition(slots[name] == nil, "arena slot \(name) reserved twice")
        slots[name] = Slot(offset: elementCount, shape: shape, elementType: elementType)
        elementCount += (max(shape.reduce(1, *), 1) + viewAlignment - 1) / viewAlignment * viewAlignment
    }
}

/// One buffer holding every tensor of an ``ArenaLayout``, handed out as views.
public final class Arena {
    public let layout: ArenaLayout
    public let buffer: Buffer
    private let device: Device

    public init(device: Device, layout: ArenaLayout) throws {
        self.device = device
        self.layout = layout
        buffer = try device.makeBuffer(count: max(layout.elementCount, 1), shape: nil, elementType: .float32)
    }

    /// The view of the slot `name` (a programming error when the layout has none).
    public subscript(name: String) -> Buffer {
        get throws {
            guard let slot = layout.slots[name] else { preconditionFailure("no arena slot named \(name)") }
            return try device.view(of: buffer, offset: slot.offset, count: slot.count, shape: slot.shape, elementType: slot.elementType)
        }
    }
}
