"""The uv.lock a project starts with (template/uv.lock.jinja, written by `nox -s lock`).

It must be current with the project's pyproject.toml for every answer that changes the
dependencies, or `newapi create` would resolve again (seconds of index requests) and the
project would not get the versions our tests ran against.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newapi._create import find_uv
from scripts.lock_template import DIMENSIONS, combinations, condition
from tests.combinations import CODE_COMBINATIONS, params
from tests.conftest import Render

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"
PACKAGE_NAME = re.compile(r'^\[\[package\]\]\nname = "([^"]+)"$', re.MULTILINE)


def uv_lock_check(project: Path, python: str) -> subprocess.CompletedProcess[str]:
    uv = find_uv()
    assert uv is not None, "uv is a dependency of newapi"
    return subprocess.run(
        [uv, "lock", "--check", "--offline", "--python", python],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def find_python(version: str) -> str | None:
    """An interpreter of `version`: this one, pyenv's (uv cannot use its shims), or PATH's."""
    if version == RUNNING:
        return sys.executable
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [str(p) for p in sorted(pyenv.glob(f"{version}.*/bin/python{version}"))]
    candidates += [found] if (found := shutil.which(f"python{version}")) else []
    for candidate in candidates:
        if subprocess.run([candidate, "-c", ""], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


@pytest.mark.parametrize("answers", params(CODE_COMBINATIONS))
def test_the_shipped_lock_is_current(rendered: Render, answers: dict[str, Any]) -> None:
    project = rendered(**answers)

    result = uv_lock_check(project, sys.executable)

    assert result.returncode == 0, f"{result.stderr}\nRewrite the lock with `nox -s lock`."


@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13"])
def test_the_shipped_lock_is_current_for_each_python(rendered: Render, python: str) -> None:
    interpreter = find_python(python)
    if interpreter is None:
        pytest.skip(f"no Python {python} here: uv needs one to check a lock for it")
    project = rendered(python_version=python)

    result = uv_lock_check(project, interpreter)

    assert result.returncode == 0, f"{result.stderr}\nRewrite the lock with `nox -s lock`."
    assert f'requires-python = ">={python}"' in (project / "uv.lock").read_text()


@pytest.mark.parametrize("slug", ["demo-service", "a-service", "zz-service"])
def test_the_project_entry_sits_where_uv_sorts_it(rendered: Render, slug: str) -> None:
    project = rendered(project_slug=slug)

    names = PACKAGE_NAME.findall((project / "uv.lock").read_text(encoding="utf-8"))

    assert names.count(slug) == 1
    assert names == sorted(names)


COMBINATIONS = combinations()


@given(st.sets(st.sampled_from(COMBINATIONS), min_size=1))
def test_a_condition_holds_for_exactly_its_combinations(members: set[tuple[object, ...]]) -> None:
    test = condition(members, COMBINATIONS)
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(
        f"{{% if {test or 'true'} %}}yes{{% endif %}}"
    )

    holds = {c for c in COMBINATIONS if template.render(dict(zip(DIMENSIONS, c, strict=True)))}

    assert holds == members
