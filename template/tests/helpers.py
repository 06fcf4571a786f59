"""Helpers the fixtures and tests share (plain functions, not fixtures)."""

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
import typing_extensions
from alembic import command
from alembic.config import Config
from factory.base import Factory
from fastapi import FastAPI
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from app.database import Base, get_session
from app.factory import create_app
from app.settings import Settings
from tests.sign_in_settings import TEST_SIGN_IN_SETTINGS

PROJECT_DIR = Path(__file__).resolve().parents[1]

# A Standard Webhooks secret: whsec_ and the base64 of 32 bytes.
TEST_WEBHOOK_SECRET = "whsec_dGVzdC13ZWJob29rLXNpZ25pbmcta2V5LTMyYnl0ZXM="
# How far a delivery's webhook-timestamp may be from the receiver's clock.
WEBHOOK_TOLERANCE_SECONDS = 300

ModelT = TypeVar("ModelT", bound=Base)


class ExplicitSettings(Settings):
    """`Settings` from the values given and the defaults, and nothing else.

    `Settings` reads environment variables and `.env` however it is built
    (`model_validate` too runs pydantic-settings' `__init__`): a developer's `DEBUG=true`
    or `WEBHOOK_URL` would change what the tests test, and make them fail on one machine
    and pass on another.
    """

    # The sources left out are still built; without a file to parse, in a tenth of the time.
    model_config = SettingsConfigDict(env_file=None)

    @classmethod
    @typing_extensions.override
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def make_settings(**overrides: Any) -> Settings:
    """Settings for tests, from the arguments and the defaults only: neither `.env` nor
    the developer's environment variables reach a test (`ExplicitSettings`)."""
    values = {
        "environment": "test",
        **TEST_SIGN_IN_SETTINGS,
        **overrides,
    }
    return ExplicitSettings.model_validate(values)


def replace_settings(settings: Settings, **changes: Any) -> Settings:
    """A validated copy of `settings` with some fields changed."""
    return make_settings(**(settings.model_dump() | changes))


def override(app: FastAPI, dependency: Callable[..., Any], value: object) -> None:
    """Make `dependency` give `value` in `app` (the `app` fixture removes it after the test).

    The override is `async def`: FastAPI runs a plain `def` dependency, a `lambda` too,
    in a worker thread, a hop per request that costs more than the lookup.
    """

    async def overridden() -> object:
        return value

    app.dependency_overrides[dependency] = overridden


def override_session(app: FastAPI, session: AsyncSession) -> None:
    """Make `get_session` give every request `session` (the test's rolled-back one).

    A request's own session is discarded when the request fails; this one is shared, so
    after a database error it is rolled back (to the savepoint of its last commit): the
    next request, or a replay of a failing Schemathesis example, gets a working session
    instead of PendingRollbackError or "current transaction is aborted".
    """

    async def overridden() -> AsyncIterator[AsyncSession]:
        try:
            yield session
        except SQLAlchemyError:
            await session.rollback()
            raise

    app.dependency_overrides[get_session] = overridden


def verified_webhook(request: httpx.Request, secret: str) -> object:
    """A delivery's JSON, checked as its receiver would check it (Standard Webhooks):
    the signature over `{webhook-id}.{webhook-timestamp}.{body}`, and the timestamp.

    Written apart from app.signing on purpose: the check must not share its mistakes.
    """
    message_id = request.headers["webhook-id"]
    timestamp = request.headers["webhook-timestamp"]
    assert abs(time.time() - int(timestamp)) <= WEBHOOK_TOLERANCE_SECONDS, "a stale delivery"
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + request.content
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    signatures = request.headers["webhook-signature"].split()
    assert any(hmac.compare_digest(given, f"v1,{expected}") for given in signatures), (
        "no signature matches"
    )
    return json.loads(request.content)


def app_with_a_failing_route(settings: Settings) -> FastAPI:
    """An app of its own whose `GET /boom` raises an unexpected error ("secret internals")."""
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        msg = "secret internals"
        raise RuntimeError(msg)

    return app


def alembic_config(connection: Connection) -> Config:
    """Alembic's config, set to run on `connection` (see migrations/env.py)."""
    config = Config(PROJECT_DIR / "alembic.ini")
    config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


@asynccontextmanager
async def rolled_back_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is always rolled back at the end
    (unless a `savepoint_session` on it has rolled it back already)."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            if transaction.is_active:
                await transaction.rollback()


@asynccontextmanager
async def savepoint_session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session joining `connection`'s transaction.

    `join_transaction_mode="create_savepoint"`: when the code under test commits, it
    only releases a SAVEPOINT; the outer transaction, and so the test, still sees the
    data, and the connection's rollback throws all of it away.

    At the end it rolls back the connection's transaction, then closes the session:
    the one ROLLBACK ends the session's open SAVEPOINT too, which closing first would
    have rolled back on its own, a round trip to the database for nothing.
    """
    session = AsyncSession(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        await connection.rollback()
        await session.close()


@asynccontextmanager
async def isolated_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A savepoint session on a rolled-back connection: nothing it commits survives."""
    async with (
        rolled_back_connection(engine) as connection,
        savepoint_session(connection) as session,
    ):
        yield session


async def persist(session: AsyncSession, instance: ModelT) -> ModelT:
    """Save a (factory-built) instance, as the app would: add it and commit.

    On a test session the commit only releases a SAVEPOINT: the row stays until the
    test's rollback, and a rollback in the code under test does not take it away.
    """
    session.add(instance)
    await session.commit()
    return instance


# The sessions factories save into, innermost last (`db_session` binds the test's).
_factory_sessions: list[AsyncSession] = []


@contextmanager
def factories_bound_to(session: AsyncSession) -> Iterator[AsyncSession]:
    """Make every `SessionFactory.create()` add to `session` until the block ends."""
    _factory_sessions.append(session)
    try:
        yield session
    finally:
        _factory_sessions.remove(session)


def factory_session() -> AsyncSession:
    """The session `create()` adds to: the test's own (`db_session` binds it)."""
    if not _factory_sessions:
        msg = (
            "Factories save into the test's session: request the `db_session` fixture "
            "(or make an unsaved instance with `.build()`)"
        )
        raise RuntimeError(msg)
    return _factory_sessions[-1]


class SessionFactory(Factory[ModelT]):
    """A factory bound to the test's session: `create()` adds the instance, and those of
    its SubFactory relations, to it; `await session.commit()` (or `flush()`) writes them.

    factory-boy's `SQLAlchemyModelFactory` does the same `session.add()` with a
    `sqlalchemy_session_factory`, but cannot await an async session's flush and types
    every instance as `Any`; this keeps `UserFactory.create()` typed as a `User`.
    """

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: type[ModelT], *args: Any, **kwargs: Any) -> ModelT:
        instance = model_class(*args, **kwargs)
        factory_session().add(instance)
        return instance


class WatchedSlots(asyncio.Semaphore):
    """Webhook delivery slots (one by default) that tell when someone starts waiting."""

    def __init__(self, size: int = 1) -> None:
        super().__init__(size)
        self.asked = asyncio.Event()

    async def acquire(self) -> Literal[True]:
        self.asked.set()
        return await super().acquire()
