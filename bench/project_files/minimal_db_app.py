"""A tutorial-style baseline: a module-level app, engine and session maker, no middleware,
no settings, no error handling; the same queries and the same JSON as the service.

`/health` runs `SELECT 1`; `/todos/{todo_id}` reads the todo and answers it as the
service's `TodoRead` schema does.
"""

import os
from typing import Any

from fastapi import FastAPI, HTTPException
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.dialect import normalise_database_url
from app.todos.models import Todo
from app.todos.schemas import TodoRead

engine = create_async_engine(normalise_database_url(os.environ["DATABASE_URL"]))
Session = async_sessionmaker(engine, expire_on_commit=False)
app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    async with Session() as session:
        await session.execute(text("SELECT 1"))
    return {"status": "healthy", "db": "connected"}


@app.get("/todos/{todo_id}")
async def read_todo(todo_id: int) -> dict[str, Any]:
    async with Session() as session:
        todo = await session.get(Todo, todo_id)
    if todo is None:
        raise HTTPException(status_code=404)
    return TodoRead.model_validate(todo).model_dump(mode="json")
