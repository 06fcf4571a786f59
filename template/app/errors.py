"""The errors the service raises on purpose, and how they become HTTP responses.

Routes and services raise an `AppError` subclass; the handlers that `create_app()`
registers turn it into `{"detail": ..., "code": ...}` with the class's status code.
FastAPI's own errors (unknown route, wrong method, unreadable body) get the same shape,
a database that cannot be reached, or that cancelled a statement that took too long, is
a retryable 503, and anything else becomes a plain
500 with no traceback in the body. `error_responses()` puts them in the OpenAPI schema.
"""

import json
import logging
import re
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException
from starlette.routing import Match

from app.dialect import CANCELS_SLOW_STATEMENTS, means_timeout, means_unavailable

logger = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """The body of every error response the service sends on purpose."""

    detail: str
    code: str


class AppError(Exception):
    """Base class: a status code, a stable machine-readable code and a message for people."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    headers: ClassVar[dict[str, str] | None] = None
    # What the OpenAPI schema says this response means (see `error_responses`).
    description: ClassVar[str] = "Internal server error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def response_headers(self) -> dict[str, str] | None:
        return self.headers


class BadRequest(AppError):
    """What FastAPI answers (as an HTTPException) when it cannot read a body at all."""

    status_code = 400
    code = "bad_request"
    description = "The body could not be read (not UTF-8, or not the declared type)"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    description = "Not found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    description = "Conflicts with what exists"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}
    description = "Missing, invalid or expired credentials"


class InvalidHost(AppError):
    """Answered by the host-check middleware: the Host header is not in ALLOWED_HOSTS."""

    status_code = 400
    code = "invalid_host"
    description = "The Host header is not one of ALLOWED_HOSTS"


class PayloadTooLarge(AppError):
    """Answered by the body-size middleware (MAX_BODY_BYTES), before any route runs."""

    status_code = 413
    code = "payload_too_large"
    description = "The request body is larger than MAX_BODY_BYTES"


class RetryLater(AppError):
    """An error that says when to try again: its `Retry-After` header, in seconds."""

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TooManyRequests(RetryLater):
    status_code = 429
    code = "too_many_requests"
    description = "Too many attempts: retry after the Retry-After header's seconds"


class Overloaded(RetryLater):
    """More work is queued than the service can do in time (password hashing, for one):
    refused at once rather than answered late, so the queue cannot grow without bound."""

    status_code = 503
    code = "overloaded"
    description = "Too busy to answer right now: retry after the Retry-After header's seconds"


class DatabaseUnavailable(AppError):
    """The database cannot be reached (down, restarting, pool exhausted): try again soon."""

    status_code = 503
    code = "database_unavailable"
    description = "The database cannot be reached right now: retry after Retry-After seconds"
    headers: ClassVar[dict[str, str] | None] = {"Retry-After": "5"}


class DatabaseTimeout(DatabaseUnavailable):
    """The database cancelled a statement that ran past DATABASE_STATEMENT_TIMEOUT_SECONDS
    or waited past DATABASE_LOCK_TIMEOUT_SECONDS for a lock another transaction held.

    A 503 with Retry-After, like an outage: the client did nothing wrong, the statement's
    transaction rolled back, and a held lock or a busy server usually passes, so a retry is
    the client's right move; a 500 would say the request hit a bug. Its own code, because
    the database is up: it is this request that took too long (the log has the statement,
    to find a query that keeps timing out).
    """

    code = "database_timeout"
    description = "The database took too long to answer: retry after Retry-After seconds"


# The errors a route that uses the database can answer (for `error_responses`).
DATABASE_ERRORS: tuple[type[AppError], ...] = (
    (DatabaseUnavailable, DatabaseTimeout) if CANCELS_SLOW_STATEMENTS else (DatabaseUnavailable,)
)


# The errors that may mean the database is unavailable, as SQLAlchemy and the driver
# raise them; `app.dialect.means_unavailable` tells which of them do (a full or
# restarting server yes, a violated constraint no). While connecting, the drivers raise
# plain OSErrors (refused, reset, no such socket, DNS, timeout) that SQLAlchemy passes on
# unwrapped; the service makes no other network or file calls in a request (httpx raises
# its own errors), so an OSError here means the database.
DATABASE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,
    OSError,
)


class UpstreamError(AppError):
    """A service this one calls failed or timed out: 502, so clients know it was not them."""

    status_code = 502
    code = "upstream_error"
    description = "A service this one calls failed; nothing was changed"


# What any route that reads a request body can answer before it runs.
BODY_ERRORS: tuple[type[AppError], ...] = (BadRequest, PayloadTooLarge)


def error_body(detail: str, code: str) -> dict[str, str]:
    return ErrorBody(detail=detail, code=code).model_dump()


def error_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the errors a route can answer, with the `ErrorBody` model.
    Errors with one status code share its entry, each description in turn."""
    responses: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        if error.status_code in responses:
            responses[error.status_code]["description"] += f"; or: {error.description}"
        else:
            responses[error.status_code] = {"model": ErrorBody, "description": error.description}
    return responses


async def handle_app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # registered for AppError only
    return JSONResponse(
        error_body(exc.detail, exc.code),
        status_code=exc.status_code,
        headers=exc.response_headers(),
    )


def status_code_name(status_code: int) -> str:
    """`405` -> `"method_not_allowed"`: the `code` of the errors FastAPI raises itself."""
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        return "error"
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")


# The methods routes serve (HEAD goes to GET's routes: app.middleware.HeadAsGetMiddleware).
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's 405 names only one route's).

    Asks the router itself, method by method, so included routers count too.
    """
    routes = request.app.router.routes
    served = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
    return [
        name for method in served for name in ((method, "HEAD") if method == "GET" else (method,))
    ]


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """FastAPI's and Starlette's own errors (404, 405, 400...) in the same `ErrorBody` shape."""
    assert isinstance(exc, HTTPException)  # registered for HTTPException only
    headers = dict(exc.headers or {})
    if exc.status_code in {204, 304}:  # no body allowed
        return Response(status_code=exc.status_code, headers=headers)
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return JSONResponse(
        error_body(detail, status_code_name(exc.status_code)),
        status_code=exc.status_code,
        headers=headers,
    )


async def handle_validation_error(_request: Request, exc: Exception) -> Response:
    """FastAPI's 422 without the input, and encodable whatever the client sent: a JSON
    string may hold a lone surrogate (`"\\ud800"`), which UTF-8 cannot encode, and an error
    may quote it. `ensure_ascii` writes it as the same escape instead of failing with a 500."""
    assert isinstance(exc, RequestValidationError)  # registered for it only
    # Without the `input` FastAPI would echo: it may be a password (sign-up), or the whole
    # body, and error responses end up in gateway logs and client error reports.
    errors = [
        {key: value for key, value in error.items() if key != "input"} for error in exc.errors()
    ]
    body = json.dumps({"detail": jsonable_encoder(errors)}, ensure_ascii=True)
    return Response(body, status_code=422, media_type="application/json")


async def handle_database_error(request: Request, exc: Exception) -> JSONResponse:
    if means_timeout(exc):
        # The log has the statement (not its values: `hide_parameters`), the client only
        # the code.
        logger.warning("Database timeout on %s %s", request.method, request.url.path, exc_info=exc)
        timeout = DatabaseTimeout("The database took too long to answer: try again shortly")
        return await handle_app_error(request, timeout)
    if not means_unavailable(exc):
        # A bug (a missing table, a violated constraint), not an outage: on to the handling
        # of unexpected errors (logged, a 500; raised in tests).
        raise exc
    logger.warning("Database unavailable on %s %s", request.method, request.url.path, exc_info=exc)
    error = DatabaseUnavailable("The database is unavailable: try again shortly")
    return await handle_app_error(request, error)


async def handle_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        error_body("Internal server error", AppError.code), status_code=AppError.status_code
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(HTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    for error in DATABASE_UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, handle_database_error)
    # Starlette's ServerErrorMiddleware calls this one, after every middleware: it logs,
    # and its 500 goes out only if none was sent (app.middleware.InternalErrorMiddleware
    # answers the app's own errors, with the other middleware's headers).
    app.add_exception_handler(Exception, handle_unexpected_error)
