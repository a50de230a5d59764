"""ETags and conditional requests: 304 on If-None-Match, 428/412 on writes."""

from __future__ import annotations

from fastapi import Request

from shared.errors import PreconditionFailed, PreconditionRequired


def etag_for(version: int) -> str:
    return f'"v{version}"'


def not_modified(request: Request, etag: str) -> bool:
    """True when the client's If-None-Match already names this representation."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


def required_version(request: Request) -> int:
    """The version a write is based on, from If-Match; 428 without it."""
    version = optional_version(request)
    if version is None:
        raise PreconditionRequired(
            "send If-Match with the ETag of the version you are changing",
            code="if_match_required",
        )
    return version


def optional_version(request: Request) -> int | None:
    """The version named by If-Match, for writes that do not need one but honour it
    (412 when it is stale); None without the header."""
    header = request.headers.get("if-match")
    if not header:
        return None
    tag = header.strip().removeprefix("W/")
    if not (
        tag.startswith('"v') and tag.endswith('"') and tag[2:-1].isascii() and tag[2:-1].isdigit()
    ):
        raise PreconditionFailed(
            "If-Match does not name a version of this resource", code="stale_version"
        )
    return int(tag[2:-1])
