import Foundation

/// The OpenCL C sources of the ops (`Ops/<Op>/<op>.cl` and `Ops/common.h`): the copy the build embeds in the binary
/// (the `EmbedKernels` plugin), or the files under a folder given by `U2AD_KERNEL_DIR`.
struct KernelSources {
    /// Searched recursively by file name instead of the embedded copy.
    let overrideFolder: String?

    /// The text of the kernel file `name` (e.g. `gemm.cl`).
    func text(of name: String) throws -> String {
        if let overrideFolder {
            let root = URL(fileURLWithPath: overrideFolder)
            let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                if url.lastPathComponent == name, let text = try? String(contentsOf: url, encoding: .utf8) { return text }
            }
            throw RuntimeError.missingKernelSource("\(name) under \(overrideFolder)")
        }
        guard let text = embeddedKernelSources[name] else { throw RuntimeError.missingKernelSource(name) }
        return text
    }

    /// Names of the embedded files.
    static var embeddedFiles: [String] { embeddedKernelSources.keys.sorted() }
}
