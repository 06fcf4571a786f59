"""Logging: the `app` loggers and uvicorn's, each line tagged with the request id.

LOG_FORMAT chooses the lines' form: `text` (`time level logger [request id] message`) or
`json` (one JSON object per line, for the log search of Fly.io, Railway or any
aggregator). Uvicorn logs a request's access line as the app starts its response, in
the request's own context: the id RequestIdMiddleware set is on that line too.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from app.settings import Settings

# Set by RequestIdMiddleware for the duration of each request; None outside one.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_HANDLER_NAME = "app"
TEXT_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(request_id)s] %(message)s"
# Uvicorn's loggers: `uvicorn.error` (startup, shutdown, its own errors) logs through
# the handlers of its parent `uvicorn`; `uvicorn.access` has handlers of its own.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.access")


class RequestIdFilter(logging.Filter):
    """Give each record the request id (`-` outside a request), for TEXT_FORMAT."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (ISO 8601, UTC), level, logger, message,
    request_id (null outside a request), the traceback as `exception` when there is one,
    and method, path, status and client on uvicorn's access lines (whose arguments are
    those of '%s - "%s %s HTTP/%s" %d': client, method, path and query, HTTP version,
    status)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            client, method, path, _http_version, status = args
            line |= {"method": method, "path": path, "status": status, "client": client}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


def formatter_for(settings: Settings) -> logging.Formatter:
    """The formatter LOG_FORMAT names."""
    if settings.log_format == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)


def _tag_with_request_id(handler: logging.Handler, formatter: logging.Formatter) -> None:
    handler.setFormatter(formatter)
    if not any(isinstance(each, RequestIdFilter) for each in handler.filters):
        handler.addFilter(RequestIdFilter())


def configure_logging(settings: Settings) -> None:
    """Send `app.*` records to stderr at LOG_LEVEL (DEBUG when DEBUG is on), and give
    uvicorn's handlers the same format (LOG_FORMAT) and the request id.

    `create_app()` calls it in each serving process, after uvicorn set up its logging:
    the lines uvicorn writes before (and those of the process supervising `--reload` or
    several `--workers`) keep uvicorn's own format. Uvicorn's handlers keep their
    streams and levels; with `--no-access-log` there is no access handler to change.

    `app.*` records still propagate to the root logger, so pytest sees them too. Calling
    this again changes the level and the format.
    """
    formatter = formatter_for(settings)
    logger = logging.getLogger("app")
    logger.setLevel("DEBUG" if settings.debug else settings.log_level)
    handler = next((each for each in logger.handlers if each.name == _HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.name = _HANDLER_NAME
        logger.addHandler(handler)
    _tag_with_request_id(handler, formatter)
    for name in UVICORN_LOGGERS:
        for uvicorn_handler in logging.getLogger(name).handlers:
            _tag_with_request_id(uvicorn_handler, formatter)
