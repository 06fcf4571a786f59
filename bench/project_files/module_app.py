"""The factory's serving baseline: the same service, its app built once at import.

`uvicorn bench_module_app:app` serves what `uvicorn app.factory:create_app --factory`
serves, from the same environment: only when and where the app is built differs, so
the two side by side measure what the factory pattern costs at request time.
"""

from app.factory import create_app

app = create_app()
