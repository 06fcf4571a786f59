"""`/auth`: sign up, and trade an e-mail and password for an access token."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import service
from app.auth.rate_limit import (
    LoginIpLimiterDep,
    LoginLimiterDep,
    RegisterLimiterDep,
    client_address,
    login_address,
    login_limiter_lifespan,
    longest_wait,
)
from app.auth.schemas import Token
from app.auth.tokens import create_access_token
from app.deps import SessionDep, SettingsDep
from app.errors import (
    BODY_ERRORS,
    DATABASE_ERRORS,
    Conflict,
    Overloaded,
    TooManyRequests,
    Unauthorized,
    error_responses,
)
from app.users import service as users_service
from app.users.models import User
from app.users.schemas import UserCreate, UserRead

router = APIRouter(
    prefix="/auth",
    tags=["auth"],
    lifespan=login_limiter_lifespan,
    responses=error_responses(*BODY_ERRORS),
)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    # 409 tells a caller the address has an account: sign-up cannot hide that without
    # e-mail verification (see the README). Sign-in (below) reveals nothing.
    responses=error_responses(Conflict, TooManyRequests, *DATABASE_ERRORS, Overloaded),
)
async def register(
    data: UserCreate,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: RegisterLimiterDep,
) -> User:
    """Sign up. After REGISTER_RATE_LIMIT sign-ups from one IP (a taken address counts
    too), answers 429 (with Retry-After) until the oldest leaves the window; 503 (with
    Retry-After) when too many passwords wait to be hashed."""
    key = (client_address(request),)
    if (retry_after := limiter.retry_after(key)) is not None:
        msg = "Too many sign-ups: try again later"
        raise TooManyRequests(msg, retry_after=retry_after)
    # Every sign-up counts, before the first await (so a burst cannot pass the limit).
    limiter.record_failure(key)
    try:
        return await users_service.create_user(session=session, data=data, settings=settings)
    except BaseException as exc:
        # A 409 cost a hash and told whether the address has an account: it counts. A
        # sign-up that did no work (database down, hashing queue full, client gone) does not.
        if not isinstance(exc, Conflict):
            limiter.withdraw_failure(key)
        raise


@router.post(
    "/token",
    responses=error_responses(Unauthorized, TooManyRequests, *DATABASE_ERRORS, Overloaded),
)
async def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LoginLimiterDep,
    ip_limiter: LoginIpLimiterDep,
) -> Token:
    """OAuth2 password flow: `username` is the e-mail address.

    After LOGIN_RATE_LIMIT failed attempts from one IP for one address, or
    LOGIN_IP_RATE_LIMIT from one IP for any addresses, answers 429 (with Retry-After)
    until the oldest failure leaves the window; 503 (with Retry-After) when too many
    passwords wait to be hashed.
    """
    ip_key = (client_address(request),)
    key = (ip_key[0], login_address(form.username))
    retry_after = longest_wait(limiter.retry_after(key), ip_limiter.retry_after(ip_key))
    if retry_after is not None:
        msg = "Too many failed sign-in attempts: try again later"
        raise TooManyRequests(msg, retry_after=retry_after)
    # Counted as a failure before the first await, and forgotten on success: concurrent
    # attempts for one key each see the ones before them, so a burst cannot pass the limit.
    limiter.record_failure(key)
    ip_limiter.record_failure(ip_key)
    try:
        user = await service.authenticate(
            session=session, email=form.username, password=form.password, settings=settings
        )
    except BaseException as exc:
        # Only a wrong e-mail or password counts: a database outage (503) or a client
        # that went away must not lock the right password out once things recover.
        if not isinstance(exc, Unauthorized):
            limiter.withdraw_failure(key)
            ip_limiter.withdraw_failure(ip_key)
        raise
    limiter.reset(key)
    # The IP's earlier failures stay: one account of its own must not let a client clear
    # its count between guesses at the others.
    ip_limiter.withdraw_failure(ip_key)
    # RFC 6749 5.1: no cache (browser, proxy) may keep a response holding a token.
    response.headers["Cache-Control"] = "no-store"
    return Token(access_token=create_access_token(subject=str(user.id), settings=settings))
