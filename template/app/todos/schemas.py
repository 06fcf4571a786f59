from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from app.database import UtcDatetime
from app.todos.models import TITLE_MAX_LENGTH

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH)
]


class TodoCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title


class TodoUpdate(BaseModel):
    """A partial update: fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    done: bool | None = None

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
