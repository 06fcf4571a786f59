import httpx
import pytest

from tests.fixtures.cache import HEALTHY

pytestmark = pytest.mark.integration


async def test_health_on_a_real_database(live_client: httpx.AsyncClient) -> None:
    response = await live_client.get("/health")

    assert response.json() == HEALTHY
