"""A chat client as the tutorial's (parts 4 and 5), scripted instead of typed.

  tutorial_chat_client.py PORT USERNAME RECORDS [TEXT...]

Connects, sends the username, sends each TEXT, then prints every record received as
"NAME > TEXT" until it has printed RECORDS of them, and exits (closing the connection). An empty
read means the server closed: it prints "Connection closed by the server" and exits.
"""
import socket
import sys

HEADER_LENGTH = 10
port, my_username, wanted = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client_socket.connect(("127.0.0.1", port))
username = my_username.encode("utf-8")
client_socket.send(f"{len(username):<{HEADER_LENGTH}}".encode("utf-8") + username)
for text in sys.argv[4:]:
    message = text.encode("utf-8")
    client_socket.send(f"{len(message):<{HEADER_LENGTH}}".encode("utf-8") + message)


def receive_exactly(length):
    data = b""
    while len(data) < length:
        chunk = client_socket.recv(length - len(data))
        if not chunk:
            return None
        data += chunk
    return data


printed = 0
while printed < wanted:
    username_header = receive_exactly(HEADER_LENGTH)
    if username_header is None:
        print("Connection closed by the server", flush=True)
        sys.exit()
    username = receive_exactly(int(username_header.decode("utf-8").strip())).decode("utf-8")
    message_header = receive_exactly(HEADER_LENGTH)
    message = receive_exactly(int(message_header.decode("utf-8").strip())).decode("utf-8")
    print(f"{username} > {message}", flush=True)
    printed += 1
client_socket.close()
