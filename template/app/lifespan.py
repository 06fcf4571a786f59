"""Startup and shutdown: the resources one running app shares between requests."""

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

import certifi
import httpx
from fastapi import FastAPI

from app.cache import open_cache
from app.database import create_engine, create_sessionmaker
from app.settings import Settings
from app.webhooks import delivery_slots


@cache
def tls_context() -> ssl.SSLContext:
    """The CA bundle httpx loads by default, loaded once per process.

    Loading it takes about 20 ms: an app built per test would pay that every time.
    """
    return ssl.create_default_context(cafile=certifi.where())


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the database engine, one shared HTTP client and the cache (`app.cache`: Redis
    with the `redis` option, nothing without); close them all on shutdown. The webhook
    delivery slots are this run's too (an asyncio semaphore belongs to one event loop)."""
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.webhook_slots = delivery_slots()
    try:
        async with (
            httpx.AsyncClient(
                timeout=settings.http_timeout_seconds, verify=tls_context()
            ) as http_client,
            open_cache(app),
        ):
            app.state.http_client = http_client
            yield
    finally:
        await engine.dispose()
