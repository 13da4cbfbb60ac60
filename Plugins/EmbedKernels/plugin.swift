import Foundation
import PackagePlugin

/// Embeds the target's OpenCL sources (`*.cl`, `*.h`) in the binary at build time: the tool `embed-kernels` writes
/// them into one generated Swift file, `embeddedKernelSources`, so the binary needs no kernel files beside it and no
/// generated copy is checked in.
@main
struct EmbedKernels: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        // SwiftPM lists `.cl` files as source files of unknown type but leaves headers out, so walk the folder.
        let root = target.directory
        let files = FileManager.default.enumerator(atPath: root.string)?.compactMap { $0 as? String } ?? []
        let kernels = files.filter { $0.hasSuffix(".cl") || $0.hasSuffix(".h") }.sorted().map { root.appending(subpath: $0) }
        let output = context.pluginWorkDirectory.appending("KernelSources+Embedded.swift")
        return [.buildCommand(displayName: "Embedding \(kernels.count) OpenCL files of \(target.name)",
                              executable: try context.tool(named: "embed-kernels").path,
                              arguments: [output.string] + kernels.map(\.string),
                              inputFiles: kernels, outputFiles: [output])]
    }
}
