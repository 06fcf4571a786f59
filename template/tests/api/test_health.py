import httpx
from fastapi.testclient import TestClient

from app.factory import create_app
from tests.helpers import make_settings

# Port 1 on the loopback: nothing listens there, so connecting fails at once.
UNREACHABLE_DATABASE_URL = "postgresql://postgres@127.0.0.1:1/nothing"


async def test_healthy_when_the_database_answers(async_client: httpx.AsyncClient) -> None:
    response = await async_client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "db": "connected"}


def test_healthy_through_the_sync_client(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "db": "connected"}


def test_degraded_when_the_database_is_unreachable() -> None:
    app = create_app(make_settings(database_url=UNREACHABLE_DATABASE_URL))

    with TestClient(app) as client:
        response = client.get("/health")

    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "db": "disconnected"}
