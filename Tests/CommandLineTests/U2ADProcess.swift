import Foundation
import XCTest
@_exported import U2ADTestSupport

/// The `u2ad` binary beside the test bundle (the CommandLineTests target depends on it, so it is built first).
let u2adExecutable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("u2ad")

/// Runs `u2ad` the way a user does (with `environment` added to this process's) and returns its exit status and both
/// outputs; skips when it is not built.
func runU2AD(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String, errorOutput: String) {
    guard FileManager.default.fileExists(atPath: u2adExecutable.path) else { throw XCTSkip("u2ad not built at \(u2adExecutable.path)") }
    let process = Process()
    process.executableURL = u2adExecutable
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    // Standard error goes to a file, so that a long progress log cannot fill a pipe and stall the process.
    let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("u2ad-stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorFile) }
    let errors = try FileHandle(forWritingTo: errorFile)
    let output = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try errors.close()
    let errorData = (try? Data(contentsOf: errorFile)) ?? Data()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
}
