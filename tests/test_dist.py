"""The wheel users install carries the template and nothing local, and creates projects."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from newapi import __version__
from newapi._create import find_uv
from tests.conftest import REPO_ROOT

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
