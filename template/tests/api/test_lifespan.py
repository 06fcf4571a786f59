"""The lifespan opens the shared resources, both clients run it, and shutdown closes them."""

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from app.factory import create_app
from app.settings import Settings
from tests.helpers import replace_settings


async def test_async_client_runs_the_lifespan(
    async_client: httpx.AsyncClient, app: FastAPI
) -> None:
    assert isinstance(app.state.engine, AsyncEngine)
    assert isinstance(app.state.http_client, httpx.AsyncClient)
    assert not app.state.http_client.is_closed


def test_sync_client_runs_the_lifespan(client: TestClient, app: FastAPI) -> None:
    assert isinstance(app.state.engine, AsyncEngine)
    assert not app.state.http_client.is_closed


async def test_the_http_client_waits_http_timeout_seconds(settings: Settings) -> None:
    app = create_app(replace_settings(settings, http_timeout_seconds=1.5))

    async with LifespanManager(app):
        assert app.state.http_client.timeout == httpx.Timeout(1.5)


async def test_shutdown_closes_the_engine_and_the_http_client(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    disposed: list[AsyncEngine] = []
    dispose = AsyncEngine.dispose

    async def record_dispose(engine: AsyncEngine, close: bool = True) -> None:
        disposed.append(engine)
        await dispose(engine, close)

    monkeypatch.setattr(AsyncEngine, "dispose", record_dispose)

    async with LifespanManager(app):
        engine, http_client = app.state.engine, app.state.http_client
        assert not http_client.is_closed

    assert http_client.is_closed
    assert disposed == [engine]
