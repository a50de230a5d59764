"""Domain errors. Services raise them; the API turns each into problem+json."""

from __future__ import annotations

from typing import Any


def one_line(message: object, limit: int = 500) -> str:
    """A message on one line, at most ``limit`` characters (for run and import records)."""
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self, detail: str, *, errors: list[dict[str, Any]] | None = None, code: str | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    status, code, title = 422, "validation_error", "Invalid input"


class InvalidCursor(DomainError):
    status, code, title = 400, "invalid_cursor", "Invalid cursor"


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "Unauthorized"
    # The RFC 6750 `error` of the WWW-Authenticate header (None: no token was usable).
    bearer_error: str | None = None


class InvalidToken(Unauthorized):
    """A presented credential was refused; the header says `error="invalid_token"`."""

    bearer_error = "invalid_token"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(DomainError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class PreconditionFailed(DomainError):
    status, code, title = 412, "precondition_failed", "Precondition failed"


class PreconditionRequired(DomainError):
    status, code, title = 428, "precondition_required", "Precondition required"


class RateLimited(DomainError):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(DomainError):
    status, code, title = 503, "service_unavailable", "Service unavailable"
