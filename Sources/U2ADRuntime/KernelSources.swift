import Foundation

/// OpenCL C sources from `Kernels/`: embedded in the binary, or read from `U2AD_KERNEL_DIR` when it is set.
public enum KernelSources {
    /// The folder that overrides the embedded sources, if any.
    public static var overrideDirectory: String? {
        ProcessInfo.processInfo.environment["U2AD_KERNEL_DIR"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The text of `Kernels/<file>`.
    public static func source(_ file: String) throws -> String {
        if let directory = overrideDirectory {
            let path = (directory as NSString).appendingPathComponent(file)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw RuntimeError.missingKernelSource(path)
            }
            return text
        }
        guard let text = embeddedKernelSources[file] else { throw RuntimeError.missingKernelSource(file) }
        return text
    }

    /// Names of the embedded files.
    public static var embeddedFiles: [String] { embeddedKernelSources.keys.sorted() }
}
