"""Wheel build hook: bundle the template's tagged git history for offline `newapi update`."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE_IN_WHEEL = "newapi/_template/template-history.bundle"


class TemplateHistoryHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds `git bundle create --tags` of this repository, when built from a git checkout."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:  # noqa: ARG002 - hatch API
        root = Path(self.root)
        if self.target_name != "wheel" or shutil.which("git") is None:
            return
        if not (root / ".git").exists():
            return  # built from an sdist: no history to carry
        tags = subprocess.run(
            ["git", "tag", "--list", "v*"], cwd=root, capture_output=True, text=True, check=False
        ).stdout.split()
        if not tags:
            return  # nothing released yet
        bundle = Path(tempfile.mkdtemp(prefix="newapi-bundle-")) / "template-history.bundle"
        subprocess.run(
            ["git", "bundle", "create", str(bundle), "--tags"],
            cwd=root,
            capture_output=True,
            check=True,
        )
        build_data["force_include"][str(bundle)] = BUNDLE_IN_WHEEL
