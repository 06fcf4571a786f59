"""Sign-in and sign-up throttling: attempts per key in a sliding window.

Three limiters, each a `LoginLimiter`: failed sign-ins per (client IP, e-mail)
(LOGIN_RATE_LIMIT), failed sign-ins per client IP whatever the e-mail
(LOGIN_IP_RATE_LIMIT: password spraying) and sign-ups per client IP (REGISTER_RATE_LIMIT).

The counts live in this process's memory (one set of limiters per app, on `app.state`,
made by the auth router's lifespan). Each replica or uvicorn worker counts on its own,
so N of them allow N times the attempts, and a restart forgets them: a deployment with
several replicas should keep the counts in a shared store (Redis) instead.
"""

import math
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from app.settings import Settings
from app.sign_in_settings import RateLimit
from app.users.models import EMAIL_MAX_LENGTH

# A limiter's key: (client IP, e-mail) for failed sign-ins, (client IP,) for the per-IP
# limits.
LimitKey = tuple[str, ...]
LoginKey = tuple[str, str]

# Keys remembered at most: a flood of made-up e-mails cannot grow memory without bound
# (the least recently failed keys are forgotten first). Per limiter: a key holds at most
# its limit's count of timestamps, so the per-IP sign-in limiter (50 by default, about
# 2 KB an IP) stays within about 20 MB.
MAX_TRACKED_KEYS = 10_000


class LoginLimiter:
    """Attempts per key within the last `window_seconds` (a monotonic clock): the failed
    ones for sign-in, every one for sign-up."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        max_keys: int = MAX_TRACKED_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self._max_keys = max_keys
        self._clock = clock
        self._failures: OrderedDict[LimitKey, deque[float]] = OrderedDict()

    def retry_after(self, key: LimitKey) -> int | None:
        """Whole seconds until `key` may try again; None when it may try now."""
        failures = self._failures.get(key)
        if failures is None:
            return None
        now = self._clock()
        while failures and failures[0] <= now - self.limit.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        if len(failures) < self.limit.attempts:
            return None
        return max(1, math.ceil(failures[0] + self.limit.window_seconds - now))

    def record_failure(self, key: LimitKey) -> None:
        failures = self._failures.get(key)
        if failures is None:
            failures = self._failures[key] = deque(maxlen=self.limit.attempts)
        failures.append(self._clock())
        self._failures.move_to_end(key)
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def withdraw_failure(self, key: LimitKey) -> None:
        """Take back the latest failure recorded for `key` (the attempt was not a wrong
        password after all: the database was down, or the client went away)."""
        failures = self._failures.get(key)
        if failures:
            failures.pop()
            if not failures:
                del self._failures[key]

    def reset(self, key: LimitKey) -> None:
        """Forget `key`'s failures (after a successful sign-in)."""
        self._failures.pop(key, None)


@asynccontextmanager
async def login_limiter_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Give each app its own limiters, from LOGIN_RATE_LIMIT, LOGIN_IP_RATE_LIMIT and
    REGISTER_RATE_LIMIT (merged into the app's lifespan)."""
    settings: Settings = app.state.settings
    app.state.login_limiter = LoginLimiter(settings.login_rate_limit)
    app.state.login_ip_limiter = LoginLimiter(settings.login_ip_rate_limit)
    app.state.register_limiter = LoginLimiter(settings.register_rate_limit)
    yield


def get_login_limiter(request: Request) -> LoginLimiter:
    limiter: LoginLimiter = request.app.state.login_limiter
    return limiter


def get_login_ip_limiter(request: Request) -> LoginLimiter:
    limiter: LoginLimiter = request.app.state.login_ip_limiter
    return limiter


def get_register_limiter(request: Request) -> LoginLimiter:
    limiter: LoginLimiter = request.app.state.register_limiter
    return limiter


def longest_wait(*waits: int | None) -> int | None:
    """The longest of some `retry_after` answers; None when none of them refuses."""
    refusals = [wait for wait in waits if wait is not None]
    return max(refusals) if refusals else None


def login_address(username: str) -> str:
    """The e-mail half of a sign-in's key: as accounts store it (stripped, lower-cased),
    and cut after EMAIL_MAX_LENGTH + 1 characters. A form's username can be as long as
    the body (MAX_BODY_BYTES): kept whole, each made-up one would hold up to a megabyte
    for the window, and MAX_TRACKED_KEYS of them gigabytes. Longer addresses name no
    account, so sharing a count with others that start alike costs no one anything."""
    return username.strip().lower()[: EMAIL_MAX_LENGTH + 1]


def client_address(request: Request) -> str:
    """The caller's IP. Behind a proxy, uvicorn's --proxy-headers puts the real one here:
    the right-most X-Forwarded-For address that is not a proxy of FORWARDED_ALLOW_IPS."""
    return request.client.host if request.client is not None else "unknown"


LoginLimiterDep = Annotated[LoginLimiter, Depends(get_login_limiter)]
LoginIpLimiterDep = Annotated[LoginLimiter, Depends(get_login_ip_limiter)]
RegisterLimiterDep = Annotated[LoginLimiter, Depends(get_register_limiter)]
