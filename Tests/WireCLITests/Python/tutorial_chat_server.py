"""The tutorial's chat server (parts 4 and 5): one select() loop, 10-byte headers.

Binds 127.0.0.1 on a free port and prints it first; otherwise as the tutorial: the first message of
a client is its username, every later one is relayed to every other client as username + message.
Exits when the last client has gone, once at least `clients` (argv[1], default 2) have come.
"""
import select
import socket
import sys

HEADER_LENGTH = 10
expected = int(sys.argv[1]) if len(sys.argv) > 1 else 2

server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server_socket.bind(("127.0.0.1", 0))
server_socket.listen()
print(server_socket.getsockname()[1], flush=True)

sockets_list = [server_socket]
clients = {}
seen = 0


def receive_message(client_socket):
    try:
        message_header = client_socket.recv(HEADER_LENGTH)
        if not len(message_header):
            return False
        message_length = int(message_header.decode("utf-8").strip())
        data = b""
        while len(data) < message_length:
            chunk = client_socket.recv(message_length - len(data))
            if not chunk:
                return False
            data += chunk
        return {"header": message_header, "data": data}
    except Exception:
        return False


while True:
    read_sockets, _, exception_sockets = select.select(sockets_list, [], sockets_list)
    for notified_socket in read_sockets:
        if notified_socket == server_socket:
            client_socket, client_address = server_socket.accept()
            user = receive_message(client_socket)
            if user is False:
                continue
            sockets_list.append(client_socket)
            clients[client_socket] = user
            seen += 1
            print("Accepted new connection from {}:{}, username: {}".format(*client_address, user["data"].decode("utf-8")), flush=True)
        else:
            message = receive_message(notified_socket)
            if message is False:
                print("Closed connection from: {}".format(clients[notified_socket]["data"].decode("utf-8")), flush=True)
                sockets_list.remove(notified_socket)
                del clients[notified_socket]
                continue
            user = clients[notified_socket]
            print(f'Received message from {user["data"].decode("utf-8")}: {message["data"].decode("utf-8")}', flush=True)
            for client_socket in clients:
                if client_socket != notified_socket:
                    client_socket.send(user["header"] + user["data"] + message["header"] + message["data"])
    for notified_socket in exception_sockets:
        sockets_list.remove(notified_socket)
        del clients[notified_socket]
    if seen >= expected and not clients:
        break
