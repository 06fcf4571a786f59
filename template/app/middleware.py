"""ASGI middleware, chosen by settings in `configure_middleware()`.

Plain ASGI classes (no `BaseHTTPMiddleware`): they see every response, including the
errors other middleware answer with, and stream response bodies through untouched.
"""

import ipaddress
import json
import logging
import re
import time
import uuid
from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import AppError, InvalidHost, PayloadTooLarge, error_body
from app.logs import request_id_var
from app.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id only if it is short and plain, so it is safe to log and echo.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# An API answers JSON: nothing in a response may load, run or frame anything.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI and ReDoc (outside production only) load scripts, styles and fonts from
# their CDNs, run an inline bootstrap script, and fetch /openapi.json.
DOCS_CSP = (
    "default-src 'none'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "connect-src 'self'; worker-src blob:; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
# Two years, subdomains included: what the HSTS preload list asks for.
HSTS = "max-age=63072000; includeSubDomains"
# Load balancers and platform probes call /health with a Host of their own (an internal
# IP, `healthcheck.railway.app`): it answers whatever the Host, and reveals only status.
HOST_CHECK_EXEMPT_PATHS = frozenset({"/health"})

logger = logging.getLogger(__name__)


async def send_error(send: Send, error: type[AppError], detail: str) -> None:
    """Answer with `error`'s status and JSON body, from middleware (before any route)."""
    body = json.dumps(error_body(detail, error.code)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    """Echo the caller's X-Request-ID (or make one up) on the response and in the logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        token = request_id_var.set(request_id)
        # Uvicorn logs its access line as the response starts, inside this call: the
        # line carries the id too (app.logs gives uvicorn's handlers the format).
        await self.app(scope, receive, send_with_request_id)
        # Reset only when the app returned: an error goes on to Starlette's
        # ServerErrorMiddleware, outside this one, whose handler logs it with this id.
        request_id_var.reset(token)


class ClientIpHeaderMiddleware:
    """The client's address from one header its platform's proxy sets (CLIENT_IP_HEADER,
    e.g. Fly's `Fly-Client-IP`), for proxies that append an address of their own after
    the client's in X-Forwarded-For: uvicorn would take that one, the same for every
    client. The value must be one IP address; anything else leaves the address alone.

    Set only where that proxy is the only way in and always overwrites the header:
    anyone else reaching the port could write it and choose their address."""

    def __init__(self, app: ASGIApp, *, header: str) -> None:
        self.app = app
        self.header = header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            value = Headers(scope=scope).get(self.header, "").strip()
            try:
                address = ipaddress.ip_address(value)
            except ValueError:
                pass
            else:
                # In place: uvicorn's access log reads the same scope.
                scope["client"] = (str(address), 0)
        await self.app(scope, receive, send)


class RequestLoggingMiddleware:
    """Log every request's method, path, status and duration at DEBUG level."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record_status)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.debug(
                "%s %s -> %d in %.1f ms", scope["method"], scope["path"], status, elapsed_ms
            )


class SecurityHeadersMiddleware:
    """Security headers on every response.

    HSTS only when the request came over HTTPS (uvicorn's --proxy-headers sets the
    scheme from the proxy's X-Forwarded-Proto), or always with HSTS_ALWAYS: browsers
    ignore it over plain HTTP, and on localhost it would pin the developer's browser.
    """

    def __init__(self, app: ASGIApp, *, docs_enabled: bool, hsts_always: bool) -> None:
        self.app = app
        self.docs_enabled = docs_enabled
        self.hsts_always = hsts_always

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs_page = self.docs_enabled and scope["path"] in DOCS_PATHS
        hsts = self.hsts_always or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Content-Security-Policy", DOCS_CSP if docs_page else API_CSP)
                if hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class InternalErrorMiddleware:
    """The JSON 500 for an unexpected error, when nothing was answered yet. It stands
    inside every other middleware, so the 500 carries their headers too (CORS, security
    headers, the request id) and browser code can read it; and once more just inside the
    security headers, for an error raised by the middleware in between. The error still
    reaches Starlette's handler, which logs it (its own 500 would carry no headers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except Exception:
            if not started:
                await send_error(send, AppError, "Internal server error")
            raise


class HeadAsGetMiddleware:
    """HEAD answered as GET without the body (RFC 9110 9.3.2), headers and status alike:
    FastAPI routes HEAD nowhere (405 on every route), and uptime monitors probe with it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)


# A Host header (RFC 9110 7.2): a name or IPv4 address, or an IPv6 address in brackets,
# then an optional port. Anything else is refused: Starlette builds redirect URLs from
# the header and falls back to the socket's own address (the container's) when it cannot.
_HOST_HEADER = re.compile(r"(?P<name>[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?")
MAX_PORT = 65_535


def host_of(scope: Scope) -> str | None:
    """The Host header's name, lower-cased, without the port (IPv6 brackets removed);
    None when the header is missing or malformed."""
    match = _HOST_HEADER.fullmatch(Headers(scope=scope).get("host", "").lower())
    if match is None or (match["port"] is not None and int(match["port"]) > MAX_PORT):
        return None
    return match["name"].strip("[]")


def host_allowed(host: str | None, allowed: Iterable[str]) -> bool:
    """`*` allows any well-formed host; `*.example.com` any subdomain of example.com."""
    if host is None:
        return False
    for pattern in allowed:
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


class TrustedHostMiddleware:
    """400 for requests whose Host is not in ALLOWED_HOSTS (DNS rebinding, Host-header
    poisoning of absolute URLs); `/health` is exempt for the platforms' probes."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed_hosts = [host.lower() for host in allowed_hosts]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] in {"http", "websocket"}
            and scope["path"] not in HOST_CHECK_EXEMPT_PATHS
            and not host_allowed(host_of(scope), self.allowed_hosts)
        ):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})  # policy violation
            else:
                await send_error(send, InvalidHost, "Invalid host header")
            return
        await self.app(scope, receive, send)


class BodySizeLimitMiddleware:
    """413 for request bodies over MAX_BODY_BYTES, announced or streamed (chunked).

    A Content-Length over the limit is refused before reading anything. Otherwise the
    body is read here, up to the limit, and handed to the app from memory: the app
    would read it whole anyway (JSON and form bodies are parsed in one piece), and no
    route ever sees a body that is too large.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = f"The request body is larger than {self.max_body_bytes} bytes"
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await send_error(send, PayloadTooLarge, too_large)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: no one to answer
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await send_error(send, PayloadTooLarge, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay_body() -> Message:
            nonlocal replayed
            if replayed:  # later calls wait for the disconnect, as usual
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay_body, send)


def configure_middleware(app: FastAPI, settings: Settings) -> None:
    """Add middleware according to settings (the last added runs first).

    Outermost first: client address (CLIENT_IP_HEADER only), request id, security
    headers, the JSON 500, host check, CORS, body size limit, request logging (DEBUG
    only), HEAD as GET, the JSON 500 again, the app.
    """
    app.add_middleware(InternalErrorMiddleware)
    app.add_middleware(HeadAsGetMiddleware)
    if settings.debug:
        app.add_middleware(RequestLoggingMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=settings.cors_allow_credentials,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
            # What browser code may read: the request id to quote, when to retry (429,
            # 503), and how to authenticate (401).
            expose_headers=[REQUEST_ID_HEADER, "Retry-After", "WWW-Authenticate"],
        )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts)
    app.add_middleware(InternalErrorMiddleware)  # for errors of the host check, CORS, body limit
    app.add_middleware(
        SecurityHeadersMiddleware,
        docs_enabled=settings.docs_enabled,
        hsts_always=settings.hsts_always,
    )
    app.add_middleware(RequestIdMiddleware)
    if settings.client_ip_header:
        app.add_middleware(ClientIpHeaderMiddleware, header=settings.client_ip_header)
