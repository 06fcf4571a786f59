"""Configuration: read once from environment variables and `.env`, then passed around.

Nothing reads settings globally: `create_app(settings)` stores them on `app.state` and
routes reach them through the `SettingsDep` dependency.
"""

import json
import secrets
from typing import Annotated, Literal, Self

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

Environment = Literal["development", "test", "production"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

MIN_SECRET_KEY_LENGTH = 32
# Fragments of the sample values people copy from docs and examples.
PLACEHOLDER_SECRET_FRAGMENTS = ("changeme", "change-me", "change_me", "changethis", "placeholder")
# OWASP's floor for argon2id: production refuses anything cheaper.
MIN_PRODUCTION_HASH_MEMORY_KIB = 19_456
MIN_PRODUCTION_HASH_TIME_COST = 2

_ASYNC_DRIVER = "postgresql+asyncpg"
_POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", _ASYNC_DRIVER})
_TLS_MODES = frozenset({"require", "verify-ca", "verify-full"})

# Used when SECRET_KEY is unset outside production: tokens then stop working when the
# process restarts, which is fine for development and tests and impossible to misuse.
_PROCESS_SECRET_KEY = secrets.token_urlsafe(48)


def normalise_database_url(url: str) -> str:
    """Return `url` for SQLAlchemy's asyncpg driver.

    Accepts the `postgres://` and `postgresql://` URLs that hosting platforms hand out,
    and turns libpq's `sslmode=` into asyncpg's `ssl=`.
    """
    scheme, separator, _ = url.partition("://")
    if not separator or scheme not in _POSTGRES_SCHEMES:
        msg = f"DATABASE_URL must be a PostgreSQL URL (postgresql://...), got scheme {scheme!r}"
        raise ValueError(msg)
    parsed = make_url(url).set(drivername=_ASYNC_DRIVER)
    if "sslmode" in parsed.query:
        sslmode = parsed.query["sslmode"]
        parsed = parsed.difference_update_query(["sslmode"]).update_query_dict({"ssl": sslmode})
    return parsed.render_as_string(hide_password=False)


def uses_tls(url: URL) -> bool:
    """Whether the connection `url` describes refuses to run without TLS."""
    return url.query.get("ssl") in _TLS_MODES


class Settings(BaseSettings):
    """Every setting the service reads; the environment variable is the name upper-cased."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )

    environment: Environment = "development"
    debug: bool = False
    log_level: LogLevel = "INFO"

    secret_key: SecretStr | None = None
    access_token_expire_minutes: int = Field(default=30, ge=1, le=60 * 24 * 30)
    # argon2id cost: the defaults are argon2's RFC 9106 "low memory" profile.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_cost: int = Field(default=65_536, ge=8)
    password_hash_parallelism: int = Field(default=4, ge=1)

    # None means "not configured": `python -m app` then starts an embedded PostgreSQL.
    database_url: str | None = None
    database_require_tls: bool = True

    cors_origins: Annotated[list[str], NoDecode] = []

    webhook_url: AnyHttpUrl | None = None
    http_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str | None) -> str | None:
        return None if value is None else normalise_database_url(value)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_cors_origins(cls, value: object) -> object:
        """Accept a JSON list or a comma-separated string (`a.example,b.example`)."""
        if not isinstance(value, str):
            return value
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [origin.strip() for origin in value.split(",") if origin.strip()]

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.environment != "production":
            return self
        self._check_production_secret_key()
        self._check_production_database()
        if (
            self.password_hash_memory_cost < MIN_PRODUCTION_HASH_MEMORY_KIB
            or self.password_hash_time_cost < MIN_PRODUCTION_HASH_TIME_COST
        ):
            msg = (
                "PASSWORD_HASH_MEMORY_COST and PASSWORD_HASH_TIME_COST are below the "
                f"production minimum ({MIN_PRODUCTION_HASH_MEMORY_KIB} KiB, "
                f"{MIN_PRODUCTION_HASH_TIME_COST} passes): unset them to use the defaults"
            )
            raise ValueError(msg)
        return self

    def _check_production_secret_key(self) -> None:
        if self.secret_key is None:
            msg = "SECRET_KEY is required in production: generate one with `openssl rand -hex 32`"
            raise ValueError(msg)
        key = self.secret_key.get_secret_value()
        if len(key) < MIN_SECRET_KEY_LENGTH:
            msg = f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters in production"
            raise ValueError(msg)
        if any(fragment in key.lower() for fragment in PLACEHOLDER_SECRET_FRAGMENTS):
            msg = "SECRET_KEY is a placeholder value: generate one with `openssl rand -hex 32`"
            raise ValueError(msg)

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

    def signing_key(self) -> str:
        """The key that signs access tokens: SECRET_KEY, or a random per-process key."""
        if self.secret_key is None:
            return _PROCESS_SECRET_KEY
        return self.secret_key.get_secret_value()
