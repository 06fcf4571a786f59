"""Our own repository stays consistent: CI matrix, workflow hygiene, README and .ci/run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.combinations import RUN_COMBINATIONS, combination_id
from tests.conftest import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci.yml"


def tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def test_ci_matrix_lists_exactly_the_run_combinations() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())

    listed = workflow["jobs"]["generated"]["strategy"]["matrix"]["combination"]

    assert listed == [combination_id(c) for c in RUN_COMBINATIONS]


def test_workflow_is_zizmor_clean_and_valid() -> None:
    zizmor = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    schema = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr
    assert schema.returncode == 0, schema.stdout + schema.stderr


def test_every_action_is_pinned_to_a_commit() -> None:
    uses = re.findall(r"uses:\s*(\S+)", WORKFLOW.read_text())

    assert uses
    assert all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in uses), uses


def test_ci_run_calls_the_readme_test_command() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    blocks = re.findall(r"```console\n(.*?)```", readme, flags=re.DOTALL)
    test_command = next(b.strip() for b in blocks if "pytest" in b and "pip install" in b)

    assert test_command in (REPO_ROOT / ".ci" / "run").read_text()


def test_nox_generated_sessions_are_the_run_combinations() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "-l"], cwd=REPO_ROOT, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    sessions = set(re.findall(r"^- generated\((.+?)\) ->", listed, re.MULTILINE))
    assert sessions == {combination_id(c) for c in RUN_COMBINATIONS}
    assert "db:sqlite-auth:none-redis:off-deploy:none-ci:none" in sessions


def test_dist_counts_checkout_junk_but_not_template_files() -> None:
    sys.path.insert(0, str(REPO_ROOT))
    try:
        from noxfile import is_local_junk
    finally:
        sys.path.remove(str(REPO_ROOT))

    for junk in (".env", "newapi/_template/.env", "x/.venv/bin/python", "a/__pycache__/m.pyc"):
        assert is_local_junk(junk), junk
    for content in ("newapi/_template/template/.env.example.jinja", "template/app/factory.py"):
        assert not is_local_junk(content), content
