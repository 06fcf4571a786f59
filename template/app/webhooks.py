"""Outbound webhooks: tell another service about events, through the shared HTTP client.

When WEBHOOK_URL is set, each event is POSTed there as `{"event": ..., "data": ...}`,
with the Standard Webhooks headers: `webhook-id`, `webhook-timestamp` and, when
WEBHOOK_SECRET is set, `webhook-signature` (app/signing.py). A receiver that fails (an
error status, a redirect, a timeout, no connection) raises `UpstreamError`, which the
API answers with 502.
"""

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import Depends

from app.deps import HttpClientDep, SettingsDep
from app.errors import UpstreamError
from app.signing import signature
from app.state import get_webhook_slots

# Deliveries at once, per process. Each holds a database connection and the todo's row
# lock until the receiver answers (up to HTTP_TIMEOUT_SECONDS): slow receivers then tie
# up 4 of the pool's 15 connections, never all of them. (SQLite has no row locks: a
# delivery holds the database's one write lock, and other requests wait for it meanwhile.)
MAX_CONCURRENT_DELIVERIES = 4

logger = logging.getLogger(__name__)


def delivery_slots() -> asyncio.Semaphore:
    """The delivery slots of one running app (the lifespan makes them)."""
    return asyncio.Semaphore(MAX_CONCURRENT_DELIVERIES)


def delivery_headers(body: bytes, signing_key: bytes | None) -> dict[str, str]:
    """The headers of one delivery of `body`: a new id, the time, and its signature."""
    message_id = f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
    }
    if signing_key is not None:
        headers["webhook-signature"] = signature(signing_key, message_id, timestamp, body)
    return headers


class WebhookSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str | None,
        slots: asyncio.Semaphore,
        signing_key: bytes | None = None,
    ) -> None:
        """`slots`: the running app's (`app.state.webhook_slots`), shared by its requests.
        `signing_key`: WEBHOOK_SECRET's (`Settings.webhook_signing_key()`); None: unsigned."""
        self._client = client
        self._url = url
        self._slots = slots
        self._signing_key = signing_key

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
        # Serialised here, once: the bytes sent must be the bytes signed.
        payload = {"event": event, "data": dict(data)}
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        headers = delivery_headers(body, self._signing_key)
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            msg = failure_message(exc)
            # The API's answer says only 502: the cause goes to the log, for whoever is on
            # call. Not the URL (its path or query may hold the receiver's token), nor a
            # traceback (httpx's status errors repeat the URL).
            cause = type(exc).__name__
            if not isinstance(exc, httpx.HTTPStatusError):
                cause = f"{cause}: {exc}"
            logger.warning("Webhook %s not delivered: %s (%s)", event, msg, cause)
            raise UpstreamError(msg) from exc


def failure_message(exc: httpx.HTTPError) -> str:
    """What the 502 says about a failed delivery."""
    if isinstance(exc, httpx.TimeoutException):
        return "The webhook receiver did not answer in time"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"The webhook receiver answered {exc.response.status_code}"
    if isinstance(exc, httpx.TransportError):
        return "The webhook receiver could not be reached"
    return "The webhook receiver's answer could not be read"  # e.g. a bad encoding


async def get_webhook_sender(
    client: HttpClientDep,
    settings: SettingsDep,
    slots: Annotated[asyncio.Semaphore, Depends(get_webhook_slots)],
) -> WebhookSender:
    url = None if settings.webhook_url is None else str(settings.webhook_url)
    return WebhookSender(client, url, slots, settings.webhook_signing_key())


WebhooksDep = Annotated[WebhookSender, Depends(get_webhook_sender)]
