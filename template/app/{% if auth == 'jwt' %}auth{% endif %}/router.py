"""`/auth`: sign up, and trade an e-mail and password for an access token."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import service
from app.auth.rate_limit import (
    LoginLimiterDep,
    client_address,
    login_address,
    login_limiter_lifespan,
)
from app.auth.schemas import Token
from app.auth.tokens import create_access_token
from app.deps import SessionDep, SettingsDep
from app.errors import BODY_ERRORS, Conflict, TooManyRequests, Unauthorized, error_responses
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
    responses=error_responses(Conflict),
)
async def register(data: UserCreate, session: SessionDep, settings: SettingsDep) -> User:
    return await users_service.create_user(session=session, data=data, settings=settings)


@router.post("/token", responses=error_responses(Unauthorized, TooManyRequests))
async def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LoginLimiterDep,
) -> Token:
    """OAuth2 password flow: `username` is the e-mail address.

    After LOGIN_RATE_LIMIT failed attempts from one IP for one address, answers 429
    (with Retry-After) until the oldest failure leaves the window.
    """
    key = (client_address(request), login_address(form.username))
    if (retry_after := limiter.retry_after(key)) is not None:
        msg = "Too many failed sign-in attempts: try again later"
        raise TooManyRequests(msg, retry_after=retry_after)
    # Counted as a failure before the first await, and forgotten on success: concurrent
    # attempts for one key each see the ones before them, so a burst cannot pass the limit.
    limiter.record_failure(key)
    try:
        user = await service.authenticate(
            session=session, email=form.username, password=form.password, settings=settings
        )
    except BaseException as exc:
        # Only a wrong e-mail or password counts: a database outage (503) or a client
        # that went away must not lock the right password out once things recover.
        if not isinstance(exc, Unauthorized):
            limiter.withdraw_failure(key)
        raise
    limiter.reset(key)
    # RFC 6749 5.1: no cache (browser, proxy) may keep a response holding a token.
    response.headers["Cache-Control"] = "no-store"
    return Token(access_token=create_access_token(subject=str(user.id), settings=settings))
