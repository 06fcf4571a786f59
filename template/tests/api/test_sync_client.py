"""The sync `client`: one call into its event loop per request, WebSockets as TestClient's."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect


def test_each_request_is_one_call_into_the_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal = client.portal
    assert portal is not None
    calls: list[object] = []
    call = portal.call

    def counted(func: Any, *args: Any) -> Any:
        calls.append(func)
        return call(func, *args)

    monkeypatch.setattr(portal, "call", counted)

    assert client.get("/openapi.json").status_code == 200
    assert client.post("/openapi.json", content=b"{}").status_code == 405

    assert len(calls) == 2


def test_websockets_still_go_through_testclient(client: TestClient) -> None:
    # No route takes WebSockets: the router closes the connection (1000, not 1008 for a
    # foreign host), where a plain HTTP request here would have come back as a 404.
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/anything"):
        pass

    assert closed.value.code == 1000
