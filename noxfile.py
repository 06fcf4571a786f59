# /// script
# dependencies = ["nox>=2025.2.9"]
# ///
"""Development sessions for newapi. `nox -l` lists them; slow ones are opt-in (`nox -s NAME`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
PYTHONS = ["3.11", "3.12", "3.13"]

sys.path.insert(0, str(ROOT))
from tests.combinations import RUN_COMBINATIONS, combination_id  # noqa: E402

# One `generated` session per run-level combination: `nox -s "generated(db:sqlite-...)"`.
RUN_IDS = [combination_id(c) for c in RUN_COMBINATIONS]


def _runs(command: str) -> bool:
    try:
        return (
            subprocess.run([command, "--version"], capture_output=True, check=False).returncode == 0
        )
    except OSError:
        return False


def available_pythons() -> list[str]:
    """Supported versions with a working interpreter on this machine (never downloaded).

    pyenv's shims answer for every installed version but fail for inactive ones, so the
    real interpreters under pyenv's versions folder go first on PATH.
    """
    pyenv_versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for version in PYTHONS:
        for interpreter in sorted(pyenv_versions.glob(f"{version}.*/bin/python{version}")):
            os.environ["PATH"] = f"{interpreter.parent}{os.pathsep}{os.environ['PATH']}"
    found = [v for v in PYTHONS if shutil.which(f"python{v}") and _runs(f"python{v}")]
    return found or [f"{sys.version_info.major}.{sys.version_info.minor}"]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy on newapi's own code (the template is checked through rendered output)."""
    session.install("-e", ".[test]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(python=available_pythons())
def tests(session: nox.Session) -> None:
    """The fast tier: CLI, render and deploy-file checks for every option combination."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "not slow", *session.posargs)


@nox.session(default=False)
@nox.parametrize("combination", RUN_IDS, ids=RUN_IDS)
def generated(session: nox.Session, combination: str) -> None:
    """One run-level combination: render it into a temp dir, uv sync, ruff, mypy, its pytest."""
    session.install("-e", ".[test]")
    session.run(
        "pytest", "-m", "slow", "--combination", combination, *session.posargs,
        env={"UV_PYTHON_DOWNLOADS": "never"},
    )  # fmt: skip


@nox.session(default=False)
def slow(session: nox.Session) -> None:
    """The whole slow tier: every run-level combination plus the container-less smoke test,
    resilience, wheel and update tests (what .ci/run and the nightly CI run)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "slow", *session.posargs, env={"UV_PYTHON_DOWNLOADS": "never"})


@nox.session(default=False)
def update(session: nox.Session) -> None:
    """Updates across template versions: newapi update/check, plain copier update, offline."""
    session.install("-e", ".[test]")
    session.run("pytest", "tests/test_update.py", "tests/test_dist.py", *session.posargs)


@nox.session(default=False)
def sample(session: nox.Session) -> None:
    """Render every run-level combination into a folder (default: samples/) for review."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "tests.render_samples", *(session.posargs or ["samples"]))


def is_local_junk(name: str) -> bool:
    """A path in the wheel or sdist that came from a developer's checkout, not the project."""
    parts = name.split("/")
    return (
        ".venv" in parts
        or "__pycache__" in parts
        or name.endswith(".pyc")
        or parts[-1] == ".env"  # .env.example(.jinja) is template content, not junk
    )


@nox.session(default=False)
def dist(session: nox.Session) -> None:
    """Build the wheel and sdist; check the template is inside and no local junk is."""
    session.install("build")
    out = Path(session.create_tmp()) / "dist"
    shutil.rmtree(out, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(out), str(ROOT))
    wheel = next(out.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    required = [
        "newapi/_template/copier.yml",
        "newapi/_template/template/app/factory.py",
        "newapi/suite_imports.txt",
    ]
    missing = [n for n in required if n not in names]
    junk = [n for n in names if is_local_junk(n)]
    if missing or junk:
        session.error(f"wheel {wheel.name}: missing {missing}, unexpected {junk}")
    session.log(f"{wheel.name}: {len(names)} files, template bundled, no local junk")

    sdist = next(out.glob("*.tar.gz"))
    with tarfile.open(sdist) as archive:
        members = [m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name]
    required = ["copier.yml", "template/app/factory.py", "template/.env.example.jinja"]
    missing = [n for n in required if n not in members]
    junk = [n for n in members if is_local_junk(n)]
    if missing or junk:
        session.error(f"sdist {sdist.name}: missing {missing}, unexpected {junk}")
    session.log(f"{sdist.name}: {len(members)} files, template bundled, no local junk")


@nox.session(default=False)
def lock(session: nox.Session) -> None:
    """Rewrite template/uv.lock.jinja from `uv lock` runs of every dependency combination.

    Run it after changing the template's dependencies (uv keeps the other versions);
    `nox -s lock -- --upgrade` moves every package to its newest release.
    """
    session.install("-e", ".[test]")
    session.run("python", "scripts/lock_template.py", *session.posargs)


@nox.session(name="suite-imports", default=False)
def suite_imports(session: nox.Session) -> None:
    """Rewrite src/newapi/suite_imports.txt: the installed modules new projects' tests import.

    `newapi create` compiles them to bytecode after installing. Run it after `nox -s lock`
    (it creates a project per database x auth x redis answer and runs its tests).
    """
    session.install("-e", ".[test]")
    session.run("python", "scripts/list_suite_imports.py", env={"UV_PYTHON_DOWNLOADS": "never"})


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """The benchmark suite (bench/): prints a table and writes BENCHMARKS.md.

    `nox -s bench -- --quick` for fewer runs, `-- --only startup,create` for a subset,
    `-- --help` for every option. Never a timed test: run it on a quiet machine.
    """
    # Compile .pyc at install, as pip does for users: this machine sets PYTHONDONTWRITEBYTECODE,
    # and without .pyc every timed process would compile its imports from source.
    session.install("-e", ".[test]", env={"UV_COMPILE_BYTECODE": "1"})
    session.run("python", "-m", "bench", *session.posargs, env={"UV_PYTHON_DOWNLOADS": "never"})
