from datetime import datetime

from sqlalchemy import DateTime, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base
from app.todos.ownership import Owned

TITLE_MAX_LENGTH = 200


class Todo(Owned, Base):
    __tablename__ = "todos"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    done: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Filled in by the database; SQLAlchemy reads it back in the INSERT's RETURNING clause.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
