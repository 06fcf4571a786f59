"""How `newapi create` installs a project: bytecode for what its tests import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from newapi import _bytecode
from newapi._bytecode import compile_suite_imports, project_python, suite_imports
from newapi._create import find_uv


def test_the_list_names_installed_modules_of_the_generated_stack() -> None:
    paths = suite_imports()

    assert len(paths) > 1000
    assert {"fastapi/applications.py", "sqlalchemy/orm/session.py", "asyncpg/__init__.py"} <= {
        *paths
    }
    assert all(p.endswith(".py") and not p.startswith("/") and "\\" not in p for p in paths)


@pytest.fixture
def venv_project(tmp_path: Path) -> tuple[Path, Path]:
    """A uv project with a venv of this interpreter, and that venv's site-packages."""
    uv = find_uv()
    assert uv is not None
    project = tmp_path / "svc"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "svc"\nversion = "0"\nrequires-python = ">=3.10"\n', encoding="utf-8"
    )
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, ".venv"], cwd=project, check=True
    )
    python = project_python(project)
    query = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = subprocess.run(
        [str(python), "-c", query], capture_output=True, text=True, check=True
    ).stdout.strip()
    return project, Path(purelib)


def test_listed_modules_are_compiled_in_the_project_environment(
    venv_project: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, site_packages = venv_project
    (site_packages / "listed").mkdir()
    listed = site_packages / "listed" / "module.py"
    listed.write_text("VALUE = 1\n", encoding="utf-8")
    unlisted = site_packages / "listed" / "other.py"
    unlisted.write_text("VALUE = 2\n", encoding="utf-8")
    listing = tmp_path / "suite_imports.txt"
    listing.write_text("# comment\nlisted/module.py\nnot_installed/module.py\n", encoding="utf-8")
    monkeypatch.setattr(_bytecode, "SUITE_IMPORTS", listing)

    found = compile_suite_imports(project, dict(os.environ))

    assert found == 1  # the one listed module that is installed
    cache = site_packages / "listed" / "__pycache__"
    assert [p.name.split(".")[0] for p in cache.glob("*.pyc")] == ["module"]


def test_a_project_without_an_environment_is_left_as_it_is(tmp_path: Path) -> None:
    assert compile_suite_imports(tmp_path, dict(os.environ)) == 0
    assert list(tmp_path.iterdir()) == []
