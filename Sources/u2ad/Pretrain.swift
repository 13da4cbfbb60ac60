import ArgumentParser

struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("u2ad pretrain is not implemented yet") }
}
