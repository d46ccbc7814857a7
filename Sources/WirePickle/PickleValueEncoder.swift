import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `Encoder` that ``PickleEncoder`` hands to `Encodable` types: it fills a tree of slots that
/// becomes one ``PickleValue`` when encoding is done.
struct PickleValueEncoder: Encoder, SingleValueEncodingContainer {
    /// Where one value goes; containers are filled after they are handed out, so they are shared.
    final class Slot {
        enum Content {
            case empty
            case value(PickleValue)
            case keyed([(key: PickleValue, slot: Slot)], positions: [PickleValue: Int])
            case unkeyed([Slot])
        }

        var content = Content.empty

        /// The value the slot was filled with; a value that encoded nothing is an empty dict, as
        /// JSONEncoder makes it an empty object.
        func finished() -> PickleValue {
            switch self.content {
            case .empty: .dict([])
            case .value(let value): value
            case .keyed(let entries, _): .dict(entries.map { (key: $0.key, value: $0.slot.finished()) })
            case .unkeyed(let slots): .list(slots.map { $0.finished() })
            }
        }

        /// A new slot for `key`, replacing an earlier one for the same key in place.
        func slot(for key: PickleValue) -> Slot {
            let slot = Slot()
            guard case .keyed(var entries, var positions) = self.content else { return slot }
            if let position = positions[key] {
                entries[position].slot = slot
            } else {
                positions[key] = entries.count
                entries.append((key, slot))
            }
            self.content = .keyed(entries, positions: positions)
            return slot
        }

        func appendedSlot() -> Slot {
            let slot = Slot()
            if case .unkeyed(var slots) = self.content {
                slots.append(slot)
                self.content = .unkeyed(slots)
            }
            return slot
        }
    }

    let slot: Slot
    let codingPath: [any CodingKey]
    let userInfoStorage: [CodingUserInfoKey: any Sendable]

    init(slot: Slot, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: any Sendable]) {
        self.slot = slot
        self.codingPath = codingPath
        self.userInfoStorage = userInfo
    }

    var userInfo: [CodingUserInfoKey: Any] {
        self.userInfoStorage
    }

    func child(_ slot: Slot, _ key: any CodingKey) -> PickleValueEncoder {
        PickleValueEncoder(slot: slot, codingPath: self.codingPath + [key], userInfo: self.userInfoStorage)
    }

    /// Encodes `value` into this encoder's slot, taking the types that pickles carry natively
    /// (bytes, dictionaries with any keys, sets, the value itself) straight to their Python form.
    func box<T: Encodable>(_ value: T) throws {
        // Compare types before casting: an empty `[Int8]` would cast to `[UInt8]` and become bytes.
        if T.self == [UInt8].self, let bytes = value as? [UInt8] {
            self.slot.content = .value(.bytes(bytes))
            return
        }
        switch value {
        case let value as PickleValue:
            self.slot.content = .value(value)
        case let data as Data:
            self.slot.content = .value(.bytes(Array(data)))
        case let buffer as ByteBuffer:
            self.slot.content = .value(.bytes(Array(buffer.readableBytesView)))
        case let dictionary as any PickleEncodableDictionary:
            var entries: [(key: PickleValue, value: PickleValue)] = []
            for (index, (key, value)) in dictionary.pickleEntries.enumerated() {
                let keyValue = try self.finished(key, PickleCodingKey(index: index))
                entries.append((keyValue, try self.finished(value, PickleCodingKey(keyValue))))
            }
            entries.sort { PickleValue.sortedBefore($0.key, $1.key) }
            self.slot.content = .value(.dict(entries))
        case let set as any PickleEncodableSet:
            var elements: [PickleValue] = []
            for (index, element) in set.pickleElements.enumerated() {
                elements.append(try self.finished(element, PickleCodingKey(index: index)))
            }
            elements.sort(by: PickleValue.sortedBefore)
            self.slot.content = .value(.set(elements))
        default:
            try value.encode(to: self)
        }
    }

    private func finished(_ value: any Encodable, _ key: any CodingKey) throws -> PickleValue {
        let slot = Slot()
        try self.child(slot, key).box(value)
        return slot.finished()
    }

    // MARK: Encoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .keyed = self.slot.content {
        } else {
            self.slot.content = .keyed([], positions: [:])
        }
        return KeyedEncodingContainer(PickleKeyedEncodingContainer<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .unkeyed = self.slot.content {
        } else {
            self.slot.content = .unkeyed([])
        }
        return PickleUnkeyedEncodingContainer(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        self
    }

    // MARK: SingleValueEncodingContainer

    func encodeNil() { self.slot.content = .value(.none) }
    func encode(_ value: Bool) { self.slot.content = .value(.bool(value)) }
    func encode(_ value: String) { self.slot.content = .value(.string(value)) }
    func encode(_ value: Double) { self.slot.content = .value(.float(value)) }
    func encode(_ value: Float) { self.slot.content = .value(.float(Double(value))) }
    func encode(_ value: Int) { self.slot.content = .value(.int(value)) }
    func encode(_ value: Int8) { self.encodeInteger(value) }
    func encode(_ value: Int16) { self.encodeInteger(value) }
    func encode(_ value: Int32) { self.encodeInteger(value) }
    func encode(_ value: Int64) { self.encodeInteger(value) }
    func encode(_ value: UInt) { self.encodeInteger(value) }
    func encode(_ value: UInt8) { self.encodeInteger(value) }
    func encode(_ value: UInt16) { self.encodeInteger(value) }
    func encode(_ value: UInt32) { self.encodeInteger(value) }
    func encode(_ value: UInt64) { self.encodeInteger(value) }

    func encode<T: Encodable>(_ value: T) throws {
        try self.box(value)
    }

    private func encodeInteger<T: BinaryInteger>(_ value: T) {
        self.slot.content = .value(Int(exactly: value).map { .int($0) } ?? .integer(PickleBigInt(value)))
    }
}

/// Dictionaries become dicts keyed by their own keys, whatever their type; the standard library's
/// form makes dicts only of `String` and `Int` keys and lists of alternating keys and values otherwise.
protocol PickleEncodableDictionary {
    var pickleEntries: [(key: any Encodable, value: any Encodable)] { get }
}

extension Dictionary: PickleEncodableDictionary where Key: Encodable, Value: Encodable {
    var pickleEntries: [(key: any Encodable, value: any Encodable)] {
        self.map { (key: $0.key, value: $0.value) }
    }
}

/// Sets become Python sets rather than lists.
protocol PickleEncodableSet {
    var pickleElements: [any Encodable] { get }
}

extension Set: PickleEncodableSet where Element: Encodable {
    var pickleElements: [any Encodable] {
        Array(self)
    }
}

extension PickleValue {
    /// A fixed order for the keys of dictionaries and the elements of sets, which Swift does not
    /// order: numbers by value, strings by code point, anything else by type and then by repr.
    static func sortedBefore(_ a: PickleValue, _ b: PickleValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y
        case (.float(let x), .float(let y)):
            return x.bitPattern != y.bitPattern && x.isTotallyOrdered(belowOrEqualTo: y)
        case (.string(let x), .string(let y)): return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
        default:
            if a.typeName != b.typeName {
                return a.typeName < b.typeName
            }
            return a.pythonRepr.unicodeScalars.lexicographicallyPrecedes(b.pythonRepr.unicodeScalars)
        }
    }
}
