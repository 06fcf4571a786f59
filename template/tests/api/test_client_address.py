"""The client's address behind a platform's proxy, as uvicorn and the app work it out.

Fly.io's proxy sends `X-Forwarded-For: <client>, <the app's own public IP>`: uvicorn's
right-most untrusted address is then the app's IP, the same for every client.
CLIENT_IP_HEADER (`Fly-Client-IP` in fly.toml) names the header holding the client's.
"""

import httpx
import pytest
from fastapi import FastAPI, Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.factory import create_app
from app.settings import Settings
from tests.helpers import make_settings, replace_settings

# The Dockerfile's FORWARDED_ALLOW_IPS.
FORWARDED_ALLOW_IPS = "127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7"
FLY_PROXY = ("172.19.4.2", 41234)  # where Fly's proxy connects from: a private address
APP_PUBLIC_IP = "66.241.125.10"  # the app's shared IPv4, appended by Fly's proxy


def fly_headers(client_ip: str, claimed: str | None = None) -> dict[str, str]:
    """What Fly's proxy sends for a request from `client_ip` (which may have written its
    own X-Forwarded-For, `claimed`)."""
    chain = [claimed] if claimed else []
    return {
        "Host": "testserver",
        "Fly-Client-IP": client_ip,
        "X-Forwarded-For": ", ".join([*chain, client_ip, APP_PUBLIC_IP]),
        "X-Forwarded-Proto": "https",
    }


def client_seen_by(settings: Settings) -> httpx.AsyncClient:
    """A client of an app of its own (`GET /whoami` answers the client's address), served
    as uvicorn serves it (`--proxy-headers`), reached from Fly's proxy."""
    app: FastAPI = create_app(settings)

    @app.get("/whoami")
    async def whoami(request: Request) -> str | None:
        return request.client.host if request.client else None

    served = ProxyHeadersMiddleware(app, trusted_hosts=FORWARDED_ALLOW_IPS)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=served, client=FLY_PROXY)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_without_client_ip_header_fly_clients_all_share_the_apps_ip(
    settings: Settings,
) -> None:
    """Why fly.toml sets CLIENT_IP_HEADER: X-Forwarded-For alone names the app's IP."""
    async with client_seen_by(settings) as client:
        response = await client.get("/whoami", headers=fly_headers("203.0.113.7"))

    assert response.json() == APP_PUBLIC_IP


class TestBehindFly:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace_settings(settings, client_ip_header="Fly-Client-IP")

    @pytest.mark.parametrize("client_ip", ["203.0.113.7", "2001:db8::7"])
    async def test_the_client_is_the_one_the_proxy_names(
        self, settings: Settings, client_ip: str
    ) -> None:
        async with client_seen_by(settings) as client:
            response = await client.get("/whoami", headers=fly_headers(client_ip))

        assert response.json() == client_ip

    async def test_an_address_the_client_claims_changes_nothing(self, settings: Settings) -> None:
        async with client_seen_by(settings) as client:
            response = await client.get(
                "/whoami", headers=fly_headers("203.0.113.7", claimed="198.51.100.1")
            )

        assert response.json() == "203.0.113.7"

    @pytest.mark.parametrize("value", ["", "not-an-ip", "203.0.113.7, 198.51.100.1"])
    async def test_a_header_that_is_not_one_address_is_ignored(
        self, settings: Settings, value: str
    ) -> None:
        headers = fly_headers("203.0.113.7") | {"Fly-Client-IP": value}
        async with client_seen_by(settings) as client:
            response = await client.get("/whoami", headers=headers)

        assert response.json() == APP_PUBLIC_IP  # uvicorn's answer, untouched


@pytest.mark.parametrize("value", ["Fly Client IP", "X-Real-IP:", ""])
def test_client_ip_header_must_be_a_header_name(value: str) -> None:
    with pytest.raises(ValueError, match="client_ip_header"):
        make_settings(client_ip_header=value)
