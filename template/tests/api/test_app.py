"""What `create_app()` assembles: docs, middleware, error handling, overrides."""

import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.about import about
from app.database import create_engine, get_session
from app.deps import SessionDep
from app.errors import Conflict
from app.factory import create_app
from app.settings import Settings
from tests.fixtures.clients import fail_if_routes_changed
from tests.fixtures.database import PRODUCTION_DATABASE_URL, UNREACHABLE_DATABASE_URL
from tests.helpers import app_with_a_failing_route, replace_settings
from tests.sign_in_settings import PRODUCTION_SIGN_IN_SETTINGS

# A configuration production accepts.
PRODUCTION = {
    "environment": "production",
    **PRODUCTION_SIGN_IN_SETTINGS,
    "database_url": PRODUCTION_DATABASE_URL,
    "allowed_hosts": ["testserver"],
}


def test_docs_are_served_outside_production(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_openapi_describes_the_project(app: FastAPI) -> None:
    info = app.openapi()["info"]

    assert (info["title"], info["version"]) == (about().name, about().version)


def test_every_operation_documents_the_database_outage(app: FastAPI) -> None:
    """Any route can find the database down: clients generated from the schema expect
    the 503 (and its Retry-After) everywhere."""
    operations = [
        (method.upper(), path, operation)
        for path, methods in app.openapi()["paths"].items()
        for method, operation in methods.items()
    ]

    assert operations
    assert [
        (method, path)
        for method, path, operation in operations
        if "503" not in operation["responses"]
    ] == []


def test_production_hides_the_docs(settings: Settings) -> None:
    app = create_app(replace_settings(settings, **PRODUCTION))

    with TestClient(app) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
        assert client.get("/openapi.json").status_code == 404


def test_about_falls_back_without_pyproject(tmp_path: Path) -> None:
    assert about(tmp_path / "missing.toml") == ("app", "0.0.0", "")


async def test_request_id_is_echoed(async_client: httpx.AsyncClient) -> None:
    response = await async_client.get("/health", headers={"X-Request-ID": "abc-123"})

    assert response.headers["X-Request-ID"] == "abc-123"


@pytest.mark.parametrize("incoming", [None, "", "x" * 129, "has spaces", "new\\nline"], ids=repr)
async def test_request_id_is_made_up_when_missing_or_unsafe(
    async_client: httpx.AsyncClient, incoming: str | None
) -> None:
    headers = {} if incoming is None else {"X-Request-ID": incoming}

    response = await async_client.get("/health", headers=headers)

    made_up = response.headers["X-Request-ID"]
    assert made_up != incoming
    assert len(made_up) == 32


class TestCors:
    ORIGIN = "https://frontend.example.com"

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace_settings(settings, cors_origins=[self.ORIGIN])

    async def test_allowed_origin_gets_cors_headers(self, async_client: httpx.AsyncClient) -> None:
        response = await async_client.options(
            "/todos",
            headers={"Origin": self.ORIGIN, "Access-Control-Request-Method": "POST"},
        )

        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == self.ORIGIN
        assert response.headers["Access-Control-Allow-Credentials"] == "true"

    @pytest.mark.parametrize("method", ["PATCH", "DELETE"])
    async def test_browsers_may_change_and_delete(
        self, async_client: httpx.AsyncClient, method: str
    ) -> None:
        response = await async_client.options(
            "/todos/1",
            headers={"Origin": self.ORIGIN, "Access-Control-Request-Method": method},
        )

        assert response.status_code == 200
        assert method in response.headers["Access-Control-Allow-Methods"].split(", ")

    def test_server_errors_carry_cors_headers(self, settings: Settings) -> None:
        """A browser app can read a 500 (and its request id, to quote) only with them."""
        app = app_with_a_failing_route(settings)
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/boom", headers={"Origin": self.ORIGIN})

        assert response.status_code == 500
        assert response.headers["Access-Control-Allow-Origin"] == self.ORIGIN
        exposed = response.headers["Access-Control-Expose-Headers"].lower().split(", ")
        assert {"x-request-id", "retry-after", "www-authenticate"} <= set(exposed)

    async def test_other_origins_get_none(self, async_client: httpx.AsyncClient) -> None:
        response = await async_client.get("/health", headers={"Origin": "https://evil.example"})

        assert "Access-Control-Allow-Origin" not in response.headers


class TestCorsWithoutCredentials:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace_settings(settings, cors_origins=["*"], cors_allow_credentials=False)

    async def test_browsers_do_not_send_cookies(self, async_client: httpx.AsyncClient) -> None:
        response = await async_client.get("/health", headers={"Origin": TestCors.ORIGIN})

        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers


async def test_no_cors_headers_without_allowed_origins(async_client: httpx.AsyncClient) -> None:
    response = await async_client.get("/health", headers={"Origin": TestCors.ORIGIN})

    assert "Access-Control-Allow-Origin" not in response.headers


class TestDebug:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace_settings(settings, debug=True)

    async def test_requests_are_logged(
        self, async_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.DEBUG, logger="app.middleware"):
            await async_client.get("/health", headers={"X-Request-ID": "req-1"})

        [record] = [r for r in caplog.records if r.name == "app.middleware"]
        assert record.getMessage().startswith("GET /health -> 200 in ")
        # Tagged by the `app` log handler's filter, with the id the middleware set.
        assert record.__dict__["request_id"] == "req-1"


async def test_requests_are_not_logged_without_debug(
    async_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="app.middleware"):
        await async_client.get("/health")

    assert not [r for r in caplog.records if r.name == "app.middleware"]


def test_app_errors_become_json_with_their_status(settings: Settings) -> None:
    app = create_app(settings)  # an app of its own: the test adds a route

    @app.get("/conflict")
    async def conflict() -> None:
        msg = "Already there"
        raise Conflict(msg)

    with TestClient(app) as client:
        response = client.get("/conflict")

    assert response.status_code == 409
    assert response.json() == {"detail": "Already there", "code": "conflict"}


def test_unexpected_errors_are_a_plain_500(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(app_with_a_failing_route(settings), raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "req-boom"})

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error", "code": "internal_error"}
    assert "secret internals" not in response.text
    [record] = [r for r in caplog.records if r.getMessage() == "Unhandled error on GET /boom"]
    # The traceback's line is the one an operator looks up by the response's id.
    assert record.__dict__["request_id"] == response.headers["X-Request-ID"] == "req-boom"


def test_an_unreachable_database_is_a_503_not_a_500(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(replace_settings(settings, database_url=UNREACHABLE_DATABASE_URL))

    @app.get("/needs-the-database")
    async def needs_the_database(session: SessionDep) -> None:
        await session.execute(text("SELECT 1"))

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/needs-the-database")

    assert response.status_code == 503
    assert response.json() == {
        "detail": "The database is unavailable: try again shortly",
        "code": "database_unavailable",
    }
    assert response.headers["Retry-After"] == "5"
    assert "Database unavailable on GET /needs-the-database" in caplog.text


def test_a_missing_table_is_a_500_not_a_503(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A migration not run is a bug to fix, not an outage to wait out (SQLite raises the
    same OperationalError for both): a 500, logged as an error, and no Retry-After."""
    app = create_app(settings)

    @app.get("/missing-table")
    async def missing_table(session: SessionDep) -> None:
        await session.execute(text("SELECT * FROM no_such_table"))

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/missing-table")

    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert "Unhandled error on GET /missing-table" in caplog.text


def test_a_violated_constraint_is_a_500_not_a_503(settings: Settings) -> None:
    """A constraint the code did not expect to break is a bug, whatever the database."""
    app = create_app(settings)
    error = IntegrityError("INSERT INTO todos ...", {}, Exception("constraint failed"))

    @app.get("/violates")
    async def violates() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/violates")

    assert response.status_code == 500
    assert "Retry-After" not in response.headers


async def test_database_errors_never_show_the_values_sent(settings: Settings) -> None:
    """A failed statement's error, logged with its traceback, must not carry personal data."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            query = text("SELECT * FROM no_such_table WHERE email = :email")
            with pytest.raises(DBAPIError) as raised:
                await connection.execute(query, {"email": "alice@example.com"})
    finally:
        await engine.dispose()

    assert "no_such_table" in str(raised.value)
    assert "alice@example.com" not in str(raised.value)


@pytest.mark.usefixtures("clean_environment")
def test_without_settings_the_app_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("CORS_ORIGINS", "https://from-the-env.example")

    app = create_app()

    assert app.state.settings.cors_origins == ["https://from-the-env.example"]


def test_startup_fails_clearly_without_a_database_url(settings: Settings) -> None:
    app = create_app(replace_settings(settings, database_url=None))

    with pytest.raises(RuntimeError, match="DATABASE_URL is not set"), TestClient(app):
        pass


def test_an_app_built_after_overrides_has_none(settings: Settings) -> None:
    """Overrides belong to one app object: a new app reaches the real dependencies."""

    def no_database() -> None:
        raise AssertionError

    overridden = create_app(settings)
    overridden.dependency_overrides[get_session] = no_database

    fresh = create_app(settings)
    assert fresh.dependency_overrides == {}
    with TestClient(fresh) as client:
        # The real get_session: the lifespan's engine, on this worker's database.
        response = client.get("/health")
    # No override at all, the cache's neither: only the database's answer is certain.
    assert response.json()["db"] == "connected"


def test_a_test_that_adds_routes_to_the_shared_app_fails(settings: Settings) -> None:
    """The `app` fixture's teardown check: routes added to a shared app would outlive the test."""
    app = create_app(settings)
    routes = list(app.router.routes)
    fail_if_routes_changed(app, routes)  # unchanged: passes

    @app.get("/added-by-a-test")
    async def added() -> None: ...

    with pytest.raises(pytest.fail.Exception, match="build an app of its own"):
        fail_if_routes_changed(app, routes)
