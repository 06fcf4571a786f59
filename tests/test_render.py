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

from tests.combinations import ALL_COMBINATIONS, params
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
    assert (project / "app" / "auth").exists() == (answers["auth"] == "jwt")
    assert (project / "app" / "users").exists() == (answers["auth"] == "jwt")
    for always in ("Dockerfile", "compose.yaml", "pyproject.toml", "README.md", "alembic.ini"):
        assert (project / always).is_file(), always
    if answers["auth"] == "none":
        python = "\n".join(p.read_text() for p in project.rglob("*.py"))
        for auth_only in ("import jwt", "pwdlib", "app.auth", "app.users", "CurrentUser"):
            assert auth_only not in python, auth_only
        dependencies = " ".join(
            tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]
        )
        assert "pyjwt" not in dependencies.lower()


@pytest.mark.parametrize("answers", params(ALL_COMBINATIONS))
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
    answers = {"auth": "none", "deploy": ["railway"], "ci": "none", "description": "Tracks it"}
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
