"""`python -m app`: the pieces of the development runner (the server itself is not run)."""

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url

import app.__main__ as runner
from tests.fixtures.database import EMBEDDED_DATA_DIR
from tests.helpers import make_settings


def test_a_configured_database_is_used_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "start_embedded_postgres", pytest.fail)
    settings = make_settings(database_url="postgresql://u@db.example.com/app")

    assert runner.ensure_database(settings) is settings


def test_without_a_database_url_an_embedded_server_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "")  # empty counts as unset; restored afterwards
    started: list[Path] = []

    def start(data_dir: Path) -> str:
        started.append(data_dir)
        return "postgresql://postgres:@/postgres?host=/tmp/embedded"

    monkeypatch.setattr(runner, "start_embedded_postgres", start)

    settings = runner.ensure_database(make_settings(database_url=None), tmp_path / "pg")

    assert started == [tmp_path / "pg"]
    assert os.environ["DATABASE_URL"] == "postgresql://postgres:@/postgres?host=/tmp/embedded"
    assert settings.database_url is not None
    assert make_url(settings.database_url).query["host"] == "/tmp/embedded"


def test_the_embedded_server_gives_a_socket_url(postgres_server_url: str) -> None:
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the tests use TEST_DATABASE_URL's server, not an embedded one")

    # The tests' own embedded server is already running: this joins it.
    url = runner.start_embedded_postgres(EMBEDDED_DATA_DIR)

    assert url.startswith("postgresql://")
    assert "host=" in url


def test_main_migrates_then_serves_the_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    settings = make_settings(environment="development", database_url="postgresql://u@h/db")
    monkeypatch.setattr(runner, "Settings", lambda: settings)
    monkeypatch.setattr(runner, "migrate", lambda: calls.append(("migrate", None)))
    monkeypatch.setattr("uvicorn.run", lambda target, **kwargs: calls.append((target, kwargs)))

    runner.main()

    assert calls[0] == ("migrate", None)
    target, options = calls[1]
    assert target == "app.factory:create_app"
    assert options["factory"] is True
    assert (options["host"], options["port"], options["reload"]) == ("127.0.0.1", 8000, True)


def test_migrate_upgrades_to_head(monkeypatch: pytest.MonkeyPatch) -> None:
    upgrades: list[tuple[str | None, str]] = []
    monkeypatch.setattr(
        "alembic.command.upgrade",
        lambda config, revision: upgrades.append((config.config_file_name, revision)),
    )

    runner.migrate()

    assert upgrades == [(str(runner.PROJECT_DIR / "alembic.ini"), "head")]
