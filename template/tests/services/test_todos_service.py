"""The todo service on a session, without HTTP."""

import asyncio
import json

import httpx
import pytest
from pytest_httpx import HTTPXMock
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound, UpstreamError
from app.todos import service
from app.todos.models import Todo
from app.todos.ownership import Ownership
from app.todos.schemas import TodoCreate, TodoUpdate
from app.webhooks import WebhookSender
from tests.fixtures.owners import MakeTodo
from tests.helpers import WatchedSlots
from tests.services.conftest import WEBHOOK_URL


async def test_create_saves_and_returns_the_todo(
    db_session: AsyncSession, ownership: Ownership
) -> None:
    todo = await service.create_todo(
        session=db_session, ownership=ownership, data=TodoCreate(title="Write tests")
    )

    assert await db_session.get(Todo, todo.id) is todo
    assert (todo.title, todo.done) == ("Write tests", False)
    assert todo.created_at is not None


async def test_list_returns_a_page_and_the_total(
    db_session: AsyncSession, ownership: Ownership, make_todo: MakeTodo
) -> None:
    todos = [await make_todo() for _ in range(3)]

    page, total = await service.list_todos(
        session=db_session, ownership=ownership, limit=2, offset=0
    )

    assert list(page) == todos[:2]
    assert total == 3


async def test_get_returns_none_for_a_missing_todo(
    db_session: AsyncSession, ownership: Ownership
) -> None:
    assert await service.get_todo(session=db_session, ownership=ownership, todo_id=123456) is None


async def test_update_without_a_webhook_url_sends_nothing(
    db_session: AsyncSession, make_todo: MakeTodo, no_webhooks: WebhookSender
) -> None:
    todo = await make_todo()

    updated = await service.update_todo(
        session=db_session, todo=todo, changes=TodoUpdate(done=True), webhooks=no_webhooks
    )

    assert updated.done is True


async def test_completing_sends_the_todo_to_the_webhook(
    db_session: AsyncSession, make_todo: MakeTodo, webhooks: WebhookSender, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="POST", url=WEBHOOK_URL)
    todo = await make_todo(title="Ship it")

    await service.update_todo(
        session=db_session, todo=todo, changes=TodoUpdate(done=True), webhooks=webhooks
    )

    [request] = httpx_mock.get_requests()
    # Without a signing key (no WEBHOOK_SECRET): the Standard Webhooks ids, no signature.
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["webhook-timestamp"].isdigit()
    assert "webhook-signature" not in request.headers
    payload = json.loads(request.content)
    assert payload["event"] == service.TODO_COMPLETED
    assert payload["data"] | {"created_at": None} == {
        "id": todo.id,
        "title": "Ship it",
        "done": True,
        "created_at": None,
    }


async def test_a_failed_webhook_rolls_the_change_back(
    db_session: AsyncSession, make_todo: MakeTodo, webhooks: WebhookSender, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=WEBHOOK_URL, status_code=500)
    todo = await make_todo()
    todo_id = todo.id

    with pytest.raises(UpstreamError, match="answered 500"):
        await service.update_todo(
            session=db_session, todo=todo, changes=TodoUpdate(done=True), webhooks=webhooks
        )

    saved = await db_session.get(Todo, todo_id)
    assert saved is not None
    assert saved.done is False


async def test_completing_waits_for_a_delivery_slot_holding_no_connection(
    db_session: AsyncSession, make_todo: MakeTodo, http_client: httpx.AsyncClient,
    httpx_mock: HTTPXMock,
) -> None:  # fmt: skip
    """Deliveries wait for a slow receiver with a connection and a row lock held: only a
    few at once, and a request waiting its turn holds neither."""
    httpx_mock.add_response(method="POST", url=WEBHOOK_URL)
    slots = WatchedSlots()
    webhooks = WebhookSender(http_client, WEBHOOK_URL, slots)
    todo = await make_todo()
    await db_session.refresh(todo)  # as the route's dependency finds it: in a transaction
    assert db_session.in_transaction()
    await slots.acquire()  # the one slot is busy
    slots.asked.clear()

    completing = asyncio.create_task(
        service.update_todo(
            session=db_session, todo=todo, changes=TodoUpdate(done=True), webhooks=webhooks
        )
    )
    await slots.asked.wait()
    waited_holding_a_transaction = db_session.in_transaction()
    slots.release()

    assert (await completing).done is True
    assert waited_holding_a_transaction is False
    assert len(httpx_mock.get_requests()) == 1


async def test_a_todo_deleted_while_waiting_for_a_slot_is_not_found(
    db_session: AsyncSession, make_todo: MakeTodo, http_client: httpx.AsyncClient
) -> None:
    slots = WatchedSlots()
    webhooks = WebhookSender(http_client, WEBHOOK_URL, slots)
    todo = await make_todo()
    await slots.acquire()
    slots.asked.clear()

    completing = asyncio.create_task(
        service.update_todo(
            session=db_session, todo=todo, changes=TodoUpdate(done=True), webhooks=webhooks
        )
    )
    await slots.asked.wait()
    await db_session.execute(delete(Todo).where(Todo.id == todo.id))  # as another request
    await db_session.commit()
    slots.release()

    # A 404 for the client, and no webhook (httpx_mock would fail this test).
    with pytest.raises(NotFound):
        await completing


async def test_delete_removes_the_todo(db_session: AsyncSession, make_todo: MakeTodo) -> None:
    todo = await make_todo()

    await service.delete_todo(session=db_session, todo=todo)

    assert await db_session.get(Todo, todo.id) is None
