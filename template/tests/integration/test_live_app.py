import httpx
import pytest

pytestmark = pytest.mark.integration


async def test_health_on_a_real_server(live_client: httpx.AsyncClient) -> None:
    response = await live_client.get("/health")

    assert response.json() == {"status": "healthy", "db": "connected"}
