import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that readers never see a partially written file.
public enum AtomicFile {
    /// Writes `data` to a temporary file in the destination's folder, flushes it, then renames it over `url`.
    public static func write(_ data: Data, to url: URL) throws {
        let name = url.displayName
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            var isFolder: ObjCBool = false
            let folderExists = FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) && isFolder.boolValue
            let reason = folderExists ? fileErrorReason(error, path: url.path) : "folder \(folder.path) does not exist"
            throw DataError.unwritable(file: name, reason: reason)
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw DataError.unwritable(file: name, reason: reason)
        }
    }
}
