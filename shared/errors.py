"""Domain errors. Services raise them; the API turns each into problem+json."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


def one_line(message: object, limit: int = 500) -> str:
    """A message on one line, at most ``limit`` characters (for run and import records)."""
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DomainError(Exception):
    """A failure the caller can act on: an HTTP ``status``, a stable problem ``code`` and
    a ``title``. A kind of error names its status in its class line; its code and title
    are the status's reason phrase (404: ``not_found``, "Not found") unless it gives its
    own."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init_subclass__(
        cls, *, status: int | None = None, code: str | None = None, title: str | None = None
    ) -> None:
        super().__init_subclass__()
        if status is not None:
            phrase = HTTPStatus(status).phrase
            cls.status = status
            cls.code = code or phrase.lower().replace(" ", "_")
            cls.title = title or phrase.capitalize()

    def __init__(
        self, detail: str, *, errors: list[dict[str, Any]] | None = None, code: str | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        if code is not None:
            self.code = code


class InvalidInput(DomainError, status=422, code="validation_error", title="Invalid input"): ...


class InvalidCursor(DomainError, status=400, code="invalid_cursor", title="Invalid cursor"): ...


class Unauthorized(DomainError, status=401):
    # The RFC 6750 `error` of the WWW-Authenticate header (None: no token was usable).
    bearer_error: str | None = None


class InvalidToken(Unauthorized):
    """A presented credential was refused; the header says `error="invalid_token"`."""

    bearer_error = "invalid_token"


class Forbidden(DomainError, status=403): ...


class NotFound(DomainError, status=404): ...


class Conflict(DomainError, status=409): ...


class PreconditionFailed(DomainError, status=412): ...


class PreconditionRequired(DomainError, status=428): ...


class RateLimited(DomainError, status=429, code="rate_limited"):
    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(DomainError, status=503): ...
