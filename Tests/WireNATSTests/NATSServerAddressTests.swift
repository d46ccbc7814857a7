import Foundation
import NIOCore
import Testing
import Wire
import WireNATS
import WireSecurity
import WireTestSupport

struct NATSServerAddressTests {
    @Test func parsesTheFormsPeopleWrite() throws {
        #expect(
            try NATSServerAddress(parsing: "nats://127.0.0.1:4223") == NATSServerAddress(host: "127.0.0.1", port: 4223)
        )
        #expect(try NATSServerAddress(parsing: "localhost") == NATSServerAddress(host: "localhost"))
        #expect(
            try NATSServerAddress(parsing: "tls://[::1]:5000")
                == NATSServerAddress(host: "::1", port: 5000, requiresTLS: true)
        )
        #expect(
            try NATSServerAddress(parsing: "nats://al%40ice:p%3Ass@host:1/")
                == NATSServerAddress(host: "host", port: 1, user: "al@ice", password: "p:ss")
        )
        #expect(try NATSServerAddress(parsing: "nats://tok@host") == NATSServerAddress(host: "host", token: "tok"))
        #expect(
            try NATSServerAddress.list("nats://a:1, nats://b:2").map(\.description) == ["nats://a:1", "nats://b:2"]
        )
    }

    @Test func refusesWhatIsNotAServerURL() {
        #expect(throws: NATSClientError.self) { try NATSServerAddress(parsing: "http://host:4222") }
        #expect(throws: NATSClientError.self) { try NATSServerAddress(parsing: "nats://host:99999") }
        #expect(throws: NATSClientError.self) { try NATSServerAddress(parsing: "nats://") }
        #expect(throws: NATSClientError.self) { try NATSServerAddress.list(" , ") }
        #expect(
            (try? NATSServerAddress(parsing: "ftp://x")) == nil
        )
        do {
            _ = try NATSServerAddress(parsing: "nats://host:port")
            Issue.record("a port that is not a number was accepted")
        } catch {
            #expect(
                error.description
                    == "\"nats://host:port\" is not a NATS server URL: the port must be a number from 1 to 65535"
            )
        }
    }
}
