"""Alembic's entry point: run the migrations against DATABASE_URL (async driver), or
where it is unset, the development database `uv run python -m app` uses.

A caller that already holds a connection (the tests do) passes it in
`config.attributes["connection"]`; the migrations then run on it, in its transaction.
"""

import asyncio
import logging
from logging.config import fileConfig

from alembic import context
from alembic.util import CommandError
from sqlalchemy import Connection, make_url

from app.database import Base, import_models
from app.dialect import (
    check_foreign_keys,
    create_migration_engine,
    lock_migrations,
    normalise_database_url,
)
from app.settings import Settings

config = context.config
given_connection: Connection | None = config.attributes.get("connection")

# A caller passing its own connection also owns logging: leave it alone.
if config.config_file_name is not None and given_connection is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

import_models()
target_metadata = Base.metadata
logger = logging.getLogger("alembic.env")


def database_url() -> str:
    url = Settings().database_url
    if url is not None:
        return url
    # The development runner's own module, imported only here: production sets the URL.
    from app.__main__ import development_database_url

    try:
        url = development_database_url()
    except ModuleNotFoundError as missing:  # the embedded server and its dependencies
        msg = (
            "DATABASE_URL is not set, and the development database needs the dev "
            f"dependencies ({missing.name} is missing): install them with `uv sync`, "
            "or set DATABASE_URL"
        )
        raise CommandError(msg) from missing
    logger.info("DATABASE_URL is not set: using the development database, %s", url)
    return normalise_database_url(url)


def batch_mode(dialect_name: str) -> bool:
    """SQLite cannot ALTER most of a table: Alembic's batch mode copies it instead."""
    return dialect_name == "sqlite"


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        render_as_batch=batch_mode(make_url(url).get_backend_name()),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=batch_mode(connection.dialect.name),
        # One transaction for the whole run, so `check_foreign_keys` can still undo it.
        # Alembic commits after each revision where it assumes DDL is not transactional
        # (SQLite); app.dialect makes it so on both databases.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        # Before Alembic reads the current version: a run waiting here finds the other's
        # migrations applied once it gets the lock.
        lock_migrations(connection)
        context.run_migrations()
        check_foreign_keys(connection)


async def run_async_migrations() -> None:
    engine = create_migration_engine(database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
elif given_connection is not None:
    do_run_migrations(given_connection)
else:
    asyncio.run(run_async_migrations())
