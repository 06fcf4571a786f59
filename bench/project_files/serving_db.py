"""Create an empty database for the serving benchmark and print its URL.

Run in the generated project (`uv run python bench_serving_db.py SERVER_URL NAME`): it
reuses the project's own test helpers and URL normalisation.
"""

import asyncio
import sys

from app.settings import normalise_database_url
from tests.helpers import database_url_for, recreate_database


def main() -> None:
    server_url, name = normalise_database_url(sys.argv[1]), sys.argv[2]
    asyncio.run(recreate_database(server_url, name))
    print(database_url_for(server_url, name))


if __name__ == "__main__":
    main()
