"""The factories save into the test's session (`db_session` binds them), and only there."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.todos.models import Todo
from tests.factories import TodoFactory


async def test_create_adds_to_the_test_session(db_session: AsyncSession) -> None:
    todos = TodoFactory.create_batch(2)
    await db_session.commit()

    assert all(todo.id is not None for todo in todos)
    assert await db_session.scalar(select(func.count()).select_from(Todo)) == 2
    assert todos[0].title != todos[1].title  # Faker fields


def test_without_db_session_create_says_what_to_request() -> None:
    with pytest.raises(RuntimeError, match="request the `db_session` fixture"):
        TodoFactory.create()

    assert TodoFactory.build().id is None  # unsaved instances need no session
