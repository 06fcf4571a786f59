"""The floor under a write-and-read API test: what FastAPI, SQLAlchemy and the database
cost for it alone.

The same exchange as the API tests (POST a todo, GET it back, with the project's model
and schemas) through a bare FastAPI app: no middleware, no lifespan, no dependency
overrides, no fixtures and no pytest around each exchange. Each runs on a connection from
this worker's pool, in a transaction rolled back after it, with a SAVEPOINT session (the
same statements as the project's isolation). One test runs $BENCH_TESTS exchanges after a
warm-up and appends the median seconds of one to $BENCH_TIMINGS as the `floor` record.
"""

import json
import os
import statistics
import time
from collections.abc import AsyncIterator
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.todos.models import Todo
from app.todos.schemas import TodoCreate, TodoRead

EXCHANGES = int(os.environ.get("BENCH_TESTS", "300"))
WARMUP = 50

current_session: ContextVar[AsyncSession] = ContextVar("current_session")


async def get_session() -> AsyncIterator[AsyncSession]:
    yield current_session.get()


SessionDep = Annotated[AsyncSession, Depends(get_session)]
bare = FastAPI()


@bare.post("/todos", status_code=201, response_model=TodoRead)
async def create_todo(data: TodoCreate, session: SessionDep) -> Todo:
    todo = Todo(title=data.title)
    session.add(todo)
    await session.commit()
    return todo


@bare.get("/todos/{todo_id}", response_model=TodoRead)
async def read_todo(todo_id: int, session: SessionDep) -> Todo | None:
    return await session.get(Todo, todo_id)


async def exchange(client: httpx.AsyncClient, engine: AsyncEngine, n: int) -> float:
    started = time.perf_counter()
    async with engine.connect() as connection:
        transaction = await connection.begin()
        async with AsyncSession(
            connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as session:
            token = current_session.set(session)
            created = await client.post("/todos", json={"title": f"Todo {n}"})
            read = await client.get(f"/todos/{created.json()['id']}")
            current_session.reset(token)
        await transaction.rollback()
    assert (created.status_code, read.status_code) == (201, 200)
    assert read.json() == created.json()
    return time.perf_counter() - started


def record(seconds: float) -> None:
    """Append the median exchange to $BENCH_TIMINGS, as the timing conftest does for tests."""
    if destination := os.environ.get("BENCH_TIMINGS"):
        line = json.dumps({"test": "floor", "phase": "exchange", "seconds": seconds})
        with Path(destination).open("a", encoding="utf-8") as file:
            file.write(line + "\n")


async def test_floor(engine: AsyncEngine) -> None:
    transport = httpx.ASGITransport(bare)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        seconds = [await exchange(client, engine, n) for n in range(WARMUP + EXCHANGES)]
    record(statistics.median(seconds[WARMUP:]))
