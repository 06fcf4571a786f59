"""newapi: generate production-shaped FastAPI services from a Copier template."""

__version__ = "0.1.0"

__all__ = ["__version__"]
