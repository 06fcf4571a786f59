"""Slow tier: create projects with the real CLI and run their own tool chain in them.

Each run-level combination is created once (uv lock + uv sync through `newapi create`),
then checked with the project's own ruff, mypy and pytest, exactly as its README says.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newapi._create import find_uv
from newapi.cli import app
from tests.combinations import RUN_COMBINATIONS, combination_id, params

pytestmark = pytest.mark.slow

_created: dict[str, Path] = {}


def uv() -> str:
    found = find_uv()
    assert found is not None, "uv is a dependency of newapi"
    return found


def project_env() -> dict[str, str]:
    """The environment a user's shell would have: none of our pytest's or venv's variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    for key in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(key, None)
    return env


def run(project: Path, *command: str, env: Mapping[str, str] | None = None) -> str:
    completed = subprocess.run(
        [uv(), "run", "--frozen", *command],
        cwd=project,
        env=dict(env or project_env()),
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"{' '.join(command)} failed:\n{output[-6000:]}"
    return output


@pytest.fixture(scope="module")
def create(traversable_tmp: Callable[[str], Path]) -> Any:
    def make(answers: Mapping[str, Any]) -> Path:
        key = combination_id(dict(answers))
        if key not in _created:
            where = traversable_tmp("generated")
            data: list[str] = []
            for name, value in answers.items():
                shown = "[" + ", ".join(value) + "]" if isinstance(value, list) else value
                data += ["--data", f"{name}={shown}"]
            result = CliRunner().invoke(
                app, ["create", "svc", "--defaults", "--output", str(where / "svc"), *data]
            )
            assert result.exit_code == 0, result.output
            _created[key] = where / "svc"
        return _created[key]

    return make


def passed_count(output: str) -> int:
    match = re.search(r"(\d+) passed", output)
    assert match, output[-3000:]
    assert not re.search(r"\d+ (failed|error)", output), output[-3000:]
    return int(match.group(1))


@pytest.mark.parametrize("answers", params(RUN_COMBINATIONS))
def test_project_is_locked_lint_clean_and_typed(create: Any, answers: dict[str, Any]) -> None:
    project = create(answers)

    assert (project / "uv.lock").is_file()
    assert (project / ".venv").is_dir()
    run(project, "ruff", "check", ".")
    run(project, "ruff", "format", "--check", ".")
    run(project, "mypy")


@pytest.mark.parametrize("answers", params(RUN_COMBINATIONS))
@pytest.mark.parametrize(
    "extra_args",
    [
        pytest.param((), id="plain"),
        pytest.param(("-n", "2"), id="xdist"),
        pytest.param(("-p", "randomly", "-n", "2"), id="random-xdist"),
    ],
)
def test_project_suite_passes_on_embedded_postgres(
    create: Any, answers: dict[str, Any], extra_args: Sequence[str]
) -> None:
    project = create(answers)
    env = project_env()
    env.pop("TEST_DATABASE_URL", None)  # the zero-setup path: an embedded PostgreSQL

    output = run(project, "pytest", *extra_args, env=env)

    assert passed_count(output) >= 20


@pytest.mark.parametrize("answers", params(RUN_COMBINATIONS[:1]))
def test_project_suite_passes_on_an_existing_server(create: Any, answers: dict[str, Any]) -> None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: no existing PostgreSQL server to use")
    project = create(answers)
    env = project_env() | {"TEST_DATABASE_URL": url}

    output = run(project, "pytest", env=env)

    assert passed_count(output) >= 20
