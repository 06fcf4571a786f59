"""Integration tests: the real app, with its real session dependency: requests commit.

They run in a database of their own (`live_database_url`, from tests/fixtures/database.py),
emptied after each test. On PostgreSQL they need a server: without TEST_DATABASE_URL
they are skipped,

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres uv run pytest -m integration

(on SQLite they always run, on a file of their own). The cache, with the `redis`
option, is the real Redis at REDIS_URL when that is set, else the unit tests' fakeredis
(`live_cache`, in tests/fixtures/cache.py); on PostgreSQL, with both:

    export TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres
    REDIS_URL=redis://127.0.0.1:6379/0 uv run pytest -m integration
"""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import NullPool
from sqlalchemy.ext.asyncio import AsyncConnection

from app.dialect import create_database_engine
from app.factory import create_app
from tests.fixtures.database import empty_tables
from tests.helpers import make_settings


@pytest.fixture
async def live_connection(live_database_url: str) -> AsyncIterator[AsyncConnection]:
    """A separate connection, to see what the app committed; empties the tables after."""
    engine = create_database_engine(live_database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            yield connection
            await connection.rollback()
            await empty_tables(connection)
            await connection.commit()
    finally:
        await engine.dispose()


@pytest.fixture
async def live_client(
    live_database_url: str,
    live_connection: AsyncConnection,
    live_cache: tuple[dict[str, Any], dict[Callable[..., Any], Callable[..., Any]]],
) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app with its real session dependency: requests commit for real."""
    cache_settings, cache_overrides = live_cache
    app = create_app(make_settings(database_url=live_database_url, **cache_settings))
    app.dependency_overrides.update(cache_overrides)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(manager.app), base_url="http://testserver"
        ) as client,
    ):
        yield client
