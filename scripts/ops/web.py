"""An HTTP/1.1 client for 127.0.0.1: one-off requests, kept-alive connections, a visitor with cookies.

`host` and `tls` reach the cluster test's own addresses (nginx with a throwaway certificate, app
nodes in network namespaces); the default stays plain HTTP to 127.0.0.1.
"""

import gzip
import http.client
import io
import socket
import ssl
import time
from urllib.parse import urlencode

from . import HOST


class Response:
    def __init__(self, status, headers, body, elapsed=0.0):
        self.status = status
        self.headers = headers  # [(name, value)], repeated headers kept
        self.body = body
        self.elapsed = elapsed

    def header(self, name):
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def cookies(self):
        jar = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                jar[name.strip()] = rest.split(";", 1)[0]
        return jar

    @property
    def text(self):
        body = gzip.decompress(self.body) if self.header("Content-Encoding") == "gzip" else self.body
        return body.decode("utf-8", "replace")


class _CountedSocket:
    """A connected socket (plain or TLS) that counts the bytes it has received: whether any byte of a
    response arrived decides whether a request may be sent again (KeptConnection)."""

    def __init__(self, sock):
        self._sock, self.received = sock, 0

    def recv_into(self, *args):
        count = self._sock.recv_into(*args)
        self.received += count
        return count

    def recv(self, *args):
        data = self._sock.recv(*args)
        self.received += len(data)
        return data

    def makefile(self, mode="rb", *args, **kwargs):
        if mode != "rb":
            raise ValueError("only a reading file is counted")
        self._sock._io_refs += 1  # as socket.makefile does: the file's close gives it back
        return io.BufferedReader(socket.SocketIO(self, "rb"))

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _Counting:
    def connect(self):
        super().connect()  # HTTPSConnection's has done the TLS handshake by now
        self.sock = _CountedSocket(self.sock)


class _HTTPConnection(_Counting, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_Counting, http.client.HTTPSConnection):
    pass


def connect(host, port, timeout, tls=False, source=None):
    """`source`: the client's own address (another 127.x.y.z is another client to the rate limits)."""
    bind = (source, 0) if source else None
    if tls:  # the test's own self-signed certificate: nothing to verify it against
        context = ssl._create_unverified_context()
        return _HTTPSConnection(host, port, timeout=timeout, context=context, source_address=bind)
    return _HTTPConnection(host, port, timeout=timeout, source_address=bind)


def _exchange(conn, method, path, body, headers):
    begin = time.monotonic()
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    result = Response(response.status, response.getheaders(), response.read(), time.monotonic() - begin)
    return result, response.will_close


def request(port, method, path, body=None, headers=None, timeout=30, host=HOST, tls=False):
    """One request on a connection of its own (probes, one-off checks)."""
    conn = connect(host, port, timeout, tls)
    try:
        return _exchange(conn, method, path, body, headers)[0]
    finally:
        conn.close()


# The server closed the connection (a FIN or a reset), not "it did not answer in time": a timeout
# may mean the request is being handled, so it is never a reason to send it again.
CLOSED = (ConnectionError, ssl.SSLEOFError)


class KeptConnection:
    """A kept-alive connection (gunicorn's threaded workers and nginx keep it open between requests).

    Reconnects before a request when the server said it would close or the connection has been idle
    for half of the server's keep-alive time. A server may still close an idle kept connection at
    any moment (its keep-alive timeout, nginx's reload, gunicorn's graceful stop) while a request is
    on its way; as browsers and urllib3 do, a request on a REUSED connection that fails because the
    connection was closed before any byte of the response arrived is sent once more, on a fresh
    connection, whatever its method. A server that closes an idle connection has not read what
    arrives on it; one that read a request and died before answering looks the same from here,
    which is why every such retry is kept in `retried` ((method, error name)) for the caller to
    report, and why the cluster test counts rows, not answers. Any other failure (a fresh
    connection, a timeout, a response cut short) is the caller's; nothing is sent a third time.
    """

    def __init__(self, port, timeout=180, keepalive=30, host=HOST, tls=False):
        self.port, self.timeout, self.keepalive = port, timeout, keepalive
        self.host, self.tls, self.source = host, tls, None
        self.conn = None
        self.last_used = 0.0
        self.retried = []

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None):
        if self.conn is not None and time.monotonic() - self.last_used > self.keepalive / 2:
            self.close()
        for attempt in (1, 2):
            reused = self.conn is not None  # open only after a whole exchange on it
            if not reused:
                self.conn = connect(self.host, self.port, self.timeout, self.tls, self.source)
            sock = self.conn.sock  # None until connected: http.client connects at the first send
            received = sock.received if sock is not None else 0
            try:
                result, will_close = _exchange(self.conn, method, path, body, headers)
            except (OSError, http.client.HTTPException) as error:
                self.close()
                if attempt == 1 and reused and isinstance(error, CLOSED) and sock.received == received:
                    self.retried.append((method, type(error).__name__))
                    continue
                raise
            if will_close:
                self.close()
            self.last_used = time.monotonic()
            return result
        raise AssertionError("unreachable")


class Visitor:
    """A browser: a cookie jar and one kept-alive connection."""

    def __init__(self, port, user_agent="ops-run", keepalive=30, host=HOST, tls=False, origin=None):
        self.port = port
        self.user_agent = user_agent
        self.cookies = {}
        self.connection = KeptConnection(port, keepalive=keepalive, host=host, tls=tls)
        # Over HTTPS, Django's CSRF check wants the Origin (or Referer) a browser sends.
        self.origin = origin

    def headers(self, extra=None):
        headers = (
            {"User-Agent": self.user_agent} | ({"Origin": self.origin} if self.origin else {}) | (extra or {})
        )
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep(self, response):
        self.cookies |= response.cookies()
        return response

    def get(self, path):
        return self._keep(self.connection.request("GET", path, headers=self.headers()))

    def post(self, path, fields, connection=None):
        body = urlencode(fields).encode()
        headers = self.headers({"Content-Type": "application/x-www-form-urlencoded"})
        return self._keep((connection or self.connection).request("POST", path, body=body, headers=headers))
