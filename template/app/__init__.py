"""The service's import package: `create_app()` in `app.factory` builds the ASGI app."""
