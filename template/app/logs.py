"""Logging for the `app` loggers: one stderr handler, each line tagged with the request id."""

import logging
from contextvars import ContextVar

from app.settings import Settings

# Set by RequestIdMiddleware for the duration of each request.
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_HANDLER_NAME = "app"
_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(settings: Settings) -> None:
    """Send `app.*` records to stderr at LOG_LEVEL (DEBUG when DEBUG is on).

    Records still propagate to the root logger, so uvicorn and pytest see them too.
    Calling this again only changes the level.
    """
    logger = logging.getLogger("app")
    logger.setLevel("DEBUG" if settings.debug else settings.log_level)
    if not any(handler.name == _HANDLER_NAME for handler in logger.handlers):
        handler = logging.StreamHandler()
        handler.name = _HANDLER_NAME
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(RequestIdFilter())
        logger.addHandler(handler)
