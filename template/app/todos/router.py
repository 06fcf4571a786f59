"""`/todos`: create, list (paginated), read, update and delete todos."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.deps import SessionDep
from app.errors import error_body
from app.todos import service
from app.todos.dependencies import ValidTodo
from app.todos.models import Todo
from app.todos.ownership import OwnershipDep
from app.todos.schemas import TodoCreate, TodoPage, TodoRead, TodoUpdate
from app.webhooks import WebhooksDep

MAX_PAGE_SIZE = 100
MAX_OFFSET = 1_000_000

router = APIRouter(prefix="/todos", tags=["todos"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"description": "No such todo (or not yours)"}
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TodoRead)
async def create_todo(data: TodoCreate, session: SessionDep, ownership: OwnershipDep) -> Todo:
    return await service.create_todo(session=session, ownership=ownership, data=data)


@router.get("")
async def list_todos(
    session: SessionDep,
    ownership: OwnershipDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> TodoPage:
    """A page of todos, oldest first: `items`, the `total` count, and the page bounds."""
    todos, total = await service.list_todos(
        session=session, ownership=ownership, limit=limit, offset=offset
    )
    items = [TodoRead.model_validate(todo) for todo in todos]
    return TodoPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{todo_id}", response_model=TodoRead, responses=_NOT_FOUND)
async def read_todo(todo: ValidTodo) -> Todo:
    return todo


@router.patch(
    "/{todo_id}",
    response_model=TodoRead,
    responses={
        **_NOT_FOUND,
        status.HTTP_502_BAD_GATEWAY: {
            "description": "The webhook receiver failed; the change was not saved",
            "content": {
                "application/json": {
                    "example": error_body("The webhook receiver answered 503", "upstream_error")
                }
            },
        },
    },
)
async def update_todo(
    todo: ValidTodo, changes: TodoUpdate, session: SessionDep, webhooks: WebhooksDep
) -> Todo:
    """Change the fields sent; marking a todo done notifies WEBHOOK_URL when it is set."""
    return await service.update_todo(session=session, todo=todo, changes=changes, webhooks=webhooks)


@router.delete("/{todo_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NOT_FOUND)
async def delete_todo(todo: ValidTodo, session: SessionDep) -> Response:
    await service.delete_todo(session=session, todo=todo)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
