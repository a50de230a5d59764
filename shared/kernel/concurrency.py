"""Optimistic concurrency: a write names the version it read (the ETag of If-Match), and
the UPDATE itself checks it, so two editors cannot lose each other's change."""

from __future__ import annotations

from shared.errors import PreconditionFailed


def stale(what: str, current: int, given: int) -> PreconditionFailed:
    return PreconditionFailed(
        f"the {what} is at version {current}, not {given}; fetch it again", code="stale_version"
    )


def changed_meanwhile(what: str) -> PreconditionFailed:
    return PreconditionFailed(f"the {what} changed meanwhile; fetch it again", code="stale_version")


def require_version(what: str, current: int, given: int) -> None:
    """412 when the row read is no longer at the version the client names."""
    if current != given:
        raise stale(what, current, given)
