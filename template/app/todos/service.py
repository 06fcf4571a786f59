"""Todo operations on a session; routes call these, tests may too (no HTTP needed)."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound, UpstreamError
from app.todos.models import Todo
from app.todos.ownership import Ownership
from app.todos.schemas import TodoCreate, TodoRead, TodoUpdate
from app.webhooks import WebhookSender

TODO_COMPLETED = "todo.completed"


async def create_todo(*, session: AsyncSession, ownership: Ownership, data: TodoCreate) -> Todo:
    todo = Todo(title=data.title)
    ownership.claim(todo)
    session.add(todo)
    await session.commit()
    return todo


async def list_todos(
    *, session: AsyncSession, ownership: Ownership, limit: int, offset: int
) -> tuple[Sequence[Todo], int]:
    """Return one page of todos, oldest first, and the total count."""
    visible = ownership.visible(Todo)
    total = await session.scalar(select(func.count()).select_from(Todo).where(visible))
    page = await session.scalars(
        select(Todo).where(visible).order_by(Todo.id).limit(limit).offset(offset)
    )
    return page.all(), total or 0


async def get_todo(*, session: AsyncSession, ownership: Ownership, todo_id: int) -> Todo | None:
    return await session.scalar(select(Todo).where(Todo.id == todo_id, ownership.visible(Todo)))


async def update_todo(
    *, session: AsyncSession, todo: Todo, changes: TodoUpdate, webhooks: WebhookSender
) -> Todo:
    """Apply the fields `changes` sets; completing a todo sends the `todo.completed` webhook.

    The webhook goes out before the commit: if the receiver fails, nothing is saved
    and the caller gets a 502, so retrying the same request is safe. Commits the session:
    call it with nothing else pending.
    """
    if not changes.done or todo.done:
        return await _apply(session=session, todo=todo, changes=changes, webhooks=webhooks)
    todo_id = todo.id
    # End the read that found the todo (its connection goes back to the pool), then wait
    # for a delivery slot holding nothing: the slot holds a connection and the row's lock
    # (SQLite's: the whole database's write lock) for as long as the receiver takes.
    await session.commit()
    async with webhooks.delivery_slot():
        # Lock the row and read it again: of two requests completing one todo at once,
        # the second waits for the first to commit, sees it done, and sends no webhook.
        # (SQLite ignores FOR UPDATE, but there every transaction begins by taking the
        # database's write lock: the second waits for the first all the same, up to 5 s.)
        # It may also be gone by now (deleted while this request waited).
        locked = await session.scalar(
            select(Todo)
            .where(Todo.id == todo_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if locked is None:
            msg = f"Todo {todo_id} not found"
            raise NotFound(msg)
        return await _apply(session=session, todo=locked, changes=changes, webhooks=webhooks)


async def _apply(
    *, session: AsyncSession, todo: Todo, changes: TodoUpdate, webhooks: WebhookSender
) -> Todo:
    was_done = todo.done
    for field, value in changes.model_dump(exclude_unset=True).items():
        setattr(todo, field, value)
    if todo.done and not was_done:
        await session.flush()
        try:
            data = TodoRead.model_validate(todo).model_dump(mode="json")
            await webhooks.send(TODO_COMPLETED, data)
        except UpstreamError:
            await session.rollback()
            raise
    await session.commit()
    return todo


async def delete_todo(*, session: AsyncSession, todo: Todo) -> None:
    await session.delete(todo)
    await session.commit()
