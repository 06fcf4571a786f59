"""`/users`: the signed-in user's account."""

from fastapi import APIRouter

from app.deps import CurrentUser
from app.errors import Unauthorized, error_responses
from app.users.models import User
from app.users.schemas import UserRead

router = APIRouter(prefix="/users", tags=["users"], responses=error_responses(Unauthorized))


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser) -> User:
    return user
