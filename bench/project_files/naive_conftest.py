"""The naive isolation pattern, for comparison: create every table before each test and
drop them all after it, with real commits (no rolled-back transaction).

Overrides the project's `db_session` (async client) and `sync_client_and_session`
(TestClient, whose session lives in the `portal` event loop); everything else (the shared
app, the lifespan per test, the clients) is the project's own, so the two patterns differ
only in how each test gets a clean database.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from anyio.from_thread import BlockingPortal
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.types import ASGIApp

from app.database import Base, get_session, import_models
from tests.fixtures.clients import BASE_URL
from tests.helpers import override

import_models()


async def create_all(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)


async def drop_all(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)


@pytest.fixture
async def db_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    await create_all(engine)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            yield session
    finally:
        await drop_all(engine)


@asynccontextmanager
async def serving_fresh_tables(
    app: FastAPI, engine: AsyncEngine
) -> AsyncIterator[tuple[ASGIApp, AsyncSession]]:
    """As the project's `serving_isolated_session`, on tables created for the test."""
    await create_all(engine)
    try:
        async with (
            AsyncSession(engine, expire_on_commit=False) as session,
            LifespanManager(app) as manager,
        ):
            override(app, get_session, session)
            yield manager.app, session
    finally:
        await drop_all(engine)


@pytest.fixture
def sync_client_and_session(
    app: FastAPI, portal: BlockingPortal, portal_engine: AsyncEngine
) -> Iterator[tuple[TestClient, AsyncSession]]:
    serving = serving_fresh_tables(app, portal_engine)
    with portal.wrap_async_context_manager(serving) as (started_app, session):
        client = TestClient(started_app, base_url=BASE_URL)
        client.portal = portal
        try:
            yield client, session
        finally:
            client.close()
