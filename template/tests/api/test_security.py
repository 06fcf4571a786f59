"""Secure defaults every response gets: security headers, the host check, the body limit."""

import re
from collections.abc import AsyncIterator, Mapping

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from app.factory import create_app
from app.middleware import API_CSP, DOCS_CSP, HSTS
from app.settings import Settings
from tests.fixtures.clients import BASE_URL
from tests.helpers import app_with_a_failing_route, replace_settings
from tests.sign_in_settings import PRODUCTION_SIGN_IN_SETTINGS

INVALID_HOST = {"detail": "Invalid host header", "code": "invalid_host"}


def assert_security_headers(headers: Mapping[str, str], csp: str = API_CSP) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"] == csp


@pytest.mark.parametrize("url", ["/health", "/openapi.json", "/no-such-page"])
async def test_every_response_has_security_headers(
    async_client: httpx.AsyncClient, url: str
) -> None:
    response = await async_client.get(url)

    assert_security_headers(response.headers)


def test_server_errors_have_security_headers_too(settings: Settings) -> None:
    with TestClient(app_with_a_failing_route(settings), raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "req-500"})

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error", "code": "internal_error"}
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["X-Request-ID"] == "req-500"
    assert_security_headers(response.headers)


@pytest.mark.parametrize("url", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_docs_pages_get_a_csp_that_lets_them_load(
    async_client: httpx.AsyncClient, url: str
) -> None:
    response = await async_client.get(url)

    assert response.status_code == 200
    assert_security_headers(response.headers, csp=DOCS_CSP)
    # What the pages load (from the CDN) and run (an inline script) must be allowed.
    for source in re.findall(r'src="(https://[^/"]+)', response.text):
        assert source in DOCS_CSP
    assert "<script" in response.text
    assert "script-src 'self' 'unsafe-inline'" in DOCS_CSP


async def test_hsts_only_over_https(app: FastAPI, async_client: httpx.AsyncClient) -> None:
    plain = await async_client.get("/health")
    secure = await async_client.get("https://testserver/health")

    assert "Strict-Transport-Security" not in plain.headers
    assert secure.headers["Strict-Transport-Security"] == HSTS


class TestHstsAlways:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace_settings(settings, hsts_always=True)

    async def test_hsts_on_plain_http_too(self, async_client: httpx.AsyncClient) -> None:
        response = await async_client.get("/health")

        assert response.headers["Strict-Transport-Security"] == HSTS


class TestAllowedHosts:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace_settings(settings, allowed_hosts=["api.example.com", "*.example.org"])

    @pytest.mark.parametrize(
        "host",
        ["api.example.com", "API.example.com:8443", "eu.example.org", "a.b.example.org"],
    )
    async def test_allowed_hosts_are_served(
        self, async_client: httpx.AsyncClient, host: str
    ) -> None:
        response = await async_client.get("/openapi.json", headers={"Host": host})

        assert response.status_code == 200

    @pytest.mark.parametrize(
        "host",
        [
            "evil.example",
            "example.org",
            "api.example.com.evil.example",
            "[::1]:8000",
            "",
            # Malformed: Starlette would build redirects from the socket's own address.
            "api.example.com:bad",
            "api.example.com:80@evil.example",
            "api.example.com:99999",
        ],
    )
    async def test_other_hosts_get_400(self, async_client: httpx.AsyncClient, host: str) -> None:
        response = await async_client.get("/openapi.json", headers={"Host": host})

        assert response.status_code == 400
        assert response.json() == INVALID_HOST
        assert_security_headers(response.headers)

    def test_websockets_from_other_hosts_are_closed(self, app: FastAPI) -> None:
        with (
            TestClient(app, base_url="http://evil.example") as client,
            pytest.raises(WebSocketDisconnect) as closed,
            client.websocket_connect("/anything"),
        ):
            pass

        assert closed.value.code == 1008  # policy violation

    async def test_health_answers_any_host(self, async_client: httpx.AsyncClient) -> None:
        # Platform probes (Docker HEALTHCHECK, Fly, Railway) send a Host of their own.
        response = await async_client.get("/health", headers={"Host": "10.0.0.7:8000"})

        assert response.status_code == 200


class TestAnyHost:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace_settings(settings, allowed_hosts=["*"])

    @pytest.mark.parametrize("host", ["anything.example", "10.0.0.7:8000", "[2001:db8::1]:443"])
    async def test_any_well_formed_host_is_served(
        self, async_client: httpx.AsyncClient, host: str
    ) -> None:
        response = await async_client.get("/openapi.json", headers={"Host": host})

        assert response.status_code == 200

    async def test_a_malformed_host_is_still_refused(self, async_client: httpx.AsyncClient) -> None:
        response = await async_client.get("/todos/", headers={"Host": "api.example.com:80@x"})

        assert (response.status_code, response.json()) == (400, INVALID_HOST)
        assert "location" not in response.headers


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "test", "testserver"])
async def test_development_hosts_are_allowed_by_default(
    async_client: httpx.AsyncClient, host: str
) -> None:
    response = await async_client.get("/openapi.json", headers={"Host": host})

    assert response.status_code == 200


async def test_unknown_hosts_are_refused_by_default(async_client: httpx.AsyncClient) -> None:
    response = await async_client.get("/openapi.json", headers={"Host": "attacker.example"})

    assert (response.status_code, response.json()) == (400, INVALID_HOST)


class TestBodyLimit:
    LIMIT = 64

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace_settings(settings, max_body_bytes=self.LIMIT)

    @pytest.fixture
    def too_large(self) -> dict[str, str]:
        return {
            "detail": f"The request body is larger than {self.LIMIT} bytes",
            "code": "payload_too_large",
        }

    async def test_a_body_within_the_limit_is_read(
        self, todos_async_client: httpx.AsyncClient
    ) -> None:
        response = await todos_async_client.post("/todos", json={"title": "x" * 40})

        assert response.status_code == 201

    @pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
    async def test_a_body_of_exactly_the_limit_is_read(
        self, todos_async_client: httpx.AsyncClient, streamed: bool
    ) -> None:
        body = b'{"title":"' + b"x" * (self.LIMIT - 12) + b'"}'
        assert len(body) == self.LIMIT

        async def chunks() -> AsyncIterator[bytes]:
            yield body[:20]
            yield body[20:]

        response = await todos_async_client.post(
            "/todos",
            content=chunks() if streamed else body,
            headers={"Content-Type": "application/json"},
        )

        assert response.status_code == 201

    async def test_a_declared_length_over_the_limit_is_413(
        self, todos_async_client: httpx.AsyncClient, too_large: dict[str, str]
    ) -> None:
        response = await todos_async_client.post("/todos", json={"title": "x" * self.LIMIT})

        assert response.status_code == 413
        assert response.json() == too_large
        assert_security_headers(response.headers)

    async def test_a_streamed_body_over_the_limit_is_413(
        self, todos_async_client: httpx.AsyncClient, too_large: dict[str, str]
    ) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"title": "'
            for _ in range(10):
                yield b"x" * 10
            yield b'"}'

        # A generator body is sent chunked: no Content-Length to check up front.
        response = await todos_async_client.post(
            "/todos", content=chunks(), headers={"Content-Type": "application/json"}
        )

        assert "Content-Length" not in response.request.headers
        assert response.status_code == 413
        assert response.json() == too_large

    async def test_a_streamed_body_within_the_limit_is_read(
        self, todos_async_client: httpx.AsyncClient
    ) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"title": '
            yield b'"streamed"}'

        response = await todos_async_client.post(
            "/todos", content=chunks(), headers={"Content-Type": "application/json"}
        )

        assert response.status_code == 201
        assert response.json()["title"] == "streamed"


async def test_unknown_routes_and_methods_get_the_error_shape(
    async_client: httpx.AsyncClient,
) -> None:
    missing = await async_client.get("/no-such-page")
    wrong_method = await async_client.put("/todos")

    assert (missing.status_code, missing.json()) == (
        404,
        {"detail": "Not Found", "code": "not_found"},
    )
    assert (wrong_method.status_code, wrong_method.json()) == (
        405,
        {"detail": "Method Not Allowed", "code": "method_not_allowed"},
    )
    # Every method the path serves, not only the first route's (HEAD with GET).
    assert wrong_method.headers["Allow"] == "GET, HEAD, POST"


@pytest.mark.parametrize("url", ["/health", "/openapi.json", "/no-such-page"])
async def test_head_is_get_without_the_body(async_client: httpx.AsyncClient, url: str) -> None:
    """Uptime monitors probe with HEAD; FastAPI alone answers it 405 on every route."""
    get = await async_client.get(url)
    head = await async_client.head(url)

    assert head.status_code == get.status_code
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["content-type"] == get.headers["content-type"]
    assert_security_headers(head.headers)


async def test_head_sends_no_body_from_the_app(app: FastAPI) -> None:
    """httpx drops a HEAD response's body before the test above can see one: here the
    messages the app sends are read as the server gets them."""
    body = b""

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        async def record(message: Message) -> None:
            nonlocal body
            if message["type"] == "http.response.body":
                body += message.get("body", b"")
            await send(message)

        await app(scope, receive, record)

    transport = httpx.ASGITransport(recording)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        response = await client.head("/openapi.json")

    assert response.status_code == 200
    assert body == b""


def test_production_builds_with_allowed_hosts_only(settings: Settings) -> None:
    production = replace_settings(
        settings,
        environment="production",
        **PRODUCTION_SIGN_IN_SETTINGS,
        database_require_tls=False,  # the test database, on this machine
        allowed_hosts=["api.example.com"],
    )
    app = create_app(production)

    with TestClient(app, base_url="https://api.example.com") as client:
        assert client.get("/openapi.json").status_code == 404  # docs are off
        assert client.get("/health", headers={"Host": "10.0.0.7"}).status_code == 200
        refused = client.get("/todos", headers={"Host": "testserver"})
    assert (refused.status_code, refused.json()) == (400, INVALID_HOST)
