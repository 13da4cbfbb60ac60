import Foundation
import U2ADData

/// `RUN/metrics.jsonl`: one JSON object per line for every step, epoch and uncertainty regeneration.
public final class MetricsLog {
    public let url: URL
    private let handle: FileHandle
    /// Bytes written so far (the file's size).
    public private(set) var size: UInt64

    /// Opens (creating) `url` for appending; `truncatingTo` cuts what was written after a checkpoint (never extends the file).
    public init(url: URL, truncatingTo length: UInt64? = nil) throws {
        self.url = url
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw PipelineError.badFile(url.path, "cannot be created")
            }
        }
        do {
            handle = try FileHandle(forWritingTo: url)
            size = try handle.seekToEnd()
            if let length, length < size {
                try handle.truncate(atOffset: length)
                size = try handle.seekToEnd()
            }
        } catch {
            throw PipelineError.badFile(url.path, "cannot be opened for writing: \(error.localizedDescription)")
        }
    }

    deinit { try? handle.close() }

    /// Appends one record; keys keep their order, non-finite numbers become `null`.
    public func append(_ fields: KeyValuePairs<String, MetricValue>) {
        append(Array(fields))
    }

    /// Appends one record from fields in order.
    public func append(_ fields: [(key: String, value: MetricValue)]) {
        let body = fields.map { "\(MetricValue.string($0.key).json):\($0.value.json)" }.joined(separator: ",")
        let line = Data("{\(body)}\n".utf8)
        handle.write(line)
        size += UInt64(line.count)
    }

    /// Flushes to disk (before a checkpoint records ``size``).
    public func synchronize() { try? handle.synchronize() }
}

/// A value of a metrics record.
public enum MetricValue: Sendable {
    case int(Int)
    case number(Double)
    case string(String)
    case bool(Bool)

    var json: String {
        switch self {
        case .int(let value): return String(value)
        case .number(let value): return value.isFinite ? String(value) : "null"
        case .bool(let value): return value ? "true" : "false"
        case .string(let text): return jsonQuoted(text)
        }
    }
}
