import ArgumentParser

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("u2ad evaluate is not implemented yet") }
}
