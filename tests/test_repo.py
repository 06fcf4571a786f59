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
