"""`get_current_user`: the user whose bearer token came with the request."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.tokens import read_access_token
from app.database import get_session
from app.errors import Unauthorized
from app.settings import Settings
from app.state import get_settings
from app.users.models import User
from app.users.service import get_user

# auto_error=False: a missing token gets the same error body as a bad one (below).
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="auth/token", auto_error=False)


# Users' ids are PostgreSQL integers: larger numbers name no one.
MAX_USER_ID = 2**31 - 1


def is_user_id(subject: str) -> bool:
    """Whether a token's subject can be a user's id ("12"; not "²", "-1" or 2**40)."""
    return subject.isascii() and subject.isdigit() and int(subject) <= MAX_USER_ID


async def get_current_user(
    token: Annotated[str | None, Depends(oauth2_scheme)],
    session: Annotated[AsyncSession, Depends(get_session)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> User:
    if token is None:
        msg = "Not authenticated"
        raise Unauthorized(msg)
    subject = read_access_token(token, settings)
    user = await get_user(session=session, user_id=int(subject)) if is_user_id(subject) else None
    if user is None:
        msg = "Could not validate credentials"
        raise Unauthorized(msg)
    return user
