import Foundation

/// Per-kernel timing table, enabled by ``RuntimeSettings/profile`` (`U2AD_PROFILE=1`) and printed at exit.
/// Transfers are rows named `[host to device]` and `[device to host]`; the last line totals launches and bytes.
public final class Profiler: @unchecked Sendable {
    public static let shared = Profiler()
    public let isEnabled = RuntimeSettings.current.profile

    struct Entry { var calls = 0; var nanoseconds: UInt64 = 0; var flops: Double = 0; var bytes: Double = 0 }
    private var entries: [String: Entry] = [:]
    private let lock = NSLock()

    private init() {
        if isEnabled { atexit { Profiler.shared.printTable() } }
    }

    /// Adds one call of `name` that took `nanoseconds` and did `flops` and moved `bytes`.
    public func record(_ name: String, nanoseconds: UInt64, flops: Double = 0, bytes: Double = 0) {
        lock.lock(); defer { lock.unlock() }
        var entry = entries[name, default: Entry()]
        entry.calls += 1
        entry.nanoseconds += nanoseconds
        entry.flops += flops
        entry.bytes += bytes
        entries[name] = entry
    }

    /// A start time for ``end(_:_:flops:bytes:)``, or 0 when profiling is off.
    @inline(__always)
    public func begin() -> UInt64 { isEnabled ? DispatchTime.now().uptimeNanoseconds : 0 }

    /// Records a host-timed op that started at `start` (from ``begin()``).
    @inline(__always)
    public func end(_ name: String, _ start: UInt64, flops: @autoclosure () -> Double = 0, bytes: @autoclosure () -> Double = 0) {
        guard isEnabled else { return }
        record(name, nanoseconds: DispatchTime.now().uptimeNanoseconds - start, flops: flops(), bytes: bytes())
    }

    /// The table as text, slowest kernel first.
    public func table() -> String {
        lock.lock(); defer { lock.unlock() }
        func cell(_ text: String, _ width: Int, left: Bool = false) -> String {
            let pad = String(repeating: " ", count: max(0, width - text.count))
            return left ? text + pad : pad + text
        }
        var lines = [cell("kernel", 34, left: true) + cell("calls", 8) + cell("total ms", 12) + cell("GFLOP/s", 10) + cell("GB/s", 10)]
        for (name, entry) in entries.sorted(by: { $0.value.nanoseconds > $1.value.nanoseconds }) {
            let seconds = Double(entry.nanoseconds) / 1e9
            let gflops = entry.flops > 0 && seconds > 0 ? String(format: "%.1f", entry.flops / seconds / 1e9) : "-"
            let gbs = entry.bytes > 0 && seconds > 0 ? String(format: "%.1f", entry.bytes / seconds / 1e9) : "-"
            lines.append(cell(name, 34, left: true) + cell("\(entry.calls)", 8) + cell(String(format: "%.3f", seconds * 1e3), 12) + cell(gflops, 10) + cell(gbs, 10))
        }
        let calls = entries.filter { !$0.key.hasPrefix("[") }.reduce(0) { $0 + $1.value.calls }
        func megabytes(_ name: String) -> String { String(format: "%.3f MB in %d", (entries[name]?.bytes ?? 0) / 1e6, entries[name]?.calls ?? 0) }
        lines.append("calls \(calls) (kernel launches on OpenCL); host to device \(megabytes("[host to device]")) transfers; device to host \(megabytes("[device to host]")) transfers")
        return lines.joined(separator: "\n")
    }

    func printTable() {
        FileHandle.standardError.write(("\n[u2ad profile]\n" + table() + "\n").data(using: .utf8)!)
    }
}
