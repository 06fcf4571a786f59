"""The errors the service raises on purpose, and how they become HTTP responses.

Routes and services raise an `AppError` subclass; the handlers that `create_app()`
registers turn it into `{"detail": ..., "code": ...}` with the class's status code.
Anything else becomes a plain 500 with no traceback in the body.
"""

import logging
from typing import ClassVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)


class AppError(Exception):
    """Base class: a status code, a stable machine-readable code and a message for people."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}


class UpstreamError(AppError):
    """A service this one calls failed or timed out: 502, so clients know it was not them."""

    status_code = 502
    code = "upstream_error"


def error_body(detail: str, code: str) -> dict[str, str]:
    return {"detail": detail, "code": code}


async def handle_app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # registered for AppError only
    return JSONResponse(
        error_body(exc.detail, exc.code), status_code=exc.status_code, headers=exc.headers
    )


async def handle_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        error_body("Internal server error", AppError.code), status_code=AppError.status_code
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(Exception, handle_unexpected_error)
