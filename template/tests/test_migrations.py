"""Migrations: they go up, down and up again, and they match the models exactly.

They run in an empty database of their own (`empty_database_url`, from
tests/fixtures/database.py), so the other tests' schema is never touched.
"""

import asyncio
import logging.config
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import main as alembic_cli
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, NullPool, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

import app.__main__ as runner
from app.database import Base, import_models
from app.dialect import create_database_engine
from tests.helpers import PROJECT_DIR, alembic_config


@pytest.fixture
async def empty_connection(empty_database_url: str) -> AsyncIterator[AsyncConnection]:
    engine = create_database_engine(empty_database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


def schema(connection: Connection) -> dict[str, list[object]]:
    """Each table as the database describes it: its columns (type, nullability, default),
    primary key, indexes and constraints. Alembic's own table is left out."""
    inspector = inspect(connection)
    described: dict[str, list[object]] = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        described[table] = [
            sorted(
                (column["name"], str(column["type"]), column["nullable"], str(column["default"]))
                for column in inspector.get_columns(table)
            ),
            inspector.get_pk_constraint(table)["constrained_columns"],
            sorted(
                (str(index["name"]), str(index["column_names"]), bool(index["unique"]))
                for index in inspector.get_indexes(table)
            ),
            sorted(
                (str(unique["name"]), str(unique["column_names"]))
                for unique in inspector.get_unique_constraints(table)
            ),
            sorted(
                (str(check["name"]), str(check["sqltext"]))
                for check in inspector.get_check_constraints(table)
            ),
            sorted(
                (str(key["constrained_columns"]), key["referred_table"], str(key["options"]))
                for key in inspector.get_foreign_keys(table)
            ),
        ]
    return described


def steps_down_that_miss_the_schema_before_them(connection: Connection) -> list[str]:
    """Upgrade one revision at a time, then downgrade one at a time: the revisions whose
    downgrade does not give back the schema as it was before their upgrade."""
    config = alembic_config(connection)
    revisions = [r.revision for r in ScriptDirectory.from_config(config).walk_revisions()]
    before: dict[str, dict[str, list[object]]] = {}
    for revision in reversed(revisions):  # oldest first
        before[revision] = schema(connection)
        command.upgrade(config, revision)
    missed = []
    for revision in revisions:  # newest first
        command.downgrade(config, "-1")
        if schema(connection) != before[revision]:
            missed.append(revision)
    return missed


async def test_every_downgrade_restores_the_schema_before_its_upgrade(
    empty_connection: AsyncConnection,
) -> None:
    """A downgrade left empty (or undoing only part of its upgrade) fails here."""
    assert await empty_connection.run_sync(steps_down_that_miss_the_schema_before_them) == []


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def up_down_up(connection: Connection) -> list[set[str]]:
    config = alembic_config(connection)
    command.upgrade(config, "head")
    after_upgrade = table_names(connection)
    command.downgrade(config, "base")
    after_downgrade = table_names(connection)
    command.upgrade(config, "head")
    return [after_upgrade, after_downgrade, table_names(connection)]


async def test_upgrade_downgrade_upgrade(empty_connection: AsyncConnection) -> None:
    import_models()
    tables = set(Base.metadata.tables)

    assert await empty_connection.run_sync(up_down_up) == [tables, set(), tables]


def upgrade_and_diff(connection: Connection) -> list[object]:
    config = alembic_config(connection)
    command.upgrade(config, "head")
    command.check(config)  # what `alembic check` runs: raises on any difference
    import_models()
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_models_and_migrations_agree(empty_connection: AsyncConnection) -> None:
    """A model change without a migration fails here: run `alembic revision --autogenerate`."""
    assert await empty_connection.run_sync(upgrade_and_diff) == []


@pytest.mark.usefixtures("clean_environment")
def test_alembic_without_a_database_url_uses_the_development_database(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`uv run alembic revision --autogenerate` and `upgrade` need no setup: where no
    DATABASE_URL is set (environment or .env), they work on the database `python -m app`
    uses (started for the command if it is not running). Here an empty database stands in
    for it."""
    monkeypatch.setattr(runner, "development_database_url", lambda: empty_database_url)
    monkeypatch.setattr(logging.config, "fileConfig", lambda *_, **__: None)
    caplog.set_level(logging.INFO, logger="alembic")

    alembic_cli(["--config", str(PROJECT_DIR / "alembic.ini"), "upgrade", "head"])

    assert "DATABASE_URL is not set: using the development database" in caplog.text
    assert "Running upgrade  -> 0001" in caplog.text


@pytest.mark.usefixtures("clean_environment")
def test_the_alembic_command_line_migrates(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """What deployments run before starting the new version: `alembic upgrade head`.

    `alembic.config.main` is what the `alembic` command runs. It runs here as a deployment
    runs it: from the project folder, with DATABASE_URL in the environment and no connection
    given, so migrations/env.py opens its own engine. In this process rather than a new one,
    which would spend a second starting Python; and without alembic.ini's logging setup,
    because pytest owns this process's logging.
    """
    monkeypatch.chdir(PROJECT_DIR)
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setattr(logging.config, "fileConfig", lambda *_, **__: None)
    caplog.set_level(logging.INFO, logger="alembic")

    alembic_cli(["upgrade", "head"])

    assert "Running upgrade  -> 0001" in caplog.text


async def stamp(database_url: str, revision: str) -> None:
    """Record `revision` as the database's own, as Alembic does after migrating to it."""
    engine = create_database_engine(database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE alembic_version (version_num text)"))
            await connection.execute(
                text("INSERT INTO alembic_version VALUES (:revision)"), {"revision": revision}
            )
    finally:
        await engine.dispose()


@pytest.mark.usefixtures("clean_environment")
def test_python_m_app_stops_on_a_revision_this_checkout_lacks(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As after switching to a branch without the migration the database last got: one
    message with what to do, instead of Alembic's traceback, and nothing served."""
    asyncio.run(stamp(empty_database_url, "from_another_branch"))
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setattr(logging.config, "fileConfig", lambda *_, **__: None)
    monkeypatch.setattr(runner, "port_is_free", lambda *_: True)
    monkeypatch.setattr("uvicorn.run", pytest.fail)

    with pytest.raises(SystemExit) as exited:
        runner.main()

    assert exited.value.code == (
        "Cannot migrate the database: Can't locate revision identified by "
        "'from_another_branch'. `uv run alembic history` lists the revisions this checkout "
        "has; a database migrated on another branch goes back with `uv run alembic "
        "downgrade` run on that branch"
    )


def test_models_are_found_in_modules_and_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A domain keeps its models in `models.py` or in a `models/` package: Alembic must
    see both (a package it missed would look like tables to drop)."""
    root = tmp_path / "discovered"
    for module in ("__init__.py", "a/__init__.py", "a/models.py", "b/__init__.py",
                   "b/models/__init__.py", "c/__init__.py", "c/router.py"):  # fmt: skip
        (root / module).parent.mkdir(parents=True, exist_ok=True)
        (root / module).touch()
    monkeypatch.syspath_prepend(str(tmp_path))

    import_models(root, "discovered")

    assert {"discovered.a.models", "discovered.b.models"} <= set(sys.modules)
    assert "discovered.c.router" not in sys.modules
