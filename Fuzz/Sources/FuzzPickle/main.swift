import NIOCore
import WirePickle

// libFuzzer target for PickleDecoder: the input is a pickle, as a peer would send it.
//
// Invariants checked (a failure traps, which libFuzzer reports as a crash):
// - decoding never crashes, and throws nothing but PickleError;
// - what decodes prints (pythonRepr), decodes as a Decodable struct or fails with a
//   DecodingError, and encodes at protocols 2 to 5;
// - decode(encode(value)) == value, and the same pickle read from a stream gives the same value.

// No top-level statements: libFuzzer provides `main`, so top-level code would never run.
enum Limits {
    /// Smaller than the default, so that one input cannot take the fuzzer's time: a value that
    /// shares one list a million times decodes in a millisecond, but printing, encoding four times
    /// and decoding again walk every copy (over ten seconds with ASan at 2^20).
    static let decoder = PickleDecoder(maximumDepth: 1000, maximumLength: 1 << 16, maximumExpandedSize: 1 << 16)
}

/// A Decodable that touches every kind of container and scalar the decoder offers.
struct Sample: Decodable {
    var name: String?
    var count: Int?
    var ratio: Double?
    var flags: [Bool]?
    var raw: [UInt8]?
    var table: [Int: String]?
    var nested: [String: [Int64]]?
    var ids: Set<Int>?
}

func decode(_ bytes: [UInt8]) -> PickleValue? {
    do {
        return try Limits.decoder.decodeValue(from: bytes)
    } catch is PickleError {
        return nil
    } catch {
        fatalError("decoding threw something other than a PickleError: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let value = decode(bytes) else { return 0 }

    _ = value.pythonRepr
    do {
        _ = try Limits.decoder.decode(Sample.self, fromValue: value)
    } catch is DecodingError {
        // Most values are not a Sample; the decoder only has to say so.
    } catch {
        fatalError("Decodable decoding threw something other than a DecodingError: \(error)")
    }

    var stream = ByteBuffer(bytes: bytes + [0x4E, 0x2E])
    guard let streamed = try? Limits.decoder.readValue(from: &stream), streamed == value,
        stream.readableBytes == 2
    else {
        fatalError("reading the pickle from a stream gave another result")
    }

    for version in 2...5 {
        let encoded: ByteBuffer
        do {
            encoded = try PickleEncoder(protocol: version).encode(value)
        } catch {
            fatalError("a decoded value did not encode at protocol \(version): \(error)")
        }
        // Re-encoding may need more room than the input did (protocol 2 spells bytes out as text).
        let again = try? PickleDecoder().decodeValue(from: encoded)
        precondition(again == value, "protocol \(version) did not decode to what was encoded: \(value.pythonRepr)")
    }
    return 0
}
