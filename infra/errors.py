"""Errors with stable codes. Domains raise these; the web layer maps them to HTTP in one place.

A client programs against `code`, never against `message`, which may be reworded.
"""

from __future__ import annotations

from typing import Any, ClassVar


class OnecodeError(Exception):
    code: ClassVar[str] = "ERROR"
    status: ClassVar[int] = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class InvalidInput(OnecodeError):
    """A value is not acceptable; the message says which and why. Nothing was changed."""

    code = "INVALID_INPUT"
    status = 422


class NotFound(OnecodeError):
    """No such thing here: the path is unknown, or the thing is not in the caller's brand."""

    code = "NOT_FOUND"
    status = 404


class Conflict(OnecodeError):
    """The request is valid but the current state refuses it; the message says what."""

    code = "CONFLICT"
    status = 409


class Unauthorized(OnecodeError):
    """Credentials are missing or not valid."""

    code = "UNAUTHORIZED"
    status = 401


class Forbidden(OnecodeError):
    """The caller is known but may not do this."""

    code = "FORBIDDEN"
    status = 403


class InvalidRequest(InvalidInput):
    """The request does not match the API's schema; `details.problems` lists each problem and
    where it is. Nothing was changed."""

    code = "INVALID_REQUEST"


class PayloadTooLarge(OnecodeError):
    """The request body is larger than this endpoint takes (ONECODE_MAX_BODY_BYTES for most;
    EPCIS imports take ONECODE_MAX_EPCIS_BYTES). Nothing was read or changed."""

    code = "PAYLOAD_TOO_LARGE"
    status = 413


class MethodNotAllowed(OnecodeError):
    """The path exists but not with this HTTP method."""

    code = "METHOD_NOT_ALLOWED"
    status = 405


class ServiceUnavailable(OnecodeError):
    """Redis or the database did not answer in time. Nothing was decided: retry after the
    `Retry-After` header's seconds."""

    code = "SERVICE_UNAVAILABLE"
    status = 503


class InternalError(OnecodeError):
    """A bug on our side; it was logged with the request's path. Nothing was changed."""

    code = "INTERNAL_ERROR"
    status = 500


def catalogue() -> list[type[OnecodeError]]:
    """Every error class, sorted by code: the error table of the API docs. Classes are found
    as subclasses, so the domains must have been imported."""
    found: list[type[OnecodeError]] = []
    stack: list[type[OnecodeError]] = [OnecodeError]
    while stack:
        cls = stack.pop()
        stack += cls.__subclasses__()
        if cls is not OnecodeError and cls not in found:
            found.append(cls)
    return sorted(found, key=lambda c: c.code)


def meaning(cls: type[OnecodeError]) -> str:
    """The class's docstring on one line: what the code means and what to do."""
    return " ".join((cls.__doc__ or "").split())
