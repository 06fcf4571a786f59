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


async def get_current_user(
    token: Annotated[str | None, Depends(oauth2_scheme)],
    session: Annotated[AsyncSession, Depends(get_session)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> User:
    if token is None:
        msg = "Not authenticated"
        raise Unauthorized(msg)
    subject = read_access_token(token, settings)
    user = await get_user(session=session, user_id=int(subject)) if subject.isdigit() else None
    if user is None:
        msg = "Could not validate credentials"
        raise Unauthorized(msg)
    return user
