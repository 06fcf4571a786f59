"""Password hashing with argon2id, at the cost the settings ask for.

Routes call the `async` functions: a hash at the default cost is ~100 ms of CPU, which
on the event loop would stall every other request (and /health) for that long. argon2
releases the GIL, so worker threads hash in parallel, at most `MAX_CONCURRENT_HASHES` at
once since each one holds PASSWORD_HASH_MEMORY_COST (64 MiB) while it runs. A request
that waits more than `HASHING_QUEUE_TIMEOUT_SECONDS` for one of them gets 503 (`Overloaded`)
instead: a flood of sign-ins or sign-ups cannot delay everyone else's without bound.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.errors import Overloaded
from app.settings import Settings

MAX_CONCURRENT_HASHES = 2
# The longest a request waits for a hashing slot. A hash at the default cost takes
# ~100 ms, two at a time: about a hundred requests ahead of it. Past that, 503 with
# Retry-After, and the queue stays a few seconds long whatever arrives.
HASHING_QUEUE_TIMEOUT_SECONDS = 5.0
HASHING_BUSY_RETRY_AFTER_SECONDS = 5
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


@asynccontextmanager
async def hashing_slot() -> AsyncIterator[anyio.CapacityLimiter]:
    """Hold one of the running loop's hashing slots; `Overloaded` after waiting
    HASHING_QUEUE_TIMEOUT_SECONDS for one.

    Gives a limiter for the hash's worker thread: the slot is held already, so it never
    waits, but a limiter of its own keeps the thread off the default one that sync routes
    and dependencies share."""
    slots = hashing_slots()
    acquired = False
    with anyio.move_on_after(HASHING_QUEUE_TIMEOUT_SECONDS):
        await slots.acquire()
        acquired = True
    if not acquired:
        msg = "Too many sign-ins and sign-ups at once: try again shortly"
        raise Overloaded(msg, retry_after=HASHING_BUSY_RETRY_AFTER_SECONDS)
    try:
        yield anyio.CapacityLimiter(1)
    finally:
        slots.release()


async def hash_password_in_thread(password: str, settings: Settings) -> str:
    """`hash_password` in a worker thread, leaving the event loop free."""
    async with hashing_slot() as thread:
        return await anyio.to_thread.run_sync(hash_password, password, settings, limiter=thread)


async def verify_password_in_thread(password: str, hashed: str, settings: Settings) -> bool:
    """Whether `password` matches `hashed`, checked in a worker thread."""
    async with hashing_slot() as thread:
        return await anyio.to_thread.run_sync(
            verify_password, password, hashed, settings, limiter=thread
        )
