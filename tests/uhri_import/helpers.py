"""UHRI exports for the import tests, built from the real rows of ../shared/data/uhri.

The records come from ``tests/fixtures/uhri`` (22 real records: CRC/Peru, 15 CESCR/Australia,
6 UPR/USA; see its README for what was adapted), never invented; tests change copies of them
(text, country, presence) to exercise updates, unmapped labels and tombstones.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.uhri.samples import PERU_ID, USA_FIRST_ID, json_records

__all__ = ["PERU_ID", "USA_FIRST_ID", "count", "records", "serve", "write_export"]


def records() -> list[dict[str, Any]]:
    """The 22 real records in the JSON export's shape (fresh copies)."""
    return json_records()


def write_export(path: Path, items: Sequence[dict[str, Any]]) -> Path:
    """A compact JSON array, like the real export."""
    path.write_text(json.dumps(list(items), ensure_ascii=False, separators=(",", ":")), "utf-8")
    return path


async def count(session: AsyncSession, sql: str, **params: Any) -> int:
    return int((await session.execute(text(sql), params)).scalar_one())


@dataclass
class Served:
    files: dict[str, bytes] = field(default_factory=dict)
    hits: Counter[tuple[str, int]] = field(default_factory=Counter)
    base_url: str = ""

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def _handler(served: Served) -> type[BaseHTTPRequestHandler]:
    last_modified = formatdate(1_700_000_000, usegmt=True)

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
            body = served.files.get(self.path)
            if body is None:
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            validators = {"ETag": etag, "Last-Modified": last_modified}
            if self.headers.get("If-None-Match") == etag:
                self._send(304, headers=validators)
                return
            self._send(200, body, {"Content-Type": "application/json", **validators})

    return Handler


@contextmanager
def serve(files: dict[str, bytes]) -> Iterator[Served]:
    """A real HTTP server on 127.0.0.1 (free port, own thread) honouring If-None-Match."""
    served = Served(files=dict(files))
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
