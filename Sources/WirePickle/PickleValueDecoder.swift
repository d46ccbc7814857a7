import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `Decoder` that ``PickleDecoder`` hands to `Decodable` types: one per value.
struct PickleValueDecoder: Decoder, SingleValueDecodingContainer {
    let value: PickleValue
    let codingPath: [any CodingKey]
    let userInfoStorage: [CodingUserInfoKey: any Sendable]

    init(value: PickleValue, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: any Sendable]) {
        self.value = value
        self.codingPath = codingPath
        self.userInfoStorage = userInfo
    }

    var userInfo: [CodingUserInfoKey: Any] {
        self.userInfoStorage
    }

    func child(_ value: PickleValue, _ key: any CodingKey) -> PickleValueDecoder {
        PickleValueDecoder(value: value, codingPath: self.codingPath + [key], userInfo: self.userInfoStorage)
    }

    /// Decodes `T`, taking the types that pickles carry natively (bytes, dicts with any keys, the
    /// value itself) straight from the value instead of through their generic `Codable` forms.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == PickleValue.self, let value = self.value as? T {
            return value
        }
        if T.self == [UInt8].self || T.self == ByteBuffer.self || T.self == Data.self {
            let bytes: [UInt8]
            switch self.value {
            case .bytes(let value), .bytearray(let value): bytes = value
            default: return try T(from: self)  // A list of ints still decodes through the array's own form.
            }
            let native: Any
            if T.self == [UInt8].self {
                native = bytes
            } else if T.self == Data.self {
                native = Data(bytes)
            } else {
                native = ByteBuffer(bytes: bytes)
            }
            if let result = native as? T {
                return result
            }
        }
        if let dictionaryType = T.self as? any PickleDecodableDictionary.Type,
            let dictionary = try dictionaryType.init(pickle: self) as? T
        {
            return dictionary
        }
        return try T(from: self)
    }

    func mismatch(_ type: Any.Type, expected: String) -> DecodingError {
        DecodingError.typeMismatch(
            type,
            DecodingError.Context(
                codingPath: self.codingPath,
                debugDescription: "expected \(expected), found \(self.value.typeName)"
            )
        )
    }

    // MARK: Decoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .dict(let entries) = self.value else {
            throw self.mismatch([String: PickleValue].self, expected: "dict")
        }
        return KeyedDecodingContainer(PickleKeyedDecodingContainer<Key>(decoder: self, entries: entries))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch self.value {
        case .list(let items), .tuple(let items), .set(let items), .frozenset(let items):
            return PickleUnkeyedDecodingContainer(decoder: self, items: items)
        case .bytes(let bytes), .bytearray(let bytes):
            return PickleUnkeyedDecodingContainer(decoder: self, items: bytes.map { .int(Int($0)) })
        default:
            throw self.mismatch([PickleValue].self, expected: "list, tuple, set or frozenset")
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        self
    }

    // MARK: SingleValueDecodingContainer

    func decodeNil() -> Bool {
        self.value == .none
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let value) = self.value else { throw self.mismatch(type, expected: "bool") }
        return value
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let value) = self.value else { throw self.mismatch(type, expected: "str") }
        return value
    }

    func decode(_ type: Double.Type) throws -> Double { try self.floatingPoint(type) }
    func decode(_ type: Float.Type) throws -> Float { try self.floatingPoint(type) }
    func decode(_ type: Int.Type) throws -> Int { try self.integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try self.integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try self.integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try self.integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try self.integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try self.integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try self.integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try self.integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try self.integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try self.integer(type) }

    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard let integer = self.value.bigIntegerValue else { throw self.mismatch(type, expected: "int") }
        guard let value = integer.exactly(type) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: self.codingPath, debugDescription: "\(integer) does not fit \(type)")
            )
        }
        return value
    }

    private func floatingPoint<T: BinaryFloatingPoint & LosslessStringConvertible>(_ type: T.Type) throws -> T {
        switch self.value {
        case .float(let value): return T(value)
        case .int(let value): return T(value)
        case .bigInt(let value):
            // Python converts a big int to float by rounding; so does parsing its decimal text.
            return T(value.description) ?? (value.isNegative ? -T.infinity : T.infinity)
        default: throw self.mismatch(type, expected: "float")
        }
    }
}

/// Dictionaries decode from pickled dicts with keys of any decodable type, such as `[Int: String]`
/// from `{1: 'hi'}`; the standard library's own form handles only `String` and `Int` keys.
protocol PickleDecodableDictionary {
    init(pickle decoder: PickleValueDecoder) throws
}

extension Dictionary: PickleDecodableDictionary where Key: Decodable, Value: Decodable {
    init(pickle decoder: PickleValueDecoder) throws {
        guard case .dict(let entries) = decoder.value else {
            throw decoder.mismatch(Self.self, expected: "dict")
        }
        self.init(minimumCapacity: entries.count)
        for (index, entry) in entries.enumerated() {
            let key = try decoder.child(entry.key, PickleCodingKey(index: index)).decode(Key.self)
            self[key] = try decoder.child(entry.value, PickleCodingKey(entry.key)).decode(Value.self)
        }
    }
}

/// A coding key for a list index or a dict key.
struct PickleCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }

    init(index: Int) {
        self.stringValue = "Index \(index)"
        self.intValue = index
    }

    init(_ key: PickleValue) {
        switch key {
        case .string(let text): self.init(stringValue: text)
        case .int(let value): self.init(intValue: value)
        default: self.init(stringValue: key.pythonRepr)
        }
    }
}
