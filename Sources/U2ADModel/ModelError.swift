/// Errors of the model layer; each renders as one line naming the file and tensor or option.
public enum ModelError: Error, CustomStringConvertible {
    case missingTensor(file: String, tensor: String)
    case unexpectedTensor(file: String, tensor: String)
    case wrongShape(file: String, tensor: String, shape: [Int], expected: [Int])
    case notFinite(file: String, tensor: String)
    case badInput(String)

    public var description: String {
        switch self {
        case .missingTensor(let file, let tensor): return "\(file): missing tensor '\(tensor)'"
        case .unexpectedTensor(let file, let tensor): return "\(file): unknown tensor '\(tensor)' (not part of a UGMAE with this configuration)"
        case .wrongShape(let file, let tensor, let shape, let expected):
            return "\(file): tensor '\(tensor)' has shape \(shape), expected \(expected)"
        case .notFinite(let file, let tensor): return "\(file): tensor '\(tensor)' contains NaN or infinity"
        case .badInput(let message): return message
        }
    }
}
