"""Outbound webhooks: tell another service about events, through the shared HTTP client.

When WEBHOOK_URL is set, each event is POSTed there as `{"event": ..., "data": ...}`.
A receiver that fails (an error status, a timeout, no connection) raises
`UpstreamError`, which the API answers with 502.
"""

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import Depends

from app.deps import HttpClientDep, SettingsDep
from app.errors import UpstreamError
from app.state import get_webhook_slots

# Deliveries at once, per process. Each holds a database connection and the todo's row
# lock until the receiver answers (up to HTTP_TIMEOUT_SECONDS): slow receivers then tie
# up 4 of the pool's 15 connections, never all of them.
MAX_CONCURRENT_DELIVERIES = 4


def delivery_slots() -> asyncio.Semaphore:
    """The delivery slots of one running app (the lifespan makes them)."""
    return asyncio.Semaphore(MAX_CONCURRENT_DELIVERIES)


class WebhookSender:
    def __init__(
        self, client: httpx.AsyncClient, url: str | None, slots: asyncio.Semaphore
    ) -> None:
        """`slots`: the running app's (`app.state.webhook_slots`), shared by its requests."""
        self._client = client
        self._url = url
        self._slots = slots

    @asynccontextmanager
    async def delivery_slot(self) -> AsyncIterator[None]:
        """Wait for, then hold, one of the app's delivery slots (none without a URL).

        Enter it with no transaction open and before taking any lock: a request waiting
        here must hold nothing other requests need.
        """
        if self._url is None:
            yield
            return
        async with self._slots:
            yield

    async def send(self, event: str, data: Mapping[str, object]) -> None:
        """POST the event; do nothing when no webhook URL is configured."""
        if self._url is None:
            return
        try:
            response = await self._client.post(self._url, json={"event": event, "data": data})
            response.raise_for_status()
        except httpx.TimeoutException as exc:
            msg = "The webhook receiver did not answer in time"
            raise UpstreamError(msg) from exc
        except httpx.HTTPStatusError as exc:
            msg = f"The webhook receiver answered {exc.response.status_code}"
            raise UpstreamError(msg) from exc
        except httpx.TransportError as exc:
            msg = "The webhook receiver could not be reached"
            raise UpstreamError(msg) from exc


async def get_webhook_sender(
    client: HttpClientDep,
    settings: SettingsDep,
    slots: Annotated[asyncio.Semaphore, Depends(get_webhook_slots)],
) -> WebhookSender:
    url = None if settings.webhook_url is None else str(settings.webhook_url)
    return WebhookSender(client, url, slots)


WebhooksDep = Annotated[WebhookSender, Depends(get_webhook_sender)]
