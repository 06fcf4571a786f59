"""Log lines: the formats LOG_FORMAT chooses, and the request id on every line of a
request, uvicorn's access line included (a real uvicorn server)."""

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime
from io import StringIO
from typing import Any

import httpx
import pytest
import uvicorn

from app.logs import JsonFormatter, RequestIdFilter, configure_logging, request_id_var
from tests.fixtures.database import UNREACHABLE_DATABASE_URL
from tests.helpers import make_settings

# A password in DATABASE_URL, and a token in a request's Authorization: never logged.
DATABASE_PASSWORD = "S3cr3t-db-pw"
BEARER_TOKEN = "S3cr3t-token"
STARTUP_SECONDS = 30


def record(
    message: str = "Todo %s created",
    *args: object,
    name: str = "app.todos",
    level: int = logging.INFO,
    exc_info: Any = None,
) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, args, exc_info)


def json_line(log_record: logging.LogRecord, request_id: str | None = None) -> dict[str, Any]:
    """What the JSON format writes for `log_record`, logged while serving `request_id`."""
    token = request_id_var.set(request_id)
    try:
        line = JsonFormatter().format(log_record)
    finally:
        request_id_var.reset(token)
    assert "\n" not in line  # one line per record, whatever the message holds
    parsed: dict[str, Any] = json.loads(line)
    return parsed


class TestJsonFormat:
    def test_a_line_has_time_level_logger_message_and_request_id(self) -> None:
        log_record = record("Todo %s created", 42)

        line = json_line(log_record, request_id="req-1")

        assert line == {
            "time": line["time"],
            "level": "INFO",
            "logger": "app.todos",
            "message": "Todo 42 created",
            "request_id": "req-1",
        }
        time_ = datetime.fromisoformat(line["time"])
        assert line["time"].endswith("Z")
        assert time_.utcoffset() is not None
        assert abs(time_.timestamp() - log_record.created) < 0.001

    def test_outside_a_request_the_request_id_is_null(self) -> None:
        assert json_line(record())["request_id"] is None

    def test_an_exception_comes_as_its_traceback(self) -> None:
        def save() -> None:
            msg = "the disk is full"
            raise OSError(msg)

        try:
            save()
        except OSError:
            log_record = record("Could not save", exc_info=sys.exc_info(), level=logging.ERROR)

        line = json_line(log_record, request_id="req-2")

        assert line["message"] == "Could not save"
        assert line["exception"].startswith("Traceback (most recent call last):")
        assert line["exception"].endswith("OSError: the disk is full")
        assert "exception" not in json_line(record())

    def test_an_access_line_has_method_path_status_and_client(self) -> None:
        # As uvicorn logs it (uvicorn.protocols.http: '%s - "%s %s HTTP/%s" %d').
        access = record(
            '%s - "%s %s HTTP/%s" %d',
            *("203.0.113.7:50123", "GET", "/todos?limit=5", "1.1", 200),
            name="uvicorn.access",
        )

        line = json_line(access, request_id="req-3")

        assert line["message"] == '203.0.113.7:50123 - "GET /todos?limit=5 HTTP/1.1" 200'
        assert (line["method"], line["path"], line["status"]) == ("GET", "/todos?limit=5", 200)
        assert (line["client"], line["request_id"]) == ("203.0.113.7:50123", "req-3")


@pytest.fixture
def uvicorn_handlers() -> Iterator[tuple[StringIO, StringIO]]:
    """Handlers on uvicorn's loggers as uvicorn sets them up (its error lines, its access
    lines), removed after the test."""
    streams = (StringIO(), StringIO())
    added: list[tuple[logging.Logger, logging.StreamHandler[StringIO]]] = []
    for name, stream in zip(("uvicorn", "uvicorn.access"), streams, strict=True):
        logger, handler = logging.getLogger(name), logging.StreamHandler(stream)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        added.append((logger, handler))
    try:
        yield streams
    finally:
        for logger, handler in added:
            logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)
            logger.propagate = True
        configure_logging(make_settings())


def test_uvicorn_lines_get_the_format_and_the_request_id(
    uvicorn_handlers: tuple[StringIO, StringIO],
) -> None:
    errors, access = uvicorn_handlers

    configure_logging(make_settings(log_format="json"))
    token = request_id_var.set("req-4")
    try:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/health", "1.1", 200
        )
        logging.getLogger("uvicorn.error").error("Exception in ASGI application")
    finally:
        request_id_var.reset(token)
    configure_logging(make_settings(log_format="text"))
    logging.getLogger("uvicorn.error").info("Shutting down")

    access_line = json.loads(access.getvalue())
    assert (access_line["request_id"], access_line["status"]) == ("req-4", 200)
    json_error, text_line = errors.getvalue().splitlines()
    assert json.loads(json_error)["request_id"] == "req-4"
    assert text_line.endswith(" INFO     uvicorn.error [-] Shutting down")


def test_the_text_format_tags_each_line_with_the_request_id() -> None:
    configure_logging(make_settings())
    [handler] = [each for each in logging.getLogger("app").handlers if each.name == "app"]
    assert any(isinstance(each, RequestIdFilter) for each in handler.filters)
    log_record = record("Todo %s created", 7)

    token = request_id_var.set("req-5")
    try:
        handler.filter(log_record)
    finally:
        request_id_var.reset(token)

    assert handler.format(log_record).endswith(" INFO     app.todos [req-5] Todo 7 created")


# --------------------------------------------------------------------------- a real server


@pytest.mark.usefixtures("clean_environment")
async def test_a_real_server_logs_json_with_the_request_id_on_app_and_access_lines(
    monkeypatch: pytest.MonkeyPatch, uvicorn_handlers: tuple[StringIO, StringIO]
) -> None:
    """Uvicorn serving the app factory as the Dockerfile's CMD does (proxy headers), over
    a real socket, in a folder without `.env`, on a database that refuses connections:
    /health answers 503 and the app logs a warning with the traceback.

    In this process, to spare the suite a second Python start (a second of imports):
    `uvicorn_handlers` stands for the handlers uvicorn's command line sets up, and the
    app's handler writes to a buffer for the test.
    """
    database_url = UNREACHABLE_DATABASE_URL.replace("postgres@", f"postgres:{DATABASE_PASSWORD}@")
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("DATABASE_URL", database_url)
    errors, access = uvicorn_handlers
    app_output = StringIO()
    configure_logging(make_settings())  # the app's handler exists before the server starts
    [app_handler] = [each for each in logging.getLogger("app").handlers if each.name == "app"]
    monkeypatch.setattr(app_handler, "stream", app_output)
    config = uvicorn.Config(
        "app.factory:create_app",
        factory=True,
        host="127.0.0.1",
        port=0,
        proxy_headers=True,
        log_config=None,  # the handlers above, not a logging setup of uvicorn's own
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(STARTUP_SECONDS):
            while not server.started:
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(trust_env=False) as client:  # whatever proxy is set
            response = await client.get(
                f"http://127.0.0.1:{port}/health",
                headers={"X-Request-ID": "req-live-1", "Authorization": f"Bearer {BEARER_TOKEN}"},
            )
    finally:
        server.should_exit = True
        await serving

    app_lines = [json.loads(line) for line in app_output.getvalue().splitlines()]
    [app_line] = [line for line in app_lines if line["logger"] == "app.health"]
    [access_line] = [json.loads(line) for line in access.getvalue().splitlines()]
    assert all(json.loads(line) for line in errors.getvalue().splitlines())  # JSON too
    assert response.status_code == 503
    assert response.headers["X-Request-ID"] == "req-live-1"
    assert app_line["request_id"] == access_line["request_id"] == "req-live-1"
    assert app_line["message"] == "Health check: database unreachable"
    assert app_line["level"] == "WARNING"
    assert "Traceback (most recent call last)" in app_line["exception"]
    assert (access_line["method"], access_line["path"], access_line["status"]) == (
        "GET",
        "/health",
        503,
    )
    assert access_line["client"].startswith("127.0.0.1:")
    everything = app_output.getvalue() + errors.getvalue() + access.getvalue()
    assert BEARER_TOKEN not in everything
    assert DATABASE_PASSWORD not in everything
