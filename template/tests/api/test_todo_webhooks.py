"""Completing a todo POSTs a webhook through the app's shared HTTP client.

pytest-httpx (the `httpx_mock` fixture) stands in for the receiver. It also fails any
test whose app sends a request that no test registered a response for.
"""

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from pytest_httpx import HTTPXMock
from sqlalchemy.ext.asyncio import AsyncSession

from app.settings import Settings
from app.todos.models import Todo
from app.webhooks import WebhookSender, get_webhook_sender
from tests.fixtures.owners import MakeTodo
from tests.helpers import (
    TEST_WEBHOOK_SECRET,
    WatchedSlots,
    override,
    replace_settings,
    verified_webhook,
)

WEBHOOK_URL = "https://hooks.example.com/todos"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace_settings(settings, webhook_url=WEBHOOK_URL, webhook_secret=TEST_WEBHOOK_SECRET)


async def test_completing_a_todo_sends_the_webhook(
    todos_async_client: httpx.AsyncClient, make_todo: MakeTodo, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="POST", url=WEBHOOK_URL, status_code=204)
    todo = await make_todo(title="Ship it")

    response = await todos_async_client.patch(f"/todos/{todo.id}", json={"done": True})

    assert response.status_code == 200
    [request] = httpx_mock.get_requests()
    assert request.headers["content-type"] == "application/json"
    delivered = verified_webhook(request, TEST_WEBHOOK_SECRET)
    assert delivered == {"event": "todo.completed", "data": response.json()}


async def test_each_delivery_has_an_id_of_its_own(
    todos_async_client: httpx.AsyncClient, make_todo: MakeTodo, httpx_mock: HTTPXMock
) -> None:
    """Receivers keep the ids they have seen to drop replays and duplicates."""
    httpx_mock.add_response(method="POST", url=WEBHOOK_URL, is_reusable=True)
    first, second = await make_todo(), await make_todo()

    for todo in (first, second):
        response = await todos_async_client.patch(f"/todos/{todo.id}", json={"done": True})
        assert response.status_code == 200

    ids = [request.headers["webhook-id"] for request in httpx_mock.get_requests()]
    assert len(set(ids)) == 2
    assert all(message_id.startswith("msg_") for message_id in ids)


async def test_a_tampered_delivery_fails_the_receivers_check(
    todos_async_client: httpx.AsyncClient, make_todo: MakeTodo, httpx_mock: HTTPXMock
) -> None:
    """The signature covers the body: the check that accepts the delivery refuses it
    with one byte changed, or under another secret."""
    httpx_mock.add_response(method="POST", url=WEBHOOK_URL)
    todo = await make_todo(title="Ship it")
    await todos_async_client.patch(f"/todos/{todo.id}", json={"done": True})
    [request] = httpx_mock.get_requests()

    tampered = httpx.Request(
        "POST",
        WEBHOOK_URL,
        headers=request.headers,
        content=request.content.replace(b"Ship", b"Skip"),
    )
    with pytest.raises(AssertionError, match="no signature matches"):
        verified_webhook(tampered, TEST_WEBHOOK_SECRET)
    other_secret = "whsec_" + "b3RoZXItc2VjcmV0LW9mLXR3ZW50eS1mb3VyLWJ5dGVz"
    with pytest.raises(AssertionError, match="no signature matches"):
        verified_webhook(request, other_secret)


async def test_deliveries_wait_for_the_apps_slots(
    todos_async_client: httpx.AsyncClient, app: FastAPI, make_todo: MakeTodo, httpx_mock: HTTPXMock
) -> None:
    """Every request takes its delivery slot from the running app's (the lifespan's)
    slots: that is what bounds the deliveries under way at once."""
    httpx_mock.add_response(method="POST", url=WEBHOOK_URL, status_code=204)
    todo = await make_todo()
    slots = WatchedSlots()
    app.state.webhook_slots = slots
    await slots.acquire()  # busy
    slots.asked.clear()

    patching = asyncio.create_task(
        todos_async_client.patch(f"/todos/{todo.id}", json={"done": True})
    )
    await asyncio.wait_for(slots.asked.wait(), timeout=10)
    assert not httpx_mock.get_requests()
    slots.release()

    assert (await patching).status_code == 200
    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"title": "Renamed"}, id="rename"),
        pytest.param({"done": False}, id="still-open"),
    ],
)
async def test_other_changes_send_nothing(
    todos_async_client: httpx.AsyncClient, make_todo: MakeTodo, body: dict[str, object]
) -> None:
    todo = await make_todo()

    response = await todos_async_client.patch(f"/todos/{todo.id}", json=body)

    # No response registered: had the app called out, httpx_mock would fail this test.
    assert response.status_code == 200


async def test_completing_a_done_todo_again_sends_nothing(
    todos_async_client: httpx.AsyncClient, make_todo: MakeTodo
) -> None:
    todo = await make_todo(done=True)

    response = await todos_async_client.patch(f"/todos/{todo.id}", json={"done": True})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("failure", "detail"),
    [
        pytest.param({"status_code": 503}, "The webhook receiver answered 503", id="upstream-503"),
        pytest.param({"status_code": 404}, "The webhook receiver answered 404", id="upstream-404"),
        pytest.param({"status_code": 307}, "The webhook receiver answered 307", id="redirect"),
        pytest.param(
            {"exception": httpx.ReadTimeout("too slow")},
            "The webhook receiver did not answer in time",
            id="timeout",
        ),
        pytest.param(
            {"exception": httpx.ConnectError("refused")},
            "The webhook receiver could not be reached",
            id="unreachable",
        ),
        pytest.param(
            {"status_code": 200, "headers": {"content-encoding": "gzip"}, "content": b"not gzip"},
            "The webhook receiver's answer could not be read",
            id="unreadable-answer",
        ),
    ],
)
async def test_a_failing_receiver_is_a_502_and_nothing_is_saved(
    todos_async_client: httpx.AsyncClient,
    make_todo: MakeTodo,
    db_session: AsyncSession,
    httpx_mock: HTTPXMock,
    caplog: pytest.LogCaptureFixture,
    failure: dict[str, object],
    detail: str,
) -> None:
    if "exception" in failure:
        exception = failure["exception"]
        assert isinstance(exception, Exception)
        httpx_mock.add_exception(exception, url=WEBHOOK_URL)
    else:
        httpx_mock.add_response(url=WEBHOOK_URL, **failure)  # type: ignore[arg-type]
    todo = await make_todo(title="Ship it")
    todo_id = todo.id  # the failed request's rollback expires `todo`

    response = await todos_async_client.patch(
        f"/todos/{todo_id}", json={"done": True, "title": "Shipped"}
    )

    assert response.status_code == 502
    assert response.json() == {"detail": detail, "code": "upstream_error"}
    # The cause is in the log for whoever is on call, without the receiver's URL.
    (record,) = [record for record in caplog.records if record.name == "app.webhooks"]
    assert record.levelname == "WARNING"
    assert f"Webhook todo.completed not delivered: {detail}" in record.getMessage()
    assert "hooks.example.com" not in caplog.text
    saved = await db_session.get(Todo, todo_id, populate_existing=True)
    assert saved is not None
    assert (saved.title, saved.done) == ("Ship it", False)


@pytest.mark.httpx_mock(assert_all_requests_were_expected=False)
async def test_an_unexpected_outbound_request_never_leaves_the_test(
    todos_async_client: httpx.AsyncClient, make_todo: MakeTodo, httpx_mock: HTTPXMock
) -> None:
    """Without a registered response, pytest-httpx answers the app with an error.

    (This test turns off the check that would otherwise fail it at teardown.)
    """
    todo = await make_todo()

    response = await todos_async_client.patch(f"/todos/{todo.id}", json={"done": True})

    assert response.status_code == 502
    [request] = httpx_mock.get_requests()
    assert str(request.url) == WEBHOOK_URL


@pytest.mark.parametrize("run", [1, 2, 3])
async def test_an_override_ends_with_its_test(
    app: FastAPI,
    todos_async_client: httpx.AsyncClient,
    make_todo: MakeTodo,
    httpx_mock: HTTPXMock,
    run: int,
) -> None:
    """The tests with these settings share one app: an override that one of them sets is
    gone in the next, which reaches the real webhook sender again (in any order: the
    cases after the first would fail if a silenced sender survived its test)."""
    assert get_webhook_sender not in app.dependency_overrides
    httpx_mock.add_response(method="POST", url=WEBHOOK_URL, status_code=204)
    todo = await make_todo(title=f"Run {run}")

    await todos_async_client.patch(f"/todos/{todo.id}", json={"done": True})

    assert len(httpx_mock.get_requests()) == 1  # sent by the real sender
    sender = WebhookSender(app.state.http_client, None, app.state.webhook_slots)
    override(app, get_webhook_sender, sender)
