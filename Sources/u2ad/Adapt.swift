import ArgumentParser

struct Adapt: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("u2ad adapt is not implemented yet") }
}
