import NIOCore

extension SocketAddress {
    /// `IP:PORT`, with IPv6 addresses in brackets, as people write them.
    package var endpointDescription: String {
        guard let ip = self.ipAddress, let port = self.port else {
            return self.description
        }
        return ConnectionError.endpoint(ip, port)
    }
}
