"""Schemathesis: requests generated from the OpenAPI schema, every answer checked against it.

For each operation, Hypothesis sends valid and invalid requests (a fixed, small number,
derandomized so every run sends the same ones) and Schemathesis checks each response:
no 5xx, only the status codes the schema documents, bodies and headers that match it.

The requests go through `todos_client`
(signed in with JWT auth, so the todo routes are reached beyond 401), whose session is
rolled back after the test. Random ids name no row, so item routes would only ever
answer 404: half of the generated ids are replaced by a row made for the example
(`SEEDS`; add a new domain's there). Schemathesis' own ASGI transport would run the app's
lifespan again in an event loop of its own, where this test's database session cannot
be used: so the requests go through the TestClient and `case.validate_response` checks
what comes back. Skip these tests with `-m "not fuzz"`.
"""

import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from app.factory import create_app
from tests.helpers import make_settings

pytestmark = pytest.mark.fuzz

# Random requests per operation: enough to find the usual mistakes in a second on every
# run. Schemathesis' "coverage" phase adds every boundary and wrong-type value the schema
# implies, which almost doubles the time these tests take: it runs in CI
# (.github/workflows/ci.yml), with 100 random requests per operation. The same deep run:
#   FUZZ_PHASES=examples,coverage,fuzzing FUZZ_EXAMPLES=100 uv run pytest -m fuzz
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing").split(",")


# Read once, at collection, from an app built for it: `create_app` touches no database
# and the schema does not depend on the settings. The requests go to each test's own app.
# (`schemathesis.pytest.from_fixture` would read it from the `app` fixture, but its lazy
# loader does not work on pytest 9.2.)
schema = schemathesis.openapi.from_dict(create_app(make_settings()).openapi())
schema.config.phases.update(phases=PHASES)
# Strings of any characters but lone surrogates (which JSON can carry and the app answers
# with 422). Schemathesis' default, codec="utf-8", rules out the same characters, but
# Hypothesis first encodes all 1.1 million code points to find them: about a second on
# every new checkout (then cached in .hypothesis/).
schema.config.generation.codec = None


def as_httpx_arguments(transport_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The requests-style arguments Schemathesis builds, as httpx (TestClient) takes them."""
    arguments = dict(transport_kwargs)
    if isinstance(arguments.get("data"), bytes | str):
        arguments["content"] = arguments.pop("data")  # raw bodies are `content` in httpx
    if not arguments.get("cookies"):
        arguments.pop("cookies", None)  # per-request cookies are deprecated in httpx
    return arguments


def seed_todo(client: TestClient) -> int:
    created = client.post("/todos", json={"title": "Made for the example"})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


# Path parameters that name a row, and how to make one through the API.
SEEDS: dict[str, Callable[[TestClient], int]] = {"todo_id": seed_todo}


def reach_existing_rows(case: schemathesis.Case[Any], client: TestClient) -> None:
    """Point each even generated id at a row made for it; odd ones stay (404)."""
    for name, seed in SEEDS.items():
        value = (case.path_parameters or {}).get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0:
            assert case.path_parameters is not None
            case.path_parameters[name] = seed(client)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # The client (and its rolled-back session) is shared by the examples of one test.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_as_its_schema_says(
    case: schemathesis.Case[Any], todos_client: TestClient
) -> None:
    reach_existing_rows(case, todos_client)
    response = todos_client.request(**as_httpx_arguments(case.as_transport_kwargs()))

    case.validate_response(response)
