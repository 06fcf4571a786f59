"""Service-layer fixtures: service functions are called on `db_session` directly, no HTTP.

`ownership` and `make_todo` come from tests/fixtures/owners.py.
"""

from collections.abc import AsyncIterator

import httpx
import pytest
from pytest_httpx import HTTPXMock

from app.lifespan import tls_context
from app.webhooks import WebhookSender, delivery_slots

WEBHOOK_URL = "https://hooks.example.com/todos"


@pytest.fixture
async def http_client(httpx_mock: HTTPXMock) -> AsyncIterator[httpx.AsyncClient]:
    """A real httpx client (with the app's CA bundle, loaded once); pytest-httpx answers
    its requests."""
    async with httpx.AsyncClient(verify=tls_context()) as client:
        yield client


@pytest.fixture
def webhooks(http_client: httpx.AsyncClient) -> WebhookSender:
    """A sender posting to WEBHOOK_URL (register responses with `httpx_mock`)."""
    return WebhookSender(http_client, WEBHOOK_URL, delivery_slots())


@pytest.fixture
def no_webhooks(http_client: httpx.AsyncClient) -> WebhookSender:
    """A sender with no URL configured: it sends nothing."""
    return WebhookSender(http_client, None, delivery_slots())
