from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from app.database import UtcDatetime
from app.todos.models import TITLE_MAX_LENGTH

# A title shows something: at least one character that is not whitespace, and no NUL
# anywhere (PostgreSQL's text cannot hold one). It is checked on the text as sent, so the
# OpenAPI schema states exactly what is accepted; the surrounding whitespace is dropped
# after. The whitespace is spelled out (what str.strip() removes) because regex engines
# disagree on `\s`: pydantic's, Schemathesis' and a client's must all read it alike.
VISIBLE_TEXT = (
    r"^[^\x00]*"
    r"[^\x00\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    r"[^\x00]*$"
)
Title = Annotated[
    str,
    StringConstraints(max_length=TITLE_MAX_LENGTH, pattern=VISIBLE_TEXT),
    AfterValidator(str.strip),
]


class TodoCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title


class TodoUpdate(BaseModel):
    """A partial update: fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    # None stands for "left out" here; the OpenAPI schema does not offer null, which
    # the validator below refuses (generated clients would otherwise send it).
    title: Title | SkipJsonSchema[None] = None
    done: bool | SkipJsonSchema[None] = None

    @field_validator("title", "done", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Omitting a field keeps it; sending null is a mistake, not "erase".
        if value is None:
            msg = "may be left out, but not null"
            raise ValueError(msg)
        return value


class TodoRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    done: bool
    created_at: UtcDatetime


class TodoPage(BaseModel):
    """One page of todos, oldest first, and how many there are in all."""

    items: list[TodoRead]
    total: int
    limit: int
    offset: int
