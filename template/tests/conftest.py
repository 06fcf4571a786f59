"""Fixtures for every test; each group lives in its own module under tests/fixtures/.

    settings.py  `settings`: explicit test settings (never the developer's env or .env),
                 `clean_environment` (for tests of how `Settings()` reads the environment)
    database.py  `database_url` (one database per xdist worker, held for the run),
                 `engine` (schema from Alembic, once per worker), `connection` (in a
                 transaction rolled back after each test), `db_session` (on that connection)
    clients.py   `app` (one per distinct settings, overrides reset per test), `async_client`,
                 `client` (sync TestClient, in the run's `portal` event loop)
    owners.py    who owns todos: `ownership`, `make_todo` (and `user`, with JWT auth)
    cache.py     `cache_overrides` for the app's cache (fakeredis, with the `redis` option)

`pytest --fixtures` lists them all with their docstrings; `pytest --setup-show` shows
which ones a test sets up and tears down.
"""

import gc

pytest_plugins = [
    "tests.fixtures.settings",
    "tests.fixtures.database",
    "tests.fixtures.clients",
    "tests.fixtures.owners",
    "tests.fixtures.cache",
]


def pytest_collection_finish() -> None:
    """Leave what imports and collection built (modules, routes, Hypothesis' strategies,
    all kept for the whole run) out of garbage collection: otherwise every full collection,
    and pytest's own at the end of the run, walks all of it again."""
    gc.freeze()
