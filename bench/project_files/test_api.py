"""Benchmark tests: each writes a todo and reads it back.

$BENCH_TESTS API tests in all (default 300): half through the sync `client`
(TestClient), half through `async_client` (httpx in the test's event loop). The project
is generated with auth=none, so the todo routes need no sign-in. Beside them, as many
tests again that only ask for `db_session` (half of them writing through it, half doing
nothing at all) tell the isolation's own cost from pytest's cost per test.
"""

import os

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.todos.models import Todo

HALF = int(os.environ.get("BENCH_TESTS", "300")) // 2


@pytest.mark.parametrize("n", range(HALF))
def test_sync_client_write_read(client: TestClient, n: int) -> None:
    created = client.post("/todos", json={"title": f"Todo {n}"})
    assert created.status_code == 201
    read = client.get(f"/todos/{created.json()['id']}")
    assert (read.status_code, read.json()) == (200, created.json())


@pytest.mark.parametrize("n", range(HALF))
async def test_async_client_write_read(async_client: httpx.AsyncClient, n: int) -> None:
    created = await async_client.post("/todos", json={"title": f"Todo {n}"})
    assert created.status_code == 201
    read = await async_client.get(f"/todos/{created.json()['id']}")
    assert (read.status_code, read.json()) == (200, created.json())


@pytest.mark.parametrize("n", range(HALF))
async def test_session_write_read(db_session: AsyncSession, n: int) -> None:
    todo = Todo(title=f"Todo {n}")
    db_session.add(todo)
    await db_session.commit()
    title = await db_session.scalar(select(Todo.title).where(Todo.id == todo.id))
    assert title == f"Todo {n}"


@pytest.mark.parametrize("n", range(HALF))
async def test_nothing(n: int) -> None:
    assert n >= 0
