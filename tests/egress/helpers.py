"""A scripted DNS server and a small HTTP server, both on 127.0.0.1 only.

The DNS server answers each name from a list of A records, one per query, the last one
repeated: ``{"rebind.test": ["203.0.113.7"... ]}``. The egress resolver is pointed at it
with ``EGRESS_DNS_SERVER``, so no test depends on, or sends anything to, the outside DNS.
"""

from __future__ import annotations

import ssl
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dnslib import QTYPE, RCODE, RR, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer


@dataclass
class Script:
    answers: dict[str, list[str]]
    queries: Counter[str] = field(default_factory=Counter)
    address: str = ""


class _Resolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, script: Script) -> None:
        self.script = script
        self.lock = threading.Lock()

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        answers = self.script.answers.get(name)
        if answers is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        if request.q.qtype == QTYPE.A:
            with self.lock:
                n = self.script.queries[name]
                self.script.queries[name] += 1
            ip = answers[min(n, len(answers) - 1)]
            reply.add_answer(RR(name, QTYPE.A, rdata=A(ip), ttl=0))
        return reply


@contextmanager
def dns_server(answers: dict[str, list[str]]) -> Iterator[Script]:
    script = Script(answers={k.lower(): v for k, v in answers.items()})
    quiet = DNSLogger("-request,-reply,-truncated,-error,-recv,-send,-data", False)
    server = DNSServer(_Resolver(script), address="127.0.0.1", port=0, logger=quiet)
    host, port = server.server.server_address[:2]
    script.address = f"{host}:{port}"
    server.start_thread()
    try:
        yield script
    finally:
        server.stop()
        server.server.server_close()


@dataclass
class Web:
    port: int = 0
    hosts: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)


@contextmanager
def web_server(tls: ssl.SSLContext | None = None) -> Iterator[Web]:
    """``/ok`` answers 200 and records the Host header; ``/to?u=URL`` redirects to URL;
    ``/loop`` redirects to itself. With ``tls``, HTTPS, recording the SNI names sent."""
    web = Web()
    if tls is not None:
        tls.sni_callback = lambda sock, name, ctx: web.sni.append(name)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            web.hosts.append(self.headers.get("Host", ""))
            web.paths.append(self.path)
            parts = urlsplit(self.path)
            if parts.path == "/to":
                self.send_response(302)
                self.send_header("Location", parse_qs(parts.query)["u"][0])
                body = b""
            elif parts.path == "/loop":
                self.send_response(302)
                self.send_header("Location", "/loop")
                body = b""
            else:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                body = b"ok" * 100
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    web.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield web
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
