"""Integration tests: the real app, with no overrides, on the server in TEST_DATABASE_URL.

Requests commit for real here, in a database of their own (`integration_<worker>`),
emptied after each test. Without TEST_DATABASE_URL these tests are skipped:

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres uv run pytest -m integration
"""

import os
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import NullPool
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app.database import Base, import_models
from app.factory import create_app
from app.settings import normalise_database_url
from tests.fixtures.database import worker_database_name
from tests.helpers import (
    database_url_for,
    drop_database,
    make_settings,
    recreate_database,
    upgrade_to_head,
)


@pytest.fixture(scope="session")
def integration_server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: integration tests need a PostgreSQL server")
    return normalise_database_url(url)


@pytest.fixture(scope="session")
async def live_database_url(integration_server_url: str) -> AsyncIterator[str]:
    """This worker's integration database, migrated to head, dropped at the end."""
    name = worker_database_name("integration")
    await recreate_database(integration_server_url, name)
    url = database_url_for(integration_server_url, name)
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as connection:
        await connection.run_sync(upgrade_to_head)
    await engine.dispose()
    yield url
    await drop_database(integration_server_url, name)


@pytest.fixture
async def live_connection(live_database_url: str) -> AsyncIterator[AsyncConnection]:
    """A separate connection, to see what the app committed; empties the tables after."""
    engine = create_async_engine(live_database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            yield connection
            await connection.rollback()
            import_models()
            tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
            await connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            await connection.commit()
    finally:
        await engine.dispose()


@pytest.fixture
async def live_client(
    live_database_url: str, live_connection: AsyncConnection
) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app with its real session dependency: requests commit for real."""
    app = create_app(make_settings(database_url=live_database_url))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(manager.app), base_url="http://testserver"
        ) as client,
    ):
        yield client
