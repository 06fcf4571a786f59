"""Configuration: read once from environment variables and `.env`, then passed around.

Nothing reads settings globally: `create_app(settings)` stores them on `app.state` and
routes reach them through the `SettingsDep` dependency.
"""

import json
import re
from typing import Annotated, Literal, Self, get_args

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

from app.cache import CacheSettings
from app.dialect import DatabaseSettings, normalise_database_url, uses_tls
from app.sign_in_settings import SignInSettings
from app.signing import GENERATE_SECRET, signing_key

Environment = Literal["development", "test", "production"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = get_args(LogFormat)

# The Host headers the service answers outside production when ALLOWED_HOSTS is unset:
# the dev server's addresses and the test clients' default base URLs.
DEVELOPMENT_HOSTS = ("localhost", "127.0.0.1", "test", "testserver")
# A browser origin: scheme and host (and port), nothing after it.
_ORIGIN = re.compile(r"https?://[^/?#\s]+")


class Settings(SignInSettings, CacheSettings, DatabaseSettings, BaseSettings):
    """Every setting the service reads; the environment variable is the name upper-cased.

    The database URL's form and the pool and timeout settings come from `app.dialect`,
    the sign-in settings (and their production checks) from `app.sign_in_settings` and
    the cache's settings from `app.cache`: the modules the `database`, `auth` and `redis`
    options choose.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        # A refused value is not repeated in the error: these errors end up in deploy
        # logs, and a mistyped DATABASE_URL or REDIS_URL still holds its password.
        hide_input_in_errors=True,
    )

    environment: Environment = "development"
    debug: bool = False
    log_level: LogLevel = "INFO"
    # text: `time level logger [request id] message`; json: one JSON object per line.
    log_format: LogFormat = "text"

    # None means "not configured": `python -m app` then starts an embedded PostgreSQL
    # (or, with SQLite, uses .data/app.sqlite3). Its form is app.dialect's business.
    database_url: str | None = None
    database_require_tls: bool = True

    # Host headers the service answers; unset: DEVELOPMENT_HOSTS (production requires it).
    allowed_hosts: Annotated[list[str] | None, NoDecode] = None
    cors_origins: Annotated[list[str], NoDecode] = []
    cors_allow_credentials: bool = True
    # Strict-Transport-Security goes on HTTPS requests (as the proxy headers tell);
    # true: on every response, for a proxy that does not say the request was HTTPS.
    hsts_always: bool = False
    # A header holding the client's IP, set by the platform's proxy on every request
    # (Fly.io: Fly-Client-IP); unset: uvicorn's X-Forwarded-For (FORWARDED_ALLOW_IPS).
    client_ip_header: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]+$")
    # Larger request bodies get 413, whether or not they announce their length.
    max_body_bytes: int = Field(default=1_048_576, ge=1)

    webhook_url: AnyHttpUrl | None = None
    # Signs every delivery (app.signing); required in production when WEBHOOK_URL is set.
    webhook_secret: SecretStr | None = None
    http_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _check_log_format(cls, value: object) -> object:
        if isinstance(value, str) and value.lower() in LOG_FORMATS:
            return value.lower()
        msg = f"LOG_FORMAT is {' or '.join(LOG_FORMATS)}, got {value!r}"
        raise ValueError(msg)

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str | None) -> str | None:
        return None if value is None else normalise_database_url(value)

    @field_validator("cors_origins", "allowed_hosts", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        """Accept a JSON list or a comma-separated string (`a.example,b.example`)."""
        if not isinstance(value, str):
            return value
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [origin.strip() for origin in value.split(",") if origin.strip()]

    @field_validator("cors_origins")
    @classmethod
    def _check_cors_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                msg = (
                    f"CORS_ORIGINS entries are origins such as https://app.example.com "
                    f"(scheme and host, no path or trailing slash), got {origin!r}"
                )
                raise ValueError(msg)
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            signing_key(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _refuse_credentialed_wildcard(self) -> Self:
        # Starlette answers a credentialed "*" by echoing any Origin: every site on the
        # web could then call the API with the user's cookies.
        if "*" in self.cors_origins and self.cors_allow_credentials:
            msg = (
                "CORS_ORIGINS cannot contain '*' while CORS_ALLOW_CREDENTIALS is true: list "
                "the origins, or set CORS_ALLOW_CREDENTIALS=false for a public API"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.environment != "production":
            return self
        self._check_production_auth()
        self._check_production_database()
        if self.webhook_url is not None and self.webhook_secret is None:
            msg = (
                "WEBHOOK_SECRET is required in production when WEBHOOK_URL is set (the "
                f"receiver checks each delivery's signature with it): `{GENERATE_SECRET}`"
            )
            raise ValueError(msg)
        if self.allowed_hosts is None:
            msg = (
                "ALLOWED_HOSTS is required in production: the host names clients reach the "
                "service by, comma-separated (e.g. api.example.com), or * to accept any"
            )
            raise ValueError(msg)
        self._check_production_auth_cost()
        return self

    def _check_production_database(self) -> None:
        if self.database_url is None:
            msg = "DATABASE_URL is required in production"
            raise ValueError(msg)
        if self.database_require_tls and not uses_tls(make_url(self.database_url)):
            msg = (
                "DATABASE_URL must use TLS in production (add ?sslmode=require), or set "
                "DATABASE_REQUIRE_TLS=false when the database is on a private network"
            )
            raise ValueError(msg)

    @property
    def docs_enabled(self) -> bool:
        """Interactive docs and the OpenAPI schema are public everywhere but production."""
        return self.environment != "production"

    @property
    def trusted_hosts(self) -> list[str]:
        """ALLOWED_HOSTS, or the development hosts when it is unset."""
        if self.allowed_hosts is None:
            return list(DEVELOPMENT_HOSTS)
        return self.allowed_hosts

    def webhook_signing_key(self) -> bytes | None:
        """The key that signs webhook deliveries; None: they go unsigned."""
        if self.webhook_secret is None:
            return None
        return signing_key(self.webhook_secret.get_secret_value())
