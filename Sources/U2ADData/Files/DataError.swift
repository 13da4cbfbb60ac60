import Foundation

/// An error reading or writing a data file. Every message is one line and starts with the file name.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The file could not be written.
    case unwritable(file: String, reason: String)
    /// The file ends before the data its header declares.
    case truncated(file: String, detail: String)
    /// The file's structure is invalid: bad magic, inconsistent header, corrupt stream.
    case malformed(file: String, detail: String)
    /// The file is well formed but uses a feature this library does not handle.
    case unsupported(file: String, detail: String)
    /// A requested tensor is not in the file.
    case missingTensor(file: String, tensor: String)
    /// A tensor's shape differs from the one the caller expects.
    case shapeMismatch(file: String, tensor: String, shape: [Int], expected: [Int])
    /// Values handed to a writer or transform are inconsistent (count not matching shape, ...).
    case invalidArgument(file: String, detail: String)

    public var description: String {
        let text: String
        switch self {
        case let .unreadable(file, reason): text = "\(file): cannot read: \(reason)"
        case let .unwritable(file, reason): text = "\(file): cannot write: \(reason)"
        case let .truncated(file, detail): text = "\(file): truncated: \(detail)"
        case let .malformed(file, detail): text = "\(file): \(detail)"
        case let .unsupported(file, detail): text = "\(file): unsupported: \(detail)"
        case let .missingTensor(file, tensor): text = "\(file): no tensor named '\(tensor)'"
        case let .shapeMismatch(file, tensor, shape, expected):
            text = "\(file): tensor '\(tensor)' has shape \(shape), expected \(expected)"
        case let .invalidArgument(file, detail): text = "\(file): \(detail)"
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

extension URL {
    /// The name used in error messages.
    var displayName: String { lastPathComponent.isEmpty ? path : lastPathComponent }
}

/// Reads a whole file, mapping it into memory when the system allows.
func readFileContents(_ url: URL) throws -> Data {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
        throw DataError.unreadable(file: url.path, reason: "is a folder, not a file")
    }
    do {
        return try Data(contentsOf: url, options: .mappedIfSafe)
    } catch {
        throw DataError.unreadable(file: url.displayName, reason: fileErrorReason(error, path: url.path))
    }
}
