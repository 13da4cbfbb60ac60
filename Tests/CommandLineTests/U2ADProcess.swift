// `runU2AD` and `u2adExecutable` live in Tests/Support/Processes.swift, shared with the MPI tests.
@_exported import U2ADTestSupport
