"""Create an empty PostgreSQL database for the serving benchmark and print its URL.

Run in the generated project (`uv run python bench_serving_db.py SERVER_URL NAME`), with
its SQLAlchemy and asyncpg; self-contained so it does not depend on the project's helpers.
"""

import asyncio
import sys

from sqlalchemy import NullPool, make_url
from sqlalchemy.ext.asyncio import create_async_engine


async def recreate(server_url: str, name: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction: autocommit.
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        await engine.dispose()


def main() -> None:
    server = make_url(sys.argv[1]).set(drivername="postgresql+asyncpg")
    name = sys.argv[2]
    asyncio.run(recreate(server.render_as_string(hide_password=False), name))
    print(server.set(database=name).render_as_string(hide_password=False))


if __name__ == "__main__":
    main()
