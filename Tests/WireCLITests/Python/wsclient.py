"""A minimal WebSocket client (RFC 6455: the handshake, masked frames out, frames in), so that the
tests need nothing but Python's standard library."""
import base64
import os
import socket
import struct


class ConnectionClosed(Exception):
    def __init__(self, code):
        self.code = code


class InvalidStatus(Exception):
    def __init__(self, status):
        self.status = status


class Client:
    def __init__(self, sock):
        self.sock = sock

    def _exactly(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionClosed(None)
            data += chunk
        return data

    def send(self, message):
        opcode, payload = (0x1, message.encode()) if isinstance(message, str) else (0x2, message)
        self.send_frame(opcode, payload)

    def send_fragments(self, parts):
        """One text message in several frames: a text frame, then continuation frames."""
        for index, part in enumerate(parts):
            self.send_frame(0x1 if index == 0 else 0x0, part.encode(), fin=index == len(parts) - 1)

    def ping(self, payload, timeout=20):
        """Sends a ping and waits for the pong with the same payload (texts and other pongs in
        between are dropped); returns False if none comes within `timeout` seconds."""
        self.send_frame(0x9, payload)
        self.sock.settimeout(timeout)
        try:
            while True:
                opcode, data = self.recv_frame()
                if opcode == 0xA and data == payload:
                    return True
        except OSError:
            return False

    def send_frame(self, opcode, payload, fin=True):
        mask = os.urandom(4)
        head = bytes([(0x80 if fin else 0x00) | opcode])
        if len(payload) < 126:
            head += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def recv(self, timeout=20):
        self.sock.settimeout(timeout)
        while True:
            opcode, payload = self.recv_frame()
            if opcode == 0x1:
                return payload.decode()

    def recv_frame(self, answer_pings=True):
        """The next frame's opcode and payload; a close frame raises ConnectionClosed. Pings are
        answered with a pong on the way, as browsers do."""
        while True:
            first, second = self._exactly(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._exactly(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._exactly(8))[0]
            payload = self._exactly(length)
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionClosed(struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None)
            if opcode == 0x9 and answer_pings:
                self.send_frame(0xA, payload)
                continue
            return opcode, payload


def connect(url, open_timeout=20, max_size=None, cafile=None, server_name=None):
    secure = url.startswith("wss://")
    rest = url[len("wss://" if secure else "ws://"):]
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    sock = socket.create_connection((host, int(port)), timeout=open_timeout)
    if secure:
        import ssl
        context = ssl.create_default_context(cafile=cafile)
        sock = context.wrap_socket(sock, server_hostname=server_name or host)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        if not chunk:
            raise InvalidStatus(None)
        response += chunk
    status = int(response.split(b" ", 2)[1])
    if status != 101:
        raise InvalidStatus(status)
    return Client(sock)
