"""`/users`: the signed-in user's account."""

from fastapi import APIRouter

from app.deps import CurrentUser
from app.users.models import User
from app.users.schemas import UserRead

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser) -> User:
    return user
