"""The naive isolation pattern, for comparison: create every table before each test and
drop them all after it, with real commits (no rolled-back transaction).

Overrides the project's `db_session` (async client) and `sync_client_and_session`
(TestClient, whose session lives in the client's own event loop).
"""

from collections.abc import AsyncIterator, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import NullPool
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.database import Base, get_session, import_models
from app.settings import Settings

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


@pytest.fixture
def sync_client_and_session(
    app: FastAPI, settings: Settings, engine: AsyncEngine
) -> Iterator[tuple[TestClient, AsyncSession]]:
    assert settings.database_url is not None
    with TestClient(app, base_url="http://testserver") as client:
        assert client.portal is not None
        client_engine = create_async_engine(settings.database_url, poolclass=NullPool)
        client.portal.call(create_all, client_engine)
        session = AsyncSession(client_engine, expire_on_commit=False)
        app.dependency_overrides[get_session] = lambda: session
        try:
            yield client, session
        finally:
            client.portal.call(session.close)
            client.portal.call(drop_all, client_engine)
            client.portal.call(client_engine.dispose)
