"""A real HTTP server on 127.0.0.1 whose answers a test scripts: the malicious or broken
API host (or "another host") of the security tests. Every request it receives is recorded.
With `tls`, it speaks https with that server context (the TLS tests' throwaway CA)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""  # an iterable is sent chunked, piece by piece


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


Script = Callable[[str, int], Answer]  # (path, how many requests so far) -> the answer


@dataclass
class HostileServer:
    script: Script
    requests: list[Seen] = field(default_factory=list)
    url: str = ""
    sent_bytes: int = 0


def _handler(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            server.requests.append(Seen(self.command, self.path, dict(self.headers.items())))
            answer = server.script(self.path, len(server.requests))
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            try:
                self._body(answer.body)
            except OSError:  # the client hung up on us: that is what a cap does
                self.close_connection = True

        def _body(self, body: bytes | Iterable[bytes]) -> None:
            if isinstance(body, bytes):
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self._write(body)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in body:
                self._write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self._write(b"0\r\n\r\n")

        def _write(self, data: bytes) -> None:
            self.wfile.write(data)
            server.sent_bytes += len(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    return Handler


class _Server(ThreadingHTTPServer):
    tls: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        if self.tls is not None:  # the handshake runs in the handler's thread, not accept's
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.tls is None:  # over TLS, a client refusing our certificate is the test
            super().handle_error(request, client_address)


@contextmanager
def hostile_server(script: Script, tls: ssl.SSLContext | None = None) -> Iterator[HostileServer]:
    state = HostileServer(script)
    httpd = _Server(("127.0.0.1", 0), _handler(state))
    httpd.tls = tls
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    scheme = "http" if tls is None else "https"
    state.url = f"{scheme}://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
