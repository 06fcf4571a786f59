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
        self._bundle_dir = tempfile.mkdtemp(prefix="newapi-bundle-")
        bundle = Path(self._bundle_dir) / "template-history.bundle"
        subprocess.run(
            ["git", "bundle", "create", str(bundle), "--tags"],
            cwd=root,
            capture_output=True,
            check=True,
        )
        build_data["force_include"][str(bundle)] = BUNDLE_IN_WHEEL

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:  # noqa: ARG002 - hatch API
        """The bundle is inside the wheel now: remove the temporary copy from /tmp."""
        bundle_dir = getattr(self, "_bundle_dir", None)
        if bundle_dir is not None:
            shutil.rmtree(bundle_dir, ignore_errors=True)
