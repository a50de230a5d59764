"""A real HTTP server on 127.0.0.1 (a free port, in a thread) serving real documents.

It honours ETag / If-None-Match like a document server, and has routes for the limits
the fetcher enforces: an oversized file, a wrong content type, a redirect loop.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Served:
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    hits: Counter[tuple[str, int]] = field(default_factory=Counter)
    base_url: str = ""
    # Sent beside the ETag with every file (200 and 304), e.g. a Last-Modified.
    validators: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def _handler(served: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(
            self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
        ) -> None:
            served.hits[(self.path, status)] += 1
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.startswith("/loop/"):
                n = int(self.path.rsplit("/", 1)[1])
                self._send(302, headers={"Location": f"/loop/{n + 1}"})
                return
            if self.path == "/image.png":
                self._send(200, b"\x89PNG\r\n\x1a\n" + b"0" * 100, {"Content-Type": "image/png"})
                return
            if self.path == "/big.pdf":
                self._send(200, b"%PDF-1.4\n" + b"0" * 5000, {"Content-Type": "application/pdf"})
                return
            if self.path.startswith("/moved/"):
                self._send(301, headers={"Location": "/docs/" + self.path.split("/", 2)[2]})
                return
            entry = served.files.get(self.path)
            if entry is None:
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            body, content_type = entry
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            validators = {"ETag": etag, **served.validators}
            if self.headers.get("If-None-Match") == etag:
                self._send(304, headers=validators)
                return
            self._send(200, body, {"Content-Type": content_type, **validators})

    return Handler


@contextmanager
def serve(
    files: dict[str, tuple[bytes, str]], validators: dict[str, str] | None = None
) -> Iterator[Served]:
    served = Served(files=dict(files), validators=dict(validators or {}))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    served.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
