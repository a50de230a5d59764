"""Lean routes: plain Starlette routes that answer the hottest anonymous reads of a
documented FastAPI route (their twin) without FastAPI's per-request machinery.

A lean route names its twin by operation id; at start-up it takes the twin's path (with
a path parameter optionally narrowed, e.g. ``rec_id`` to ``uuid``) and fails if there is
no such GET route. It answers only anonymous GETs while reads are public: a request with
credentials (``deps.is_anonymous``), a HEAD, or one its narrowed path declines goes to
the twin. Requests it serves are labelled (metrics, access log) with the twin's template.
``REGISTRY`` lists every lean route; tests/recommendations/test_fast_reads.py compares
each with its twin over the production read path. docs/conventions.md says when one is
allowed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from services.api.deps import is_anonymous

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class LeanRoute:
    """The declaration of a lean route: its twin's operation id, its endpoint, and the
    path parameters it narrows (``{"rec_id": "uuid"}``: other spellings go to the twin)."""

    twin: str
    endpoint: Endpoint
    narrow: dict[str, str] = field(default_factory=dict)


REGISTRY: list[LeanRoute] = []


def lean_route(
    twin: str, *, narrow: dict[str, str] | None = None
) -> Callable[[Endpoint], Endpoint]:
    """Register the decorated endpoint as the lean route of the FastAPI route ``twin``."""

    def register(endpoint: Endpoint) -> Endpoint:
        REGISTRY.append(LeanRoute(twin, endpoint, dict(narrow or {})))
        return endpoint

    return register


class Template:
    """What the request middleware reads from ``scope["route"]``: the twin's path."""

    def __init__(self, path: str) -> None:
        self.path = path


class InstalledLeanRoute(Route):
    def __init__(self, spec: LeanRoute, twin_path: str, *, public_read: bool) -> None:
        path = twin_path
        for name, convertor in spec.narrow.items():
            path, count = re.subn(r"\{" + name + r"(:\w+)?\}", f"{{{name}:{convertor}}}", path)
            if count != 1:
                raise RuntimeError(f"lean route {spec.twin}: no path parameter {name!r}")
        super().__init__(path, spec.endpoint, methods=["GET"], include_in_schema=False)
        self.spec = spec
        self.twin_path = twin_path
        self.template = Template(twin_path)
        self.public_read = public_read

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not self.public_read
            or not is_anonymous(scope["headers"])
        ):
            return Match.NONE, {}
        match, child_scope = super().matches(scope)
        if match is Match.FULL:
            # One route, one series: labelled as the twin whichever path served it.
            child_scope["route"] = self.template
        return match, child_scope


def install(app: FastAPI, *, public_read: bool) -> list[InstalledLeanRoute]:
    """Put every registered lean route ahead of the app's routes; fail without a twin."""
    twins: dict[str, str] = {}
    for context in iter_route_contexts(app.routes):
        route: Any = context.original_route
        if isinstance(route, APIRoute) and "GET" in (context.methods or ()):
            twins[route.name] = str(context.path)
    installed = []
    for spec in REGISTRY:
        if spec.twin not in twins:
            raise RuntimeError(f"lean route {spec.endpoint.__name__}: no GET route {spec.twin!r}")
        installed.append(InstalledLeanRoute(spec, twins[spec.twin], public_read=public_read))
    app.router.routes[:0] = installed
    return installed
