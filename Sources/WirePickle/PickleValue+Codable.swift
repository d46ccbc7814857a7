extension PickleValue: Codable {
    /// Takes the value as it is from ``PickleDecoder``; other decoders have no pickle value to give.
    public init(from decoder: any Decoder) throws {
        guard let pickleDecoder = decoder as? PickleValueDecoder else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription: "PickleValue decodes only with PickleDecoder"
                )
            )
        }
        self = pickleDecoder.value
    }

    /// Writes the value as it is with ``PickleEncoder``; other encoders are refused.
    public func encode(to encoder: any Encoder) throws {
        guard let pickleEncoder = encoder as? PickleValueEncoder else {
            throw EncodingError.invalidValue(
                self,
                EncodingError.Context(
                    codingPath: encoder.codingPath,
                    debugDescription: "PickleValue encodes only with PickleEncoder"
                )
            )
        }
        pickleEncoder.slot.content = .value(self)
    }
}
