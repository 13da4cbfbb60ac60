import ArgumentParser

struct Reconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("u2ad reconstruct is not implemented yet") }
}
