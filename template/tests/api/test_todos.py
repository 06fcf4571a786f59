"""The /todos API, through the clients the tests use for todos (signed in with JWT auth)."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol
from unittest.mock import ANY

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.fixtures.owners import MakeTodo


class JsonResponse(Protocol):
    """What the tests read from a response, the same for httpx and the TestClient."""

    @property
    def status_code(self) -> int: ...

    def json(self) -> Any: ...


Call = Callable[..., Awaitable[JsonResponse]]


@pytest.fixture(params=["async_client", "sync_client"])
def call(request: pytest.FixtureRequest) -> Call:
    """`await call(method, url, **kwargs)` through one client, then the other."""
    if request.param == "async_client":
        async_client: httpx.AsyncClient = request.getfixturevalue("todos_async_client")

        async def call_async(method: str, url: str, **kwargs: Any) -> JsonResponse:
            return await async_client.request(method, url, **kwargs)

        return call_async

    client: TestClient = request.getfixturevalue("todos_client")

    async def call_sync(method: str, url: str, **kwargs: Any) -> JsonResponse:
        return client.request(method, url, **kwargs)

    return call_sync


async def test_create_read_update_delete(call: Call) -> None:
    created = await call("POST", "/todos", json={"title": "Buy milk"})
    assert created.status_code == 201
    todo = created.json()
    assert todo == {"id": ANY, "title": "Buy milk", "done": False, "created_at": ANY}
    assert datetime.fromisoformat(todo["created_at"]).tzinfo is not None
    url = f"/todos/{todo['id']}"

    read = await call("GET", url)
    assert (read.status_code, read.json()) == (200, todo)

    listed = await call("GET", "/todos")
    assert listed.json() == {"items": [todo], "total": 1, "limit": 20, "offset": 0}

    updated = await call("PATCH", url, json={"done": True})
    assert (updated.status_code, updated.json()) == (200, todo | {"done": True})

    deleted = await call("DELETE", url)
    assert deleted.status_code == 204

    gone = await call("GET", url)
    assert gone.status_code == 404
    assert gone.json() == {"detail": f"Todo {todo['id']} not found", "code": "not_found"}
    assert (await call("DELETE", url)).status_code == 404


async def test_title_is_stored_without_surrounding_spaces(
    todos_async_client: httpx.AsyncClient,
) -> None:
    response = await todos_async_client.post("/todos", json={"title": "  Call mum  "})

    assert response.status_code == 201
    assert response.json()["title"] == "Call mum"


async def test_a_200_character_title_is_accepted(todos_async_client: httpx.AsyncClient) -> None:
    response = await todos_async_client.post("/todos", json={"title": "x" * 200})

    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"title": ""}, id="empty-title"),
        pytest.param({"title": "   "}, id="blank-title"),
        pytest.param({"title": "x" * 201}, id="title-too-long"),
        # PostgreSQL cannot store a NUL: refused as invalid, not a 500.
        pytest.param({"title": "a\x00b"}, id="nul-in-title"),
        pytest.param({"title": None}, id="null-title"),
        pytest.param({}, id="no-title"),
        pytest.param({"title": "ok", "done": True}, id="unknown-field"),
    ],
)
async def test_create_rejects_an_invalid_body(
    todos_async_client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await todos_async_client.post("/todos", json=body)

    assert response.status_code == 422


async def test_a_422_does_not_echo_what_was_sent(todos_async_client: httpx.AsyncClient) -> None:
    # Sent as text: FastAPI would quote the whole body back (a password, in a sign-up).
    response = await todos_async_client.post(
        "/todos", content=b'{"title": "a\x00 s3cr3t"}', headers={"Content-Type": "text/plain"}
    )

    assert response.status_code == 422
    assert "s3cr3t" not in response.text
    assert all("input" not in error for error in response.json()["detail"])


async def test_the_schema_offers_no_null_where_null_is_refused(
    todos_async_client: httpx.AsyncClient,
) -> None:
    """PATCH refuses null (leave a field out instead): the OpenAPI schema that clients are
    generated from must not offer it."""
    schema = (await todos_async_client.get("/openapi.json")).json()
    fields = schema["components"]["schemas"]["TodoUpdate"]["properties"]

    assert "null" not in str(fields)
    assert (fields["title"]["type"], fields["done"]["type"]) == ("string", "boolean")


async def test_a_lone_surrogate_is_a_422_not_a_500(todos_async_client: httpx.AsyncClient) -> None:
    # Valid JSON that no UTF-8 text can hold; the 422 leaves out the input that holds it.
    response = await todos_async_client.post(
        "/todos", content=b'{"title": "a\\ud800b"}', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title"]


async def test_list_pages_oldest_first(
    todos_async_client: httpx.AsyncClient, make_todo: MakeTodo
) -> None:
    todos = [await make_todo(title=f"Todo {n}") for n in range(5)]

    response = await todos_async_client.get("/todos", params={"limit": 2, "offset": 1})

    assert response.status_code == 200
    page = response.json()
    assert [item["id"] for item in page["items"]] == [todos[1].id, todos[2].id]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)


async def test_list_past_the_end_is_an_empty_page(
    todos_async_client: httpx.AsyncClient, make_todo: MakeTodo
) -> None:
    await make_todo()

    response = await todos_async_client.get("/todos", params={"offset": 10})

    assert response.json() == {"items": [], "total": 1, "limit": 20, "offset": 10}


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": 0}, id="limit-0"),
        pytest.param({"limit": 101}, id="limit-101"),
        pytest.param({"offset": -1}, id="offset-negative"),
        pytest.param({"offset": 1_000_001}, id="offset-too-large"),
        pytest.param({"limit": "many"}, id="limit-not-a-number"),
    ],
)
async def test_list_rejects_out_of_bounds_paging(
    todos_async_client: httpx.AsyncClient, params: dict[str, int | str]
) -> None:
    response = await todos_async_client.get("/todos", params=params)

    assert response.status_code == 422


async def test_patch_changes_only_the_fields_sent(
    todos_async_client: httpx.AsyncClient, make_todo: MakeTodo
) -> None:
    todo = await make_todo(title="Old title", done=True)

    response = await todos_async_client.patch(f"/todos/{todo.id}", json={"title": "New title"})

    assert response.status_code == 200
    assert response.json() | {"created_at": None} == {
        "id": todo.id,
        "title": "New title",
        "done": True,
        "created_at": None,
    }


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"title": None}, id="null-title"),
        pytest.param({"done": None}, id="null-done"),
        pytest.param({"title": ""}, id="empty-title"),
        pytest.param({"title": "a\x00b"}, id="nul-in-title"),
        pytest.param({"done": "maybe"}, id="done-not-a-bool"),
        pytest.param({"owner_id": 1}, id="unknown-field"),
    ],
)
async def test_patch_rejects_an_invalid_body(
    todos_async_client: httpx.AsyncClient, make_todo: MakeTodo, body: dict[str, object]
) -> None:
    todo = await make_todo()

    response = await todos_async_client.patch(f"/todos/{todo.id}", json=body)

    assert response.status_code == 422


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_a_missing_todo_is_404(todos_async_client: httpx.AsyncClient, method: str) -> None:
    response = await todos_async_client.request(method, "/todos/999999", json={"done": True})

    assert response.status_code == 404
    assert response.json() == {"detail": "Todo 999999 not found", "code": "not_found"}


@pytest.mark.parametrize("todo_id", ["0", "-1", str(2**31), "abc"])
async def test_an_impossible_id_is_422(todos_async_client: httpx.AsyncClient, todo_id: str) -> None:
    response = await todos_async_client.get(f"/todos/{todo_id}")

    assert response.status_code == 422
