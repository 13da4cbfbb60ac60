import ArgumentParser

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("u2ad detect is not implemented yet") }
}
