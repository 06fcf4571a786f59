"""Render every run-level combination into a folder: `nox -s sample -- OUTDIR`.

For reviewing what a template change does to real projects (diff two sample folders) and
for smoke-generating sample projects in CI. No install, no git: just the rendered files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.combinations import RUN_COMBINATIONS, combination_id


def data_args(answers: dict[str, object]) -> list[str]:
    args: list[str] = []
    for key, value in answers.items():
        if isinstance(value, list):
            shown = "[" + ", ".join(value) + "]"
        elif isinstance(value, bool):
            shown = "true" if value else "false"
        else:
            shown = str(value)
        args += ["--data", f"{key}={shown}"]
    return args


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for answers in RUN_COMBINATIONS:
        destination = out / combination_id(answers).replace(":", "_")
        command = [sys.executable, "-m", "newapi", "create", "sample", "--defaults"]
        command += ["--no-install", "--no-git", "--force", "--output", str(destination)]
        subprocess.run([*command, *data_args(answers)], check=True)
        print(f"rendered {destination}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "samples"))
