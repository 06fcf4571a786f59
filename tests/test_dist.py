"""The wheel users install carries the template and nothing local, and creates projects."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from newapi import __version__
from newapi._create import find_uv
from tests.conftest import REPO_ROOT, git

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    uv = find_uv()
    assert uv is not None
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(out), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("newapi-*.whl"))


def test_wheel_holds_the_template_and_no_local_junk(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()

    assert "newapi/_template/copier.yml" in names
    assert "newapi/_template/template/app/factory.py" in names
    assert "newapi/_template/CHANGELOG.md" in names
    assert "newapi/suite_imports.txt" in names  # what create compiles after installing
    junk = [n for n in names if any(p in n for p in ("/.venv/", "__pycache__", ".pyc"))]
    assert junk == []
    assert not [n for n in names if n.endswith("/.env")]


def test_installed_wheel_creates_a_project_from_its_bundled_template(
    wheel: Path, tmp_path: Path
) -> None:
    uv = find_uv()
    assert uv is not None
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=env)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)],
        check=True,
        env=env,
    )

    created = subprocess.run(
        [str(venv / "bin" / "newapi"), "create", "svc", "--defaults", "--no-install", "--no-git"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )

    assert created.returncode == 0, created.stdout + created.stderr
    project = tmp_path / "svc"
    assert (project / "app" / "factory.py").is_file()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == "https://github.com/newapi-dev/newapi.git"
    assert answers["_commit"] == f"v{__version__}"


def release_copy(root: Path) -> Path:
    """A git copy of this repository with releases v0.1.0 and v0.2.0 of the template.

    Its canonical source is an address that never resolves, so the installed CLI can only
    reach the template's versions through the history bundled in its wheel.
    """
    repo = root / "newapi"
    shutil.copytree(
        REPO_ROOT,
        repo,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".ci-venv", ".nox", "__pycache__", "*.pyc", ".*_cache", "dist"
        ),
    )
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'Source = "https://github.com/newapi-dev/newapi.git"', f'Source = "{UNREACHABLE}"'
        )
    )
    init = repo / "src" / "newapi" / "__init__.py"
    init.write_text(re.sub(r'__version__ = "[^"]+"', '__version__ = "0.1.0"', init.read_text()))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "release 0.1.0")
    git(repo, "tag", "v0.1.0")
    (repo / "template" / "NOTES.md").write_text("Added in 0.2.0\n")
    changelog = repo / "CHANGELOG.md"
    head, _, rest = changelog.read_text().partition("\n## ")
    changelog.write_text(f"{head}\n## 0.2.0\n\n- Adds NOTES.md.\n\n## {rest}")
    init.write_text(init.read_text().replace('"0.1.0"', '"0.2.0"'))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "release 0.2.0")
    git(repo, "tag", "v0.2.0")
    return repo


UNREACHABLE = "https://newapi.invalid/newapi.git"


def test_upgrading_the_cli_is_enough_to_update_offline(tmp_path: Path) -> None:
    uv = find_uv()
    assert uv is not None
    repo = release_copy(tmp_path)
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(repo)],
        check=True,
        capture_output=True,
    )
    wheel = next((tmp_path / "dist").glob("newapi-0.2.0-*.whl"))
    assert "newapi/_template/template-history.bundle" in zipfile.ZipFile(wheel).namelist()
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=env)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)],
        check=True,
        env=env,
    )
    newapi = str(venv / "bin" / "newapi")

    def run(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [newapi, *args], cwd=cwd, capture_output=True, text=True, check=False, env=env
        )

    created = run("create", "svc", "--defaults", "--no-install", "--vcs-ref", "v0.1.0")
    project = tmp_path / "svc"
    check = run("check", "--json", cwd=project)
    updated = run("update", "--defaults", cwd=project)

    assert created.returncode == 0, created.stdout + created.stderr
    assert check.returncode == 1, check.stdout + check.stderr
    assert json.loads(check.stdout) | {"project": None} == {
        "project": None,
        "source": UNREACHABLE,
        "current": "v0.1.0",
        "latest": "v0.2.0",
        "behind": True,
        "ahead": False,
        "offline": True,
    }
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "Adds NOTES.md." in updated.stdout
    assert (project / "NOTES.md").read_text() == "Added in 0.2.0\n"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == UNREACHABLE
    assert answers["_commit"] == "v0.2.0"
