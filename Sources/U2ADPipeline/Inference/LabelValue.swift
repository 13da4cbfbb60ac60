import U2ADData

/// The integer label a stored float stands for (``LabelRule``: rounded), or nil for values no label can have
/// (non-finite or of magnitude 2^31 or more), so that odd values cannot trap an integer conversion.
@inline(__always)
func labelValue(_ x: Float) -> Int? { LabelRule.value(x) }
