"""Outbound webhooks: tell another service about events, through the shared HTTP client.

When WEBHOOK_URL is set, each event is POSTed there as `{"event": ..., "data": ...}`.
A receiver that fails (an error status, a timeout, no connection) raises
`UpstreamError`, which the API answers with 502.
"""

from collections.abc import Mapping
from typing import Annotated

import httpx
from fastapi import Depends

from app.deps import HttpClientDep, SettingsDep
from app.errors import UpstreamError


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient, url: str | None) -> None:
        self._client = client
        self._url = url

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


async def get_webhook_sender(client: HttpClientDep, settings: SettingsDep) -> WebhookSender:
    url = None if settings.webhook_url is None else str(settings.webhook_url)
    return WebhookSender(client, url)


WebhooksDep = Annotated[WebhookSender, Depends(get_webhook_sender)]
