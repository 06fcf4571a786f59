"""Generated projects: create them with the real CLI, run commands in their own venv."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench._core import PROJECT_FILES, BenchError, Config, clean_env, execute, tool
from newapi._create import find_uv

# `newapi create` prints `✓ <step> (1.23 s)` for every step it runs.
_STEP = re.compile(r"^✓ (?P<label>.+) \((?P<seconds>\d+\.\d+) s\)$", re.MULTILINE)
# The project the test-suite and serving benchmarks use: an open API (no sign-in).
OPEN_API: dict[str, Any] = {"auth": "none"}


def uv() -> str:
    found = find_uv()
    if found is None:
        raise BenchError("uv is missing: it is a dependency of newapi")
    return found


def data_flags(answers: Mapping[str, Any]) -> list[str]:
    """`--data KEY=VALUE` flags; lists in the YAML form Copier reads (`[fly, railway]`)."""
    flags: list[str] = []
    for key, value in answers.items():
        shown = "[" + ", ".join(value) + "]" if isinstance(value, list) else str(value)
        flags += ["--data", f"{key}={shown}"]
    return flags


def create_command(name: str, answers: Mapping[str, Any], *options: str) -> list[str]:
    return [tool("newapi"), "create", name, "--defaults", *data_flags(answers), *options]


def step_times(output: str) -> dict[str, float]:
    """The time of each step `newapi create` reported, by its label."""
    return {m["label"]: float(m["seconds"]) for m in _STEP.finditer(output)}


def installed_project(config: Config, database: str = "postgresql") -> Path:
    """An open-API project on `database`, created and installed once per invocation."""
    project = config.workdir / "projects" / f"svc-{database}"
    if not (project / ".venv").is_dir():
        project.parent.mkdir(parents=True, exist_ok=True)
        answers = OPEN_API | {"database": database}
        execute(create_command(project.name, answers, "--no-git"), cwd=project.parent)
    return project


def uv_run(*command: str) -> list[str]:
    """argv running `command` in a project's environment, as its README says (`uv run`)."""
    return [uv(), "run", "--frozen", *command]


def copy_into(project: Path, files: Sequence[tuple[str, str]]) -> None:
    """Copy bench/project_files/<source> to <project>/<target> for each pair."""
    for source, target in files:
        destination = project / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PROJECT_FILES / source, destination)


def project_env(config: Config, **overrides: str) -> dict[str, str]:
    """The environment for a project's commands; TEST_DATABASE_URL with --database-url."""
    extra = {"TEST_DATABASE_URL": config.database_url} if config.database_url else {}
    return clean_env(**extra, **overrides)
