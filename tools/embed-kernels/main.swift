// embed-kernels OUTPUT FILE...: writes OUTPUT, a Swift file defining `embeddedKernelSources: [String: String]`, the
// text of each FILE under its file name. Run by the EmbedKernels build plugin; file names must be unique.
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: embed-kernels OUTPUT FILE...\n".utf8))
    exit(2)
}
var names = Set<String>()
var text = "// Generated at build time by the EmbedKernels plugin from the op folders. Do not edit.\n"
text += "let embeddedKernelSources: [String: String] = [\n"
for path in arguments.dropFirst() {
    let name = URL(fileURLWithPath: path).lastPathComponent
    guard names.insert(name).inserted else {
        FileHandle.standardError.write(Data("embed-kernels: two kernel files are named \(name)\n".utf8))
        exit(1)
    }
    guard let source = try? String(contentsOfFile: path, encoding: .utf8) else {
        FileHandle.standardError.write(Data("embed-kernels: cannot read \(path)\n".utf8))
        exit(1)
    }
    // A raw string with enough #s that no line of the source can end it.
    var hashes = "#"
    while source.contains("\"\"\"" + hashes) { hashes += "#" }
    text += "    \"\(name)\": \(hashes)\"\"\"\n\(source)\n\"\"\"\(hashes),\n"
}
text += "]\n"
do {
    let url = URL(fileURLWithPath: output)
    if (try? String(contentsOf: url, encoding: .utf8)) != text { try text.write(to: url, atomically: true, encoding: .utf8) }
} catch {
    FileHandle.standardError.write(Data("embed-kernels: cannot write \(output): \(error)\n".utf8))
    exit(1)
}
