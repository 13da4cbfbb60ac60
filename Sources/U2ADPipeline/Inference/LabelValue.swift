/// The integer label a stored float stands for (rounded), or nil for values no label can have
/// (non-finite or beyond +-2^31), so that odd files cannot trap an integer conversion.
func labelValue(_ x: Float) -> Int? {
    guard x.isFinite, abs(x) < 2_147_483_648 else { return nil }
    return Int(x.rounded())
}
