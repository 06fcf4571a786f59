"""Every test starts with empty tables, whatever ran before it and in whichever order.

Each case below first checks that `todos` is empty, then commits a todo through the
API. Run in any order (pytest-randomly shuffles them), every case but the first would
fail if a commit from an earlier test survived its rollback.
"""

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.deps import SessionDep
from app.factory import create_app
from app.settings import Settings
from app.todos.models import Todo
from tests.fixtures.clients import BASE_URL
from tests.helpers import override_session


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


async def test_a_request_that_fails_in_the_database_leaves_the_session_usable(
    settings: Settings, db_session: AsyncSession
) -> None:
    """A request's own session is discarded when the request fails; the test's shared one
    is rolled back to its last commit instead, so the test (and a replay of a failing
    Schemathesis example) goes on with a working session, not "transaction is aborted"."""
    app = create_app(settings)  # an app of its own: it gets a route the others lack

    @app.get("/fails-in-the-database")
    async def fails_in_the_database(session: SessionDep) -> None:
        await session.execute(text("SELECT * FROM no_such_table"))

    override_session(app, db_session)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            failed = await client.get("/fails-in-the-database")

    assert failed.status_code == 500
    assert await count_todos(db_session) == 0  # the session works on
