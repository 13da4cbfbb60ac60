import Foundation
import U2ADData

/// `RUN/metrics.jsonl`: one JSON object per line for every step, epoch and uncertainty regeneration.
public final class MetricsLog {
    public let url: URL
    private let handle: FileHandle
    /// Bytes written so far (the file's size).
    public private(set) var size: UInt64

    /// Opens (creating) `url` for appending; `truncatingTo` cuts what was written after a checkpoint (never extends the
    /// file). A file that does not end with a complete line (cut by hand or by a full disk) is cut back to its last
    /// complete line, so that every line stays one JSON object.
    public init(url: URL, truncatingTo length: UInt64? = nil) throws {
        self.url = url
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw PipelineError.badFile(url.path, "cannot be created")
            }
        }
        do {
            handle = try FileHandle(forUpdating: url)
            size = try handle.seekToEnd()
            if let length, length < size {
                try handle.truncate(atOffset: length)
                size = try handle.seekToEnd()
            }
            let complete = try MetricsLog.completeLength(handle, size: size)
            if complete < size {
                try handle.truncate(atOffset: complete)
                size = try handle.seekToEnd()
            }
        } catch {
            throw PipelineError.badFile(url.path, "cannot be opened for writing: \(fileErrorReason(error, path: url.path))")
        }
    }

    /// Bytes up to and including the last newline of the first `size` bytes (0 when there is none).
    private static func completeLength(_ handle: FileHandle, size: UInt64) throws -> UInt64 {
        var end = size
        while end > 0 {
            let start = end > 65_536 ? end - 65_536 : 0
            try handle.seek(toOffset: start)
            let piece = try handle.read(upToCount: Int(end - start)) ?? Data()
            if let newline = piece.lastIndex(of: 0x0a) { return start + UInt64(newline - piece.startIndex) + 1 }
            end = start
        }
        return 0
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
