"""`GET /health`: is the service up, and can it reach its database?"""

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.deps import SessionDep

# Short enough for a load balancer's probe; a slower database counts as disconnected.
DATABASE_CHECK_TIMEOUT_SECONDS = 2.0

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["healthy", "degraded"]
    db: Literal["connected", "disconnected"]


@router.get(
    "/health",
    response_model=Health,
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": Health}},
)
async def health(session: SessionDep) -> JSONResponse:
    """200 when `SELECT 1` succeeds in time, 503 otherwise."""
    try:
        async with asyncio.timeout(DATABASE_CHECK_TIMEOUT_SECONDS):
            await session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError):
        logger.warning("Health check: database unreachable", exc_info=True)
        degraded = Health(status="degraded", db="disconnected")
        return JSONResponse(degraded.model_dump(), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    return JSONResponse(Health(status="healthy", db="connected").model_dump())
