"""What the factory and the lifespan keep on `app.state`, read back with types.

`create_app()` stores the settings; the lifespan stores the engine, the session maker,
the shared HTTP client and the webhook delivery slots. The functions below are the only
readers. They are `async` although they never await: FastAPI runs a plain `def`
dependency in a worker thread, a hop per request that costs more than the lookup itself.
"""

import asyncio

import httpx
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return sessionmaker


async def get_http_client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.http_client
    return client


async def get_webhook_slots(request: Request) -> asyncio.Semaphore:
    slots: asyncio.Semaphore = request.app.state.webhook_slots
    return slots
