import ArgumentParser

struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("u2ad preprocess is not implemented yet") }
}
