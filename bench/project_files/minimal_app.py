"""The serving baseline: a module-level FastAPI app returning the same JSON as the service.

`/health` answers what a healthy service answers; `/todos/{todo_id}` answers $BENCH_TODO
(the JSON of the todo the benchmark created in the service), without any database.
"""

import json
import os
from typing import Any

from fastapi import FastAPI

TODO: dict[str, Any] = json.loads(os.environ.get("BENCH_TODO", "{}"))

app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "healthy", "db": "connected"}


@app.get("/todos/{todo_id}")
async def read_todo(todo_id: int) -> dict[str, Any]:
    return TODO | {"id": todo_id}
