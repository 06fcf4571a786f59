from typing import Annotated

from fastapi import Depends, Path

from app.deps import SessionDep
from app.errors import NotFound
from app.todos import service
from app.todos.models import Todo
from app.todos.ownership import OwnershipDep

# PostgreSQL's integer range: larger ids cannot exist, so they are a 422, not a 500.
TodoId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def valid_todo_id(todo_id: TodoId, session: SessionDep, ownership: OwnershipDep) -> Todo:
    """The todo in the path, if the caller may see it; 404 otherwise (even if it exists)."""
    todo = await service.get_todo(session=session, ownership=ownership, todo_id=todo_id)
    if todo is None:
        msg = f"Todo {todo_id} not found"
        raise NotFound(msg)
    return todo


ValidTodo = Annotated[Todo, Depends(valid_todo_id)]
