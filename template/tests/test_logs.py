"""Log lines: the formats LOG_FORMAT chooses, and the request id on every line of a
request, uvicorn's access line included (in a real uvicorn process)."""

import json
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from io import StringIO
from typing import Any

import httpx
import pytest

from app.logs import JsonFormatter, RequestIdFilter, configure_logging, request_id_var
from tests.fixtures.database import UNREACHABLE_DATABASE_URL
from tests.helpers import PROJECT_DIR, make_settings

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


class ServerOutput:
    """The lines a server process writes (stdout and stderr), read as they come."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert process.stdout is not None
        self._thread = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first JSON line `wanted` accepts (every line before it must be JSON too)."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail("never logged the line; the output was:\n" + "".join(self.seen))
            self.seen.append(line)
            try:
                parsed: dict[str, Any] = json.loads(line)
            except json.JSONDecodeError:
                pytest.fail("a line is not JSON:\n" + "".join(self.seen))
            if wanted(parsed):
                return parsed

    def close(self) -> str:
        """Everything written (once the process has ended)."""
        self._thread.join(timeout=STARTUP_SECONDS)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)


@pytest.mark.usefixtures("clean_environment")
def test_a_real_server_logs_json_with_the_request_id_on_app_and_access_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Uvicorn, run as the Dockerfile's CMD runs it (the app factory, proxy headers), in a
    folder without `.env`, on a database that refuses connections: /health answers 503
    and the app logs a warning with the traceback."""
    database_url = UNREACHABLE_DATABASE_URL.replace("postgres@", f"postgres:{DATABASE_PASSWORD}@")
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_DIR))
    command = [
        *(sys.executable, "-m", "uvicorn", "app.factory:create_app", "--factory"),
        *("--host", "127.0.0.1", "--port", "0", "--proxy-headers"),
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ.copy(),
    )
    output = ServerOutput(process)
    try:
        running = output.wait_for(lambda line: line["message"].startswith("Uvicorn running on"))
        base = running["message"].split()[3]  # Uvicorn running on http://127.0.0.1:PORT (...)
        response = httpx.get(
            f"{base}/health",
            headers={"X-Request-ID": "req-live-1", "Authorization": f"Bearer {BEARER_TOKEN}"},
            trust_env=False,  # straight to the server, whatever proxy the developer has
        )
        app_line = output.wait_for(lambda line: line["logger"] == "app.health")
        access = output.wait_for(lambda line: line["logger"] == "uvicorn.access")
    finally:
        process.terminate()
        process.wait(timeout=STARTUP_SECONDS)
        assert process.stdout is not None
        everything = output.close()
        process.stdout.close()

    assert response.status_code == 503
    assert response.headers["X-Request-ID"] == "req-live-1"
    assert app_line["request_id"] == access["request_id"] == "req-live-1"
    assert app_line["message"] == "Health check: database unreachable"
    assert app_line["level"] == "WARNING"
    assert "Traceback (most recent call last)" in app_line["exception"]
    assert (access["method"], access["path"], access["status"]) == ("GET", "/health", 503)
    assert access["client"].startswith("127.0.0.1:")
    assert BEARER_TOKEN not in everything
    assert DATABASE_PASSWORD not in everything
