"""SQLAlchemy: the declarative base, the engine and the per-request session."""

import importlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends
from pydantic import AfterValidator
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from app.dialect import MISSING_URL_HINT, create_database_engine
from app.settings import Settings
from app.state import get_sessionmaker

# Deterministic constraint names, so Alembic migrations can drop and rename them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def as_utc(value: datetime) -> datetime:
    """A timestamp the database filled in, with its UTC offset.

    PostgreSQL returns `timestamptz` values with their offset; SQLite stores none, and
    its CURRENT_TIMESTAMP is UTC, so a naive value from it is UTC.
    """
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# For response schemas: timestamps always go out with an offset, whatever the database.
UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]


APP_DIR = Path(__file__).parent


def import_models(package_dir: Path = APP_DIR, package: str = "app") -> None:
    """Import every domain's models (`app/<domain>/models.py`, or a `models/` package) so
    `Base.metadata` knows every table.

    Alembic compares the database with this metadata: a model it never imported would
    look like a table to drop. Discovering the modules keeps new domains from being missed.
    """
    modules = [*package_dir.glob("*/models.py"), *package_dir.glob("*/models/__init__.py")]
    for domain in sorted({module.relative_to(package_dir).parts[0] for module in modules}):
        importlib.import_module(f"{package}.{domain}.models")


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.database_url is None:
        msg = f"DATABASE_URL is not set: {MISSING_URL_HINT}"
        raise RuntimeError(msg)
    # hide_parameters: a failed statement's error (logged, and shown in tracebacks) names
    # its SQL but not the values sent, such as e-mail addresses and password hashes.
    # engine_options: the pool's size and the statement and lock timeouts (app.dialect).
    return create_database_engine(
        settings.database_url,
        pool_pre_ping=True,
        hide_parameters=True,
        **settings.engine_options(),
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: routes return ORM objects after committing them.
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(
    sessionmaker: Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)],
) -> AsyncIterator[AsyncSession]:
    """One session per request; closing it rolls back whatever was not committed."""
    async with sessionmaker() as session:
        yield session
