extension PickleParser {
    /// The lowest stack index that opcodes may touch: the height at the last MARK.
    var fence: Int {
        self.marks.last ?? 0
    }

    mutating func push(_ value: PickleValue, bytes: Int = 0, hashable: Bool = true) {
        self.stack.append(.value(value, .scalar(bytes: bytes, hashable: hashable)))
    }

    mutating func pop(_ opcode: Opcode) throws -> Item {
        guard self.stack.count > self.fence, let top = self.stack.popLast() else {
            throw PickleError.stackUnderflow(opcode, at: self.opcodeOffset)
        }
        return top
    }

    mutating func pop(_ count: Int, _ opcode: Opcode) throws -> [Item] {
        guard self.stack.count - self.fence >= count else {
            throw PickleError.stackUnderflow(opcode, at: self.opcodeOffset)
        }
        defer { self.stack.removeLast(count) }
        return Array(self.stack.suffix(count))
    }

    /// Removes and returns everything above the last MARK, and the MARK.
    mutating func popMark(_ opcode: Opcode) throws -> [Item] {
        guard let mark = self.marks.popLast() else { throw PickleError.missingMark(opcode, at: self.opcodeOffset) }
        defer { self.stack.removeSubrange(mark...) }
        return Array(self.stack[mark...])
    }

    /// The container on top of the stack that APPEND, SETITEM or ADDITEMS change.
    func top(_ opcode: Opcode, _ kind: Node.Kind) throws -> Node {
        guard self.stack.count > self.fence, let top = self.stack.last else {
            throw PickleError.stackUnderflow(opcode, at: self.opcodeOffset)
        }
        guard case .node(let node) = top, node.kind == kind else {
            throw PickleError.wrongOperand(
                opcode,
                at: self.opcodeOffset,
                expected: "a \(kind.typeName)",
                found: top.typeName
            )
        }
        guard !node.isSealed else {
            throw PickleError.sharedContainerChanged(type: kind.typeName, at: self.opcodeOffset)
        }
        return node
    }

    /// A tuple: a plain value when every item is one, a node when it holds a list, dict or set
    /// that could still be shared, or a global (only the arguments of `copyreg._reconstructor`).
    mutating func tuple(of items: [Item], _ opcode: Opcode) throws -> Item {
        var values: [PickleValue] = []
        var children: [Metrics] = []
        for item in items {
            guard case .value(let value, let metrics) = item else { break }
            values.append(value)
            children.append(metrics)
        }
        if values.count == items.count {
            let metrics = Metrics.container(children, hashable: children.allSatisfy(\.isHashable))
            try self.check(metrics)
            return .value(.tuple(values), metrics)
        }
        let node = Node(.tuple)
        for item in items {
            try self.adopt(item, into: node, opcode)
            node.items.append(item)
        }
        return .node(node)
    }

    mutating func append(_ items: [Item], to list: Node, _ opcode: Opcode) throws {
        for item in items {
            try self.adopt(item, into: list, opcode)
            list.items.append(item)
        }
    }

    mutating func setItems(_ items: [Item], in dict: Node, _ opcode: Opcode) throws {
        guard items.count % 2 == 0 else {
            throw PickleError.wrongOperand(
                opcode,
                at: self.opcodeOffset,
                expected: "keys and values in pairs",
                found: "\(items.count) items"
            )
        }
        for pair in stride(from: 0, to: items.count, by: 2) {
            let key = try self.hashable(items[pair], as: "dict key", into: dict, opcode)
            let value = items[pair + 1]
            try self.adopt(value, into: dict, opcode)
            if let position = dict.positions[key] {
                dict.items[position] = value  // Python keeps the first key and its place, with the new value.
            } else {
                dict.positions[key] = dict.keys.count
                dict.keys.append(key)
                dict.items.append(value)
            }
        }
    }

    mutating func addElements(_ items: [Item], to set: Node, _ opcode: Opcode) throws {
        for item in items {
            let element = try self.hashable(item, as: "set element", into: set, opcode)
            if set.positions[element] == nil {
                set.positions[element] = set.keys.count
                set.keys.append(element)
            }
        }
    }

    mutating func frozenset(of items: [Item], _ opcode: Opcode) throws -> Item {
        var elements: [PickleValue] = []
        var seen: Set<PickleValue> = []
        var children: [Metrics] = []
        for item in items {
            guard case .value(let value, let metrics) = item, metrics.isHashable else {
                throw PickleError.unhashable("frozenset element", type: item.typeName, at: self.opcodeOffset)
            }
            try self.chargeHashing(metrics.size)
            children.append(metrics)
            if seen.insert(value).inserted {
                elements.append(value)
            }
        }
        let metrics = Metrics.container(children, hashable: true)
        try self.check(metrics)
        return .value(.frozenset(elements), metrics)
    }

    /// Checks a dict key or set element and accounts for it in the container.
    private mutating func hashable(
        _ item: Item,
        as role: String,
        into node: Node,
        _ opcode: Opcode
    ) throws
        -> PickleValue
    {
        guard case .value(let value, let metrics) = item, metrics.isHashable else {
            throw PickleError.unhashable(role, type: item.typeName, at: self.opcodeOffset)
        }
        try self.chargeHashing(metrics.size)
        try self.grow(node, by: metrics)
        return value
    }

    /// Accounts for an item put into `node`, sealing it if it is a node itself.
    private mutating func adopt(_ item: Item, into node: Node, _ opcode: Opcode) throws {
        switch item {
        case .value(_, let metrics):
            try self.grow(node, by: metrics)
        case .node(let child):
            guard child !== node else {
                throw PickleError.sharedContainerChanged(type: node.kind.typeName, at: self.opcodeOffset)
            }
            child.isSealed = true
            try self.grow(node, by: Metrics(depth: child.depth, size: child.size, isHashable: false))
        case .callable(let callable):
            guard node.kind == .tuple else {
                throw PickleError.refusedCall("using global \(callable.qualifiedName) as a value")
            }
            try self.grow(node, by: .scalar())
        }
    }

    private mutating func grow(_ node: Node, by child: Metrics) throws {
        node.depth = max(node.depth, child.depth + 1)
        node.size = node.size.addingSaturating(child.size)
        try self.check(Metrics(depth: node.depth, size: node.size, isHashable: false))
    }

    func check(_ metrics: Metrics) throws {
        guard metrics.depth <= self.limits.maximumDepth else {
            throw PickleError.depthExceedsLimit(self.limits.maximumDepth)
        }
        guard metrics.size <= self.limits.maximumExpandedSize else {
            throw PickleError.expandedSizeExceedsLimit(self.limits.maximumExpandedSize)
        }
    }

    mutating func chargeHashing(_ size: Int) throws {
        self.hashedSize = self.hashedSize.addingSaturating(size)
        guard self.hashedSize <= self.limits.maximumExpandedSize else {
            throw PickleError.expandedSizeExceedsLimit(self.limits.maximumExpandedSize)
        }
    }

    /// The finished value of an item: nodes become values, each node once however often it is shared.
    mutating func value(of item: Item) throws -> PickleValue {
        switch item {
        case .value(let value, _):
            return value
        case .callable(let callable):
            throw PickleError.refusedCall("using global \(callable.qualifiedName) as a value")
        case .node(let node):
            if let done = self.converted[ObjectIdentifier(node)] {
                return done.value
            }
            let value: PickleValue
            switch node.kind {
            case .list:
                value = .list(try node.items.map { try self.value(of: $0) })
            case .tuple:
                value = .tuple(try node.items.map { try self.value(of: $0) })
            case .set:
                value = .set(node.keys)
            case .dict:
                var entries: [(key: PickleValue, value: PickleValue)] = []
                entries.reserveCapacity(node.keys.count)
                for (key, item) in zip(node.keys, node.items) {
                    entries.append((key, try self.value(of: item)))
                }
                value = .dict(entries)
            }
            self.converted[ObjectIdentifier(node)] = (node, value)
            return value
        }
    }
}
