import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress on standard error: one self-updating line on a terminal, plain lines (at most one per
/// `plainInterval` seconds, plus every message) when standard error is a file or pipe.
public final class ProgressReporter {
    public enum Style: Sendable { case terminal, plain, silent }

    public let style: Style
    public var plainInterval: TimeInterval = 30
    private var lastUpdate: TimeInterval = 0
    private var lineShown = false

    /// `style` nil: a terminal when standard error is a TTY, else plain.
    public init(style: Style? = nil) {
        self.style = style ?? (isatty(STDERR_FILENO) != 0 ? .terminal : .plain)
    }

    /// A message on its own line.
    public func message(_ text: String) {
        switch style {
        case .silent: return
        case .plain: write(text + "\n")
        case .terminal:
            write((lineShown ? "\r\u{1B}[K" : "") + text + "\n")
            lineShown = false
        }
    }

    /// The progress line; `force` prints it in plain mode regardless of the interval.
    public func update(_ text: String, force: Bool = false) {
        let now = ProcessInfo.processInfo.systemUptime
        switch style {
        case .silent: return
        case .terminal:
            guard force || now - lastUpdate >= 0.2 else { return }
            write("\r\u{1B}[K" + text)
            lineShown = true
        case .plain:
            guard force || now - lastUpdate >= plainInterval else { return }
            write(text + "\n")
        }
        lastUpdate = now
    }

    /// Ends the progress line (terminal).
    public func finish() {
        if style == .terminal, lineShown { write("\n"); lineShown = false }
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// `1h02m`, `3m05s`, `12s`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}
