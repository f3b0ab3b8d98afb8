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
    code = "INVALID_INPUT"
    status = 422


class NotFound(OnecodeError):
    code = "NOT_FOUND"
    status = 404


class Conflict(OnecodeError):
    code = "CONFLICT"
    status = 409


class Unauthorized(OnecodeError):
    code = "UNAUTHORIZED"
    status = 401


class Forbidden(OnecodeError):
    code = "FORBIDDEN"
    status = 403
