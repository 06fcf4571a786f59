"""Compile, right after installing, the modules a new project's tests will import.

Python compiles a module to bytecode the first time it imports it, one module at a time:
a new project's first test run compiles about 1,500 installed modules that way, and is
seconds slower than the runs after it. Compiling exactly those files at install, on all
cores, costs less than that; compiling every installed file (uv's `--compile-bytecode`,
about 3,800 files) costs more. Which files: src/newapi/suite_imports.txt, written by
scripts/list_suite_imports.py.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

SUITE_IMPORTS = Path(__file__).with_name("suite_imports.txt")

# Run by the project's interpreter (the bytecode is for its version), from stdin's list of
# paths inside its site-packages. A file that is not installed is skipped.
_COMPILE = """\
import concurrent.futures, functools, os, py_compile, sys, sysconfig
os.chdir(sysconfig.get_paths()["purelib"])
paths = [p for p in sys.stdin.read().split() if os.path.isfile(p)]
compile_one = functools.partial(py_compile.compile, quiet=2)
with concurrent.futures.ProcessPoolExecutor() as pool:
    list(pool.map(compile_one, paths, chunksize=32))
print(len(paths))
"""


def suite_imports() -> list[str]:
    """The listed paths (comments and blank lines left out)."""
    lines = SUITE_IMPORTS.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def project_python(project: Path) -> Path:
    """The interpreter of the environment uv made for `project` (`.venv`)."""
    scripts = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return project / ".venv" / scripts


def compile_suite_imports(project: Path, env: Mapping[str, str]) -> int:
    """Compile the listed modules in `project`'s environment; return how many were found.

    The bytecode only saves time, so a failure here is not an error: Python compiles
    whatever is missing when it first imports it, as it would have anyway.
    """
    python = project_python(project)
    if not python.is_file():
        return 0
    completed = subprocess.run(
        [str(python), "-c", _COMPILE],
        cwd=project,
        env=env,
        input="\n".join(suite_imports()),
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout.strip()
    return int(output) if completed.returncode == 0 and output.isdigit() else 0
