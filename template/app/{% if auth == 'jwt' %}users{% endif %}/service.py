"""User accounts on a session: look-up and sign-up."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.passwords import hash_password_in_thread
from app.errors import Conflict
from app.settings import Settings
from app.users.models import User
from app.users.schemas import UserCreate


async def get_user(*, session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_email(*, session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def create_user(*, session: AsyncSession, data: UserCreate, settings: Settings) -> User:
    """Create an account; `Conflict` when the e-mail address is taken."""
    hashed_password = await hash_password_in_thread(data.password, settings)
    user = User(email=data.email, hashed_password=hashed_password)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        # The unique index decides, so two simultaneous sign-ups cannot both win.
        await session.rollback()
        msg = "A user with this e-mail address already exists"
        raise Conflict(msg) from exc
    return user
