"""`create_app()`: build the ASGI app from settings.

Served with `uvicorn app.factory:create_app --factory`; tests call it with their own
settings. Nothing here runs at import time.
"""

from fastapi import FastAPI

from app.about import about
from app.errors import DATABASE_ERRORS, error_responses, register_error_handlers
from app.lifespan import lifespan
from app.logs import configure_logging
from app.middleware import configure_middleware
from app.routers import ROUTERS
from app.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; without `settings`, read them from the environment and `.env`."""
    if settings is None:
        settings = Settings()
    configure_logging(settings)
    project = about()
    docs = settings.docs_enabled
    app = FastAPI(
        title=project.name,
        version=project.version,
        description=project.description,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    configure_middleware(app, settings)
    register_error_handlers(app)
    for router in ROUTERS:
        # Any route can find the database down; /health documents its own 503.
        app.include_router(router, responses=error_responses(*DATABASE_ERRORS))
    return app
