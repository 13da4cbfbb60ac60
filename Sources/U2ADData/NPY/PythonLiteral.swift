/// A value of the small Python literal language used in `.npy` headers.
enum PythonLiteral: Equatable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dictionary([(key: PythonLiteral, value: PythonLiteral)])

    static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.boolean(x), .boolean(y)): return x == y
        case (.none, .none): return true
        case let (.tuple(x), .tuple(y)), let (.list(x), .list(y)): return x == y
        case let (.dictionary(x), .dictionary(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Parses one literal that must span the whole text (surrounding whitespace allowed).
    /// Returns nil on any syntax error; nesting is limited so hostile input cannot exhaust the stack.
    static func parse(_ text: String) -> PythonLiteral? {
        var parser = Parser(bytes: Array(text.utf8))
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipWhitespace()
        return parser.position == parser.bytes.count ? value : nil
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0
        static let maximumDepth = 32

        mutating func skipWhitespace() {
            while position < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[position]) { position += 1 }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        mutating func value(depth: Int) -> PythonLiteral? {
            guard depth < Self.maximumDepth else { return nil }
            skipWhitespace()
            guard position < bytes.count else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "'"), UInt8(ascii: "\""): return string()
            case UInt8(ascii: "("):
                position += 1
                return sequence(closing: UInt8(ascii: ")"), depth: depth).map { .tuple($0) }
            case UInt8(ascii: "["):
                position += 1
                return sequence(closing: UInt8(ascii: "]"), depth: depth).map { .list($0) }
            case UInt8(ascii: "{"):
                position += 1
                return dictionary(depth: depth)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return integer()
            default: return keyword()
            }
        }

        mutating func string() -> PythonLiteral? {
            let quote = bytes[position]
            position += 1
            var content = [UInt8]()
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                if byte == quote { return .string(String(decoding: content, as: UTF8.self)) }
                if byte == UInt8(ascii: "\\") {
                    guard position < bytes.count else { return nil }
                    content.append(bytes[position])
                    position += 1
                } else {
                    content.append(byte)
                }
            }
            return nil
        }

        mutating func integer() -> PythonLiteral? {
            var negative = false
            if bytes[position] == UInt8(ascii: "-") {
                negative = true
                position += 1
            }
            var magnitude = 0
            var digits = 0
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int(bytes[position] - UInt8(ascii: "0")))
                if o1 || o2 { return nil }
                magnitude = sum
                digits += 1
                position += 1
            }
            guard digits > 0 else { return nil }
            if position < bytes.count, bytes[position] == UInt8(ascii: "L") { position += 1 }
            return .integer(negative ? -magnitude : magnitude)
        }

        mutating func keyword() -> PythonLiteral? {
            for (word, literal) in [("True", PythonLiteral.boolean(true)), ("False", .boolean(false)), ("None", .none)] {
                let utf8 = Array(word.utf8)
                if position + utf8.count <= bytes.count, Array(bytes[position..<position + utf8.count]) == utf8 {
                    position += utf8.count
                    return literal
                }
            }
            return nil
        }

        mutating func sequence(closing: UInt8, depth: Int) -> [PythonLiteral]? {
            var items = [PythonLiteral]()
            while true {
                if consume(closing) { return items }
                guard let item = value(depth: depth + 1) else { return nil }
                items.append(item)
                if consume(closing) { return items }
                guard consume(UInt8(ascii: ",")) else { return nil }
            }
        }

        mutating func dictionary(depth: Int) -> PythonLiteral? {
            var entries = [(key: PythonLiteral, value: PythonLiteral)]()
            while true {
                if consume(UInt8(ascii: "}")) { return .dictionary(entries) }
                guard let key = value(depth: depth + 1), consume(UInt8(ascii: ":")),
                      let item = value(depth: depth + 1) else { return nil }
                entries.append((key, item))
                if consume(UInt8(ascii: "}")) { return .dictionary(entries) }
                guard consume(UInt8(ascii: ",")) else { return nil }
            }
        }
    }
}
