"""`/auth`: sign up, and trade an e-mail and password for an access token."""

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import service
from app.auth.schemas import Token
from app.auth.tokens import create_access_token
from app.deps import SessionDep, SettingsDep
from app.users import service as users_service
from app.users.models import User
from app.users.schemas import UserCreate, UserRead

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses={status.HTTP_409_CONFLICT: {"description": "The e-mail address is taken"}},
)
async def register(data: UserCreate, session: SessionDep, settings: SettingsDep) -> User:
    return await users_service.create_user(session=session, data=data, settings=settings)


@router.post("/token", responses={status.HTTP_401_UNAUTHORIZED: {"description": "Bad credentials"}})
async def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """OAuth2 password flow: `username` is the e-mail address."""
    user = await service.authenticate(
        session=session, email=form.username, password=form.password, settings=settings
    )
    return Token(access_token=create_access_token(subject=str(user.id), settings=settings))
