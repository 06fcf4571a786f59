"""Checking credentials."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.passwords import hash_password_in_thread, verify_password_in_thread
from app.errors import Unauthorized
from app.settings import Settings
from app.users.models import User
from app.users.service import get_user_by_email

# One message for both failures, so the answer does not reveal which e-mails have accounts.
BAD_CREDENTIALS = "Incorrect e-mail or password"


async def authenticate(
    *, session: AsyncSession, email: str, password: str, settings: Settings
) -> User:
    # No account can have a NUL in its address (the Email type refuses it), and the
    # database could not compare one: such an address is simply unknown.
    user = None if "\x00" in email else await get_user_by_email(session=session, email=email)
    # End the read's transaction before hashing, so its connection goes back to the pool
    # (the session keeps `user` loaded: expire_on_commit=False). Hashing waits for one of
    # two threads: a flood of sign-ins would otherwise hold every pooled connection while
    # it queues for the CPU, and /health and every other route would time out.
    await session.commit()
    if user is None:
        # Hash anyway, so an unknown e-mail takes as long to refuse as a wrong password.
        await hash_password_in_thread(password, settings)
        raise Unauthorized(BAD_CREDENTIALS)
    if not await verify_password_in_thread(password, user.hashed_password, settings):
        raise Unauthorized(BAD_CREDENTIALS)
    return user
