import Foundation
import XCTest

/// The `u2ad` binary beside the test bundle (the test targets that run it depend on it, so it is built first).
public let u2adExecutable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("u2ad")

/// How a process ended and what it printed.
public struct ProcessResult {
    public var status: Int32
    public var output: String
    public var errorOutput: String
    /// Wall time from launch to exit.
    public var seconds: Double
    /// True when it outlived its time limit and was killed.
    public var timedOut: Bool
}

/// Runs `executable` with `arguments` (and `environment` added to this process's) and waits for it, killing it after
/// `timeLimit` seconds. Both outputs go to files, so that a long progress log cannot fill a pipe and stall the process.
/// `whileRunning` is called once, right after the launch, with the running process (to watch or signal it).
public func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], timeLimit: Double = 600,
                       whileRunning: ((Process) throws -> Void)? = nil) throws -> ProcessResult {
    let folder = FileManager.default.temporaryDirectory
    let files = ["out", "err"].map { folder.appendingPathComponent("u2ad-\($0)-\(UUID().uuidString)") }
    for file in files { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
    defer { for file in files { try? FileManager.default.removeItem(at: file) } }
    let handles = try files.map { try FileHandle(forWritingTo: $0) }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = handles[0]
    process.standardError = handles[1]
    let start = Date()
    try process.run()
    try whileRunning?(process)
    while process.isRunning, Date().timeIntervalSince(start) < timeLimit { usleep(20_000) }
    let timedOut = process.isRunning
    if timedOut {
        process.terminate()
        Thread.sleep(forTimeInterval: 5)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    process.waitUntilExit()
    let seconds = Date().timeIntervalSince(start)
    for handle in handles { try handle.close() }
    let texts = files.map { String(decoding: (try? Data(contentsOf: $0)) ?? Data(), as: UTF8.self) }
    return ProcessResult(status: process.terminationStatus, output: texts[0], errorOutput: texts[1], seconds: seconds, timedOut: timedOut)
}

/// Runs `u2ad` the way a user does; skips when it is not built.
public func runU2AD(_ arguments: [String], environment: [String: String] = [:], timeLimit: Double = 600) throws -> ProcessResult {
    guard FileManager.default.fileExists(atPath: u2adExecutable.path) else { throw XCTSkip("u2ad not built at \(u2adExecutable.path)") }
    return try runProcess(u2adExecutable, arguments, environment: environment, timeLimit: timeLimit)
}
