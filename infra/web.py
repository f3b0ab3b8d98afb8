"""What every HTTP layer shares: a session per request and one error format.

Errors are always `{"error": {"code": STABLE_CODE, "message": …, "details": {…}}}`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any

import redis
import sqlalchemy.exc
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.db import session_scope
from infra.errors import (
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    OnecodeError,
    PayloadTooLarge,
    ServiceUnavailable,
    meaning,
)
from infra.logging import get_logger

log = get_logger(__name__)


def get_session() -> Iterator[Session]:
    """One session per request: committed if the endpoint returns, rolled back if it raises."""
    with session_scope() as session:
        yield session


# scope="function": committed when the endpoint returns, before the response is sent, so a
# client never hears "created" for a transaction that then fails to commit, nor reads ahead of
# its own write (FastAPI's default for yield dependencies ends them after the response).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_responses(*errors: type[OnecodeError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the errors an endpoint can answer: per HTTP status, each code
    with its meaning and an example body. INVALID_REQUEST and SERVICE_UNAVAILABLE are added to
    every endpoint, since any request can be malformed and any store can be down, and
    PAYLOAD_TOO_LARGE, since any body can be too large."""
    by_status: dict[int, list[type[OnecodeError]]] = {}
    every: tuple[type[OnecodeError], ...] = (
        *errors,
        InvalidRequest,
        PayloadTooLarge,
        ServiceUnavailable,
    )
    for cls in every:
        if cls not in by_status.setdefault(cls.status, []):
            by_status[cls.status].append(cls)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, classes in sorted(by_status.items()):
        examples = {
            cls.code: {
                "summary": meaning(cls).split(". ")[0].rstrip("."),
                "value": {"error": {"code": cls.code, "message": meaning(cls), "details": {}}},
            }
            for cls in classes
        }
        responses[status] = {
            "model": ErrorResponse,
            "description": "; ".join(f"`{cls.code}`: {meaning(cls)}" for cls in classes),
            "content": {"application/json": {"examples": examples}},
        }
    return responses


def _error(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status)


def _methods_at(app: FastAPI, request: Request) -> list[str]:
    """Every method the API document lists at this path (RFC 9110: a 405 names them in Allow),
    since Starlette's own 405 names only the first matching route's."""
    methods: set[str] = set()
    for pattern, listed in _paths(app):
        if pattern.fullmatch(request.url.path):
            methods |= listed
    return sorted(methods)


def _paths(app: FastAPI) -> list[tuple[re.Pattern[str], set[str]]]:
    if not hasattr(app.state, "allow_table"):
        table = []
        for path, operations in app.openapi().get("paths", {}).items():
            pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)))
            listed = {m.upper() for m in operations if m.isalpha()}
            table.append((pattern, listed | ({"HEAD"} if "GET" in listed else set())))
        app.state.allow_table = table
    result: list[tuple[re.Pattern[str], set[str]]] = app.state.allow_table
    return result


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OnecodeError)
    async def _domain(_: Request, exc: OnecodeError) -> JSONResponse:
        response = _error(exc.status, exc.code, exc.message, exc.details)
        if "retry_after" in exc.details:  # seconds, for errors that pass with time
            response.headers["Retry-After"] = str(exc.details["retry_after"])
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
        return _error(422, InvalidRequest.code, "the request is not valid", {"problems": problems})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's "error parsing the body": bad input like any
            return _error(422, InvalidRequest.code, "the body is not valid JSON")
        known = {404: NotFound.code, 405: MethodNotAllowed.code, 413: PayloadTooLarge.code}
        code = known.get(exc.status_code, "HTTP_ERROR")
        response = _error(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:  # Starlette names only the first matching route's methods
            response.headers["Allow"] = ", ".join(_methods_at(app, request))
        return response

    @app.exception_handler(redis.ConnectionError)
    @app.exception_handler(redis.TimeoutError)
    @app.exception_handler(sqlalchemy.exc.OperationalError)
    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        # A store the request needs is down or too slow: nothing was decided, try again.
        log.error("store_unavailable", path=request.url.path, error=type(exc).__name__)
        response = _error(
            503, ServiceUnavailable.code, "a backing service did not answer; retry shortly"
        )
        response.headers["Retry-After"] = "2"
        return response

    @app.exception_handler(sqlalchemy.exc.DataError)
    async def _unstorable(request: Request, exc: sqlalchemy.exc.DataError) -> JSONResponse:
        # PostgreSQL refuses a value no column can hold (a NUL character in text, a number
        # past BIGINT): the request's fault, and its transaction is rolled back whole.
        log.warning("unstorable_value", path=request.url.path, error=str(exc.orig)[:120])
        return _error(
            422,
            InvalidRequest.code,
            "a value cannot be stored (a NUL character in text, or a number out of range)",
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return _error(500, InternalError.code, "something went wrong on our side; it was logged")


class TooLargeAsJson:
    """FastAPI's body limit answers a Content-Length over the limit itself, in plain text,
    before any handler runs; this gives that answer onecode's error format, PAYLOAD_TOO_LARGE.
    (A body that grows past the limit while streaming reaches the handlers and gets the same.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_json(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/plain"):
                    replaced = True
                    answer = _error(413, PayloadTooLarge.code, meaning(PayloadTooLarge))
                    await answer(scope, receive, send)
                    return
            if not replaced:
                await send(message)

        await self.app(scope, receive, send_json)
