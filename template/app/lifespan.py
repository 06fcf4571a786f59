"""Startup and shutdown: the resources one running app shares between requests."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from app.database import create_engine, create_sessionmaker
from app.settings import Settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the database engine and one shared HTTP client; close both on shutdown."""
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    try:
        async with httpx.AsyncClient(timeout=settings.http_timeout_seconds) as http_client:
            app.state.http_client = http_client
            yield
    finally:
        await engine.dispose()
