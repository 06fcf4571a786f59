"""Every test starts with empty tables, whatever ran before it and in whichever order.

Each case below first checks that `todos` is empty, then commits a todo through the
API. Run in any order (pytest-randomly shuffles them), every case but the first would
fail if a commit from an earlier test survived its rollback.
"""

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.todos.models import Todo


async def count_todos(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Todo)) or 0


@pytest.mark.parametrize("run", [1, 2, 3])
async def test_async_client_commits_are_rolled_back(
    todos_async_client: httpx.AsyncClient, db_session: AsyncSession, run: int
) -> None:
    assert await count_todos(db_session) == 0

    response = await todos_async_client.post("/todos", json={"title": f"Run {run}"})

    assert response.status_code == 201
    # The route committed; the test's transaction sees the row until its rollback.
    assert await count_todos(db_session) == 1


@pytest.mark.parametrize("run", [1, 2, 3])
def test_sync_client_commits_are_rolled_back(
    todos_client: TestClient, client_db_session: AsyncSession, run: int
) -> None:
    assert todos_client.portal is not None
    assert todos_client.portal.call(count_todos, client_db_session) == 0

    response = todos_client.post("/todos", json={"title": f"Run {run}"})

    assert response.status_code == 201
    assert todos_client.portal.call(count_todos, client_db_session) == 1


@pytest.mark.parametrize("run", [1, 2, 3])
def test_app_state_ends_with_its_test(app: FastAPI, run: int) -> None:
    """The tests with equal settings share one app, and each gets the `app.state` that
    `create_app` left: in any order, every case but the first would fail if what an
    earlier one stored there had survived it."""
    assert not hasattr(app.state, "stored_by_a_test")
    assert app.state.settings is not None  # what the factory stored stays

    app.state.stored_by_a_test = run
