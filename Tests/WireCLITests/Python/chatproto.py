"""The tutorial's chat protocol from a plain socket, for the test scripts: 10-byte ASCII
headers, the username first, records of two frames (username, text)."""
import sys


def frame(text):
    data = text.encode()
    return f"{len(data):<10}".encode() + data


def read_record(sock):
    """The next record as (username, text); a closed connection fails the script."""
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                print("FAILED: the chat client's connection closed")
                sys.exit(1)
            data += chunk
        return data
    return exactly(int(exactly(10))).decode(), exactly(int(exactly(10))).decode()


def read_text(sock):
    """The next record that is not the room's own notice."""
    user, text = read_record(sock)
    while user == "[server]":
        user, text = read_record(sock)
    return user, text
