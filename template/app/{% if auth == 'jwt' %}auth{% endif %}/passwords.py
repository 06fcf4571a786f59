"""Password hashing with argon2id, at the cost the settings ask for.

Routes call the `async` functions: a hash at the default cost is ~100 ms of CPU, which
on the event loop would stall every other request (and /health) for that long. argon2
releases the GIL, so worker threads hash in parallel, at most `MAX_CONCURRENT_HASHES` at
once since each one holds PASSWORD_HASH_MEMORY_COST (64 MiB) while it runs.
"""

import threading

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from starlette.concurrency import run_in_threadpool

from app.settings import Settings

MAX_CONCURRENT_HASHES = 2
_hashing_slots = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


def password_hasher(settings: Settings) -> PasswordHash:
    return PasswordHash(
        (
            Argon2Hasher(
                time_cost=settings.password_hash_time_cost,
                memory_cost=settings.password_hash_memory_cost,
                parallelism=settings.password_hash_parallelism,
            ),
        )
    )


def hash_password(password: str, settings: Settings) -> str:
    return password_hasher(settings).hash(password)


def _hash_in_slot(password: str, settings: Settings) -> str:
    with _hashing_slots:
        return hash_password(password, settings)


def _verify_in_slot(password: str, hashed: str, settings: Settings) -> bool:
    with _hashing_slots:
        return password_hasher(settings).verify(password, hashed)


async def hash_password_in_thread(password: str, settings: Settings) -> str:
    """`hash_password` in a worker thread, leaving the event loop free."""
    return await run_in_threadpool(_hash_in_slot, password, settings)


async def verify_password_in_thread(password: str, hashed: str, settings: Settings) -> bool:
    """Whether `password` matches `hashed`, checked in a worker thread."""
    return await run_in_threadpool(_verify_in_slot, password, hashed, settings)
