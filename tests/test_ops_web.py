"""scripts/ops/web.py's kept-alive client against a tiny local server that closes idle connections.

A request on a reused connection that the server closed before any byte of the answer arrived is sent
once more on a fresh connection, as browsers and urllib3 do; nothing else is sent again.
"""

import socket
import socketserver
import struct
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from ops.web import KeptConnection

IDLE = 0.1  # the server closes a kept connection idle for this long


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock, reader = self.request, self.request.makefile("rb")
        while True:
            sock.settimeout(IDLE)
            try:
                line = reader.readline()
            except TimeoutError:
                return  # idle too long: closed, as nginx and gunicorn do
            if not line:
                return
            sock.settimeout(5)
            method, path, _ = line.decode().split(" ", 2)
            length = 0
            while (header := reader.readline()) not in (b"\r\n", b""):
                name, _, value = header.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.server.seen.append((method, path, reader.read(length)))
            if path == "/drop":  # read, then closed without a word
                return
            if path == "/partial":  # the status line, then a reset
                sock.sendall(b"HTTP/1.1 200 OK\r\n")
                time.sleep(0.3)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                reader.close()
                sock.close()  # now, before socketserver's shutdown() could send a FIN instead
                return
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")


@pytest.fixture
def server():
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler) as srv:
        srv.daemon_threads = True
        srv.seen = []
        thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            yield srv
        finally:
            srv.shutdown()
            thread.join(5)


def client(server):
    return KeptConnection(server.server_address[1], timeout=5, keepalive=30)


def test_a_post_on_a_reused_connection_the_server_closed_idle_is_sent_once_more_on_a_fresh_one(server):
    conn = client(server)
    assert conn.request("GET", "/form").status == 200
    time.sleep(IDLE * 4)  # the server has closed the kept connection; the client does not know yet
    answer = conn.request("POST", "/sign", body=b"email=a", headers={"Content-Length": "7"})
    assert answer.status == 200
    assert answer.body == b"ok"
    # The closed connection took nothing in: the server handled the POST exactly once.
    assert server.seen == [("GET", "/form", b""), ("POST", "/sign", b"email=a")]
    assert [method for method, _ in conn.retried] == ["POST"]


def test_a_fresh_connection_closed_before_the_answer_is_not_sent_again(server):
    conn = client(server)
    with pytest.raises(ConnectionError):
        conn.request("POST", "/drop", body=b"email=b")
    assert server.seen == [("POST", "/drop", b"email=b")]
    assert conn.retried == []


def test_a_reused_connection_reset_after_part_of_the_answer_is_not_sent_again(server):
    conn = client(server)
    assert conn.request("GET", "/form").status == 200
    with pytest.raises(ConnectionResetError):
        conn.request("POST", "/partial", body=b"email=c")
    assert server.seen == [("GET", "/form", b""), ("POST", "/partial", b"email=c")]
    assert conn.retried == []
