from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.database import UtcDatetime
from app.users.models import EMAIL_MAX_LENGTH

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def _lower(value: str) -> str:
    lowered = value.lower()
    # Lower-casing can lengthen text ("İ" becomes two characters): check the length again.
    if len(lowered) > EMAIL_MAX_LENGTH:
        msg = f"an e-mail address has at most {EMAIL_MAX_LENGTH} characters"
        raise ValueError(msg)
    return lowered


# A light check (one "@", a dot in the domain, no spaces or NUL): the real test is a
# confirmation e-mail.
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=EMAIL_MAX_LENGTH,
        pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$",
    ),
    AfterValidator(_lower),
]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    created_at: UtcDatetime
