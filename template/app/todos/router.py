"""`/todos`: create, list (paginated), read, update and delete todos."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.deps import SessionDep
from app.errors import BODY_ERRORS, NotFound, UpstreamError, error_responses
from app.todos import service
from app.todos.dependencies import ValidTodo
from app.todos.models import Todo
from app.todos.ownership import ACCESS_ERRORS, OwnershipDep
from app.todos.schemas import TodoCreate, TodoPage, TodoRead, TodoUpdate
from app.webhooks import WebhooksDep

MAX_PAGE_SIZE = 100
MAX_OFFSET = 1_000_000

# Every error a route can answer is in the OpenAPI schema (tests/api/test_schema_fuzz.py
# holds the routes to it); ACCESS_ERRORS is 401 with JWT auth, nothing for an open API.
router = APIRouter(prefix="/todos", tags=["todos"], responses=error_responses(*ACCESS_ERRORS))
_NOT_FOUND = error_responses(NotFound)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TodoRead,
    responses=error_responses(*BODY_ERRORS),
)
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
    responses=error_responses(NotFound, *BODY_ERRORS, UpstreamError),
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
