/// What a backend moved between host and device and how many kernels it launched, counted from the backend's
/// creation. Subtract two readings (``-(_:_:)``) for the traffic of a piece of work.
///
/// The CPU backend counts its uploads and downloads (copies into and out of its buffers) and launches nothing.
public struct DeviceTraffic: Codable, Sendable, Equatable {
    public var hostToDeviceBytes = 0
    public var deviceToHostBytes = 0
    /// Kernels enqueued (OpenCL only).
    public var launches = 0
    /// Transfers enqueued, both directions.
    public var transfers = 0

    /// Nothing moved or launched.
    public init() {}

    public static func - (after: DeviceTraffic, before: DeviceTraffic) -> DeviceTraffic {
        var used = after
        used.hostToDeviceBytes -= before.hostToDeviceBytes
        used.deviceToHostBytes -= before.deviceToHostBytes
        used.launches -= before.launches
        used.transfers -= before.transfers
        return used
    }

    mutating func countUpload(_ bytes: Int) {
        hostToDeviceBytes += bytes
        transfers += 1
    }

    mutating func countDownload(_ bytes: Int) {
        deviceToHostBytes += bytes
        transfers += 1
    }
}

/// A download that was enqueued without waiting (``Device/startDownload(_:)``): ``values()`` waits for it.
public protocol PendingDownload: AnyObject {
    /// The buffer's contents, once the transfer has completed.
    func values() throws -> [Float]
}

/// A download that completed when it was started (the CPU backend).
final class CompletedDownload: PendingDownload {
    private let contents: [Float]
    init(_ contents: [Float]) { self.contents = contents }
    func values() -> [Float] { contents }
}
