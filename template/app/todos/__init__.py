"""Todos: the example domain (router, schemas, models, service, dependencies)."""
