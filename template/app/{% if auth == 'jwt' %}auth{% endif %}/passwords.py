"""Password hashing with argon2id, at the cost the settings ask for.

Routes call the `async` functions: a hash at the default cost is ~100 ms of CPU, which
on the event loop would stall every other request (and /health) for that long. argon2
releases the GIL, so worker threads hash in parallel, at most `MAX_CONCURRENT_HASHES` at
once since each one holds PASSWORD_HASH_MEMORY_COST (64 MiB) while it runs.
"""

import asyncio
import weakref

import anyio
import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.settings import Settings

MAX_CONCURRENT_HASHES = 2
# One limiter per event loop (a limiter belongs to the loop it waits in): per process in
# production, where each uvicorn worker runs one loop.
_hashing_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


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


def verify_password(password: str, hashed: str, settings: Settings) -> bool:
    return password_hasher(settings).verify(password, hashed)


def hashing_slots() -> anyio.CapacityLimiter:
    """The running loop's hashing slots. Requests wait for one in the event loop, not in
    a worker thread: a flood of sign-ins cannot take the threads that sync code needs."""
    loop = asyncio.get_running_loop()
    if loop not in _hashing_slots:
        _hashing_slots[loop] = anyio.CapacityLimiter(MAX_CONCURRENT_HASHES)
    return _hashing_slots[loop]


async def hash_password_in_thread(password: str, settings: Settings) -> str:
    """`hash_password` in a worker thread, leaving the event loop free."""
    return await anyio.to_thread.run_sync(
        hash_password, password, settings, limiter=hashing_slots()
    )


async def verify_password_in_thread(password: str, hashed: str, settings: Settings) -> bool:
    """Whether `password` matches `hashed`, checked in a worker thread."""
    return await anyio.to_thread.run_sync(
        verify_password, password, hashed, settings, limiter=hashing_slots()
    )
