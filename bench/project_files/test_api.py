"""Benchmark tests: each writes a todo through the API and reads it back.

$BENCH_TESTS tests in all (default 300): half through the sync `client` (TestClient),
half through `async_client` (httpx in the test's event loop). The project is generated
with auth=none, so the todo routes need no sign-in.
"""

import os

import httpx
import pytest
from fastapi.testclient import TestClient

HALF = int(os.environ.get("BENCH_TESTS", "300")) // 2


@pytest.mark.parametrize("n", range(HALF))
def test_sync_write_read(client: TestClient, n: int) -> None:
    created = client.post("/todos", json={"title": f"Todo {n}"})
    assert created.status_code == 201
    read = client.get(f"/todos/{created.json()['id']}")
    assert (read.status_code, read.json()) == (200, created.json())


@pytest.mark.parametrize("n", range(HALF))
async def test_async_write_read(async_client: httpx.AsyncClient, n: int) -> None:
    created = await async_client.post("/todos", json={"title": f"Todo {n}"})
    assert created.status_code == 201
    read = await async_client.get(f"/todos/{created.json()['id']}")
    assert (read.status_code, read.json()) == (200, created.json())
