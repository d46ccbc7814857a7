/// The pickle machine: runs a pickle's opcodes over a stack, a mark stack and a memo, as CPython's
/// unpickler does, for the opcodes that build Python's built-in data types and nothing else.
///
/// It never calls anything a pickle names: the few globals it accepts are resolved to a fixed set
/// of ``AllowedCallable``s, and every length is checked against the input and the limits before
/// anything is allocated. Work and memory are bounded by the input's length and the limits.
struct PickleParser {
    let input: UnsafeRawBufferPointer
    let limits: PickleDecoder
    /// Where the next byte is read.
    var position = 0
    /// Where the opcode being run starts, for error messages.
    var opcodeOffset = 0
    var protocolVersion = 0
    var stack: [Item] = []
    /// Stack heights at each MARK; opcodes cannot reach below the last one.
    var marks: [Int] = []
    var memo: [Int: Item] = [:]
    /// Sizes of all the dict keys and set elements hashed so far, bounded like a value's size.
    var hashedSize = 0
    /// Values already built from nodes, so that a node shared many times is converted once. The
    /// node is kept alive with its value, so that no new node can take its identifier.
    var converted: [ObjectIdentifier: (node: Node, value: PickleValue)] = [:]

    init(input: UnsafeRawBufferPointer, limits: PickleDecoder) {
        self.input = input
        self.limits = limits
    }

    /// Runs opcodes up to STOP and returns the value on top of the stack, and how many bytes the
    /// pickle took. Bytes after STOP are left for the caller.
    mutating func parse() throws -> (value: PickleValue, length: Int) {
        while true {
            self.opcodeOffset = self.position
            let byte = try self.readByte()
            guard let opcode = Opcode(rawValue: byte) else {
                throw PickleError.invalidOpcode(byte, at: self.opcodeOffset)
            }
            guard !opcode.isRefused else {
                throw PickleError.refusedOpcode(byte)
            }
            if opcode == .stop {
                let top = try self.pop(opcode)
                return (try self.value(of: top), self.position)
            }
            try self.run(opcode)
        }
    }

    private mutating func run(_ opcode: Opcode) throws {
        switch opcode {
        case .proto:
            let version = try self.readByte()
            guard version <= 5 else { throw PickleError.unsupportedProtocol(Int(version)) }
            self.protocolVersion = Int(version)
        case .frame:
            // Frames only group opcodes for buffered reads; the whole input is here already.
            let length = try self.readUnsigned(bytes: 8)
            guard length <= UInt64(self.input.count - self.position) else {
                throw PickleError.truncated(at: self.input.count)
            }
        case .mark:
            self.marks.append(self.stack.count)
        case .pop:
            if let mark = self.marks.last, mark == self.stack.count {
                self.marks.removeLast()  // As CPython does: POP right after MARK drops the mark.
            } else {
                _ = try self.pop(opcode)
            }
        case .popMark:
            _ = try self.popMark(opcode)
        case .dup:
            let top = try self.pop(opcode)
            self.stack.append(top)
            self.stack.append(top)
        case .none:
            self.push(.none)
        case .newTrue:
            self.push(.bool(true))
        case .newFalse:
            self.push(.bool(false))
        case .binInt:
            self.push(.int(Int(Int32(truncatingIfNeeded: try self.readUnsigned(bytes: 4)))))
        case .binInt1:
            self.push(.int(Int(try self.readUnsigned(bytes: 1))))
        case .binInt2:
            self.push(.int(Int(try self.readUnsigned(bytes: 2))))
        case .long1, .long4:
            let count = try self.readSignedLength(opcode, bytes: opcode == .long1 ? 1 : 4)
            let bytes = try self.readBytes(count)
            self.push(.integer(PickleBigInt(twosComplementLittleEndian: bytes)), bytes: count)
        case .binFloat:
            self.push(.float(Double(bitPattern: try self.readUnsignedBigEndian(bytes: 8))))
        case .int, .long, .float, .string, .unicode:
            let line = try self.readLine()
            let value = try self.parseText(opcode, line)
            self.push(value, bytes: line.count)
        case .binString, .shortBinString:
            let count = try self.readSignedLength(opcode, bytes: opcode == .shortBinString ? 1 : 4)
            let bytes = try self.readBytes(count)
            guard bytes.allSatisfy({ $0 < 0x80 }) else { throw PickleError.invalidString(at: self.opcodeOffset) }
            self.push(.string(String(decoding: bytes, as: UTF8.self)), bytes: count)
        case .shortBinUnicode, .binUnicode, .binUnicode8:
            let count = try self.readLength(bytes: opcode == .shortBinUnicode ? 1 : opcode == .binUnicode ? 4 : 8)
            let bytes = try self.readBytes(count)
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw PickleError.invalidString(at: self.opcodeOffset)
            }
            self.push(.string(text), bytes: count)
        case .shortBinBytes, .binBytes, .binBytes8:
            let count = try self.readLength(bytes: opcode == .shortBinBytes ? 1 : opcode == .binBytes ? 4 : 8)
            self.push(.bytes(Array(try self.readBytes(count))), bytes: count)
        case .byteArray8:
            let count = try self.readLength(bytes: 8)
            self.push(.bytearray(Array(try self.readBytes(count))), bytes: count, hashable: false)
        case .emptyList:
            self.stack.append(.node(Node(.list)))
        case .emptyDict:
            self.stack.append(.node(Node(.dict)))
        case .emptySet:
            self.stack.append(.node(Node(.set)))
        case .emptyTuple:
            self.stack.append(try self.tuple(of: [], opcode))
        default:
            try self.runContainerOrMemo(opcode)
        }
    }

    private mutating func runContainerOrMemo(_ opcode: Opcode) throws {
        switch opcode {
        case .tuple:
            let items = try self.popMark(opcode)
            self.stack.append(try self.tuple(of: items, opcode))
        case .tuple1, .tuple2, .tuple3:
            let count = Int(opcode.rawValue - Opcode.tuple1.rawValue) + 1
            let items = try self.pop(count, opcode)
            self.stack.append(try self.tuple(of: items, opcode))
        case .list:
            let items = try self.popMark(opcode)
            let list = Node(.list)
            try self.append(items, to: list, opcode)
            self.stack.append(.node(list))
        case .dict:
            let items = try self.popMark(opcode)
            let dict = Node(.dict)
            try self.setItems(items, in: dict, opcode)
            self.stack.append(.node(dict))
        case .append:
            let item = try self.pop(opcode)
            try self.append([item], to: try self.top(opcode, .list), opcode)
        case .appends:
            let items = try self.popMark(opcode)
            try self.append(items, to: try self.top(opcode, .list), opcode)
        case .setItem:
            let items = try self.pop(2, opcode)
            try self.setItems(items, in: try self.top(opcode, .dict), opcode)
        case .setItems:
            let items = try self.popMark(opcode)
            try self.setItems(items, in: try self.top(opcode, .dict), opcode)
        case .addItems:
            let items = try self.popMark(opcode)
            try self.addElements(items, to: try self.top(opcode, .set), opcode)
        case .frozenSet:
            let items = try self.popMark(opcode)
            self.stack.append(try self.frozenset(of: items, opcode))
        case .get, .binGet, .longBinGet:
            let index = try self.memoIndex(opcode)
            guard let item = self.memo[index] else {
                throw PickleError.missingMemo(index: index, at: self.opcodeOffset)
            }
            self.stack.append(item)
        case .put, .binPut, .longBinPut, .memoize:
            let index = opcode == .memoize ? self.memo.count : try self.memoIndex(opcode)
            let top = try self.pop(opcode)
            self.stack.append(top)
            self.memo[index] = top
        case .global:
            let module = try self.readLine()
            let name = try self.readLine()
            guard let moduleName = String(validating: module, as: UTF8.self),
                let globalName = String(validating: name, as: UTF8.self)
            else {
                throw PickleError.invalidString(at: self.opcodeOffset)
            }
            self.stack.append(.callable(try self.resolveGlobal(module: moduleName, name: globalName)))
        case .stackGlobal:
            let items = try self.pop(2, opcode)
            guard case .value(.string(let module), _) = items[0], case .value(.string(let name), _) = items[1] else {
                throw PickleError.wrongOperand(
                    opcode,
                    at: self.opcodeOffset,
                    expected: "two strings",
                    found: "\(items[0].typeName) and \(items[1].typeName)"
                )
            }
            self.stack.append(.callable(try self.resolveGlobal(module: module, name: name)))
        case .reduce:
            let items = try self.pop(2, opcode)
            self.stack.append(try self.call(items[0], with: items[1]))
        default:
            // Every other opcode is handled in run(_:) or refused before it.
            throw PickleError.refusedOpcode(opcode.rawValue)
        }
    }

    /// The memo index that follows a PUT, GET or their binary forms.
    private mutating func memoIndex(_ opcode: Opcode) throws -> Int {
        switch opcode {
        case .binGet, .binPut:
            return Int(try self.readByte())
        case .longBinGet, .longBinPut:
            return Int(try self.readUnsigned(bytes: 4))
        default:
            let line = try self.readLine()
            guard line.count <= 18, let index = Int(String(decoding: line, as: UTF8.self)), index >= 0 else {
                throw PickleError.malformedArgument(opcode, at: self.opcodeOffset)
            }
            return index
        }
    }
}
