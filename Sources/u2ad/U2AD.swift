import ArgumentParser
import Foundation
import U2ADData
import U2ADPipeline
import U2ADRuntime

@main
struct U2AD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "u2ad",
        abstract: "Uncertainty-guided unsupervised anomaly detection of T2 hyperintensities in spinal cord MRI.",
        subcommands: [Devices.self, Tune.self, Reconstruct.self, Preprocess.self, Pretrain.self, Adapt.self, Detect.self, Evaluate.self, StudyCommand.self, Diagnose.self, Demo.self])

    /// `u2ad help NAME` for a NAME that is no command is an error (the parser would print the general help and exit 0).
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        var names: [String] = []
        for subcommand in configuration.subcommands { names.append(subcommand._commandName) }
        if arguments.first == "help", arguments.count > 1 {
            if let unknown = arguments.dropFirst().first(where: { !$0.hasPrefix("-") }), !names.contains(unknown) {
                failAndExit(ValidationError("help: no command named '\(unknown)'; the commands are \(names.joined(separator: ", "))"))
            }
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            // --help and `help` exit as the parser does; a value it cannot parse is one line and status 1, like every
            // other bad value (not the parser's usage block and status 64).
            if exitCode(for: error) == .success { exit(withError: error) }
            let command = arguments.first.flatMap { names.contains($0) ? " " + $0 : nil } ?? ""
            failAndExit(ValidationError("\(message(for: error)) (see u2ad\(command) --help)"))
        }
    }
}

/// `--backend`, shared by every command.
struct BackendOptions: ParsableArguments {
    @Option(name: .long, help: "auto, cpu, opencl or opencl:P:D (default: $U2AD_BACKEND, else auto).")
    var backend: String?

    /// Creates the backend and prints the choice on one line (every rank's, under mpirun).
    func makeBackend() throws -> Backend {
        try RuntimeSettings.check()
        let choice = try BackendSelector.make(try BackendRequest.resolve(option: backend))
        FileHandle.standardError.write((rankPrefix + choice.summary + "\n").data(using: .utf8)!)
        // Compile (or load from the cache) the kernels now, so that a build failure is an error before any work.
        try choice.backend.prepare(headDims: [8])
        return choice.backend
    }
}

/// Prints `error: <message>` (one line) and exits with status 1; used for every user-facing failure. Under mpirun the
/// line names the rank, and the whole job ends (the other ranks would wait for this one forever).
func failAndExit(_ error: Error) -> Never {
    FileHandle.standardError.write("error: \(rankPrefix)\(userMessage(error))\n".data(using: .utf8)!)
    World.abortIfDistributed(code: 1)
    exit(1)
}

/// `rank R: ` under mpirun with several ranks, else empty.
var rankPrefix: String {
    guard let placement = RuntimeSettings.current.placement, placement.size > 1 else { return "" }
    return "rank \(placement.rank): "
}

/// True on the rank that writes files and progress: rank 0 under mpirun, the process itself otherwise.
var isRootRank: Bool { (RuntimeSettings.current.placement?.rank ?? 0) == 0 }

/// The one-line message of `error`: u2ad's own errors as they describe themselves; a Foundation error that slipped
/// through as a sentence naming its path, never its raw domain and code.
func userMessage(_ error: Error) -> String {
    var text = "\(error)"
    if text.contains("Error Domain=") || text.contains("could not be completed") {
        let nsError = error as NSError
        let path = (nsError.userInfo[NSFilePathErrorKey] as? String) ?? (nsError.userInfo[NSURLErrorKey] as? URL)?.path
        text = "\(path ?? "a file"): \(fileErrorReason(error, path: path ?? ""))"
    }
    return text.split(whereSeparator: \.isNewline).joined(separator: " ")
}

/// Model depth options, for checkpoints whose depth is neither in the metadata nor in the tensor names.
struct ModelShapeOptions: ParsableArguments {
    @Option(help: "Encoder blocks (default: from the weights' metadata or tensor names).")
    var depth: Int?
    @Option(help: "Decoder blocks (default: from the weights' metadata or tensor names).")
    var decoderDepth: Int?
}
