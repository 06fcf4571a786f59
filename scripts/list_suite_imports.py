"""Write src/newapi/suite_imports.txt: the installed modules a new project's tests import.

`nox -s suite-imports` (or `python scripts/list_suite_imports.py`) creates a project for
each combination of the answers that change the installed packages (database, auth,
redis), runs its test suite once and records every `.py` file it imported from
site-packages. `newapi create` compiles those files to bytecode in parallel right after
installing (see newapi._bytecode): the first test run would otherwise compile them one by
one, which is most of what makes it slower than the runs after it.

The list only saves time: a module missing from it is compiled when first imported, as
it would be anyway, and a listed file that is not installed is skipped. Run this again
after `nox -s lock` changes the versions.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import tempfile
from pathlib import Path

from rich.console import Console

from newapi._bytecode import SUITE_IMPORTS
from newapi._create import CreateRequest, create_project, find_uv
from newapi._progress import Steps

# Loaded into the project's pytest run with `-p`: writes what the run imported.
PLUGIN = """
import os
import sys


def pytest_unconfigure(config):
    marker = os.sep + "site-packages" + os.sep
    paths = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        if marker in path and path.endswith(".py"):
            paths.add(path.split(marker, 1)[1].replace(os.sep, "/"))
    with open(os.environ["SUITE_IMPORTS_OUT"], "w", encoding="utf-8") as out:
        out.write("\\n".join(sorted(paths)))
"""
HEADER = """\
# The installed modules (paths inside site-packages) a new project's test suite imports,
# for every database, auth and redis answer. `newapi create` compiles them to bytecode
# right after installing. Written by scripts/list_suite_imports.py: do not edit.
"""
COMBINATIONS = [
    {"database": database, "auth": auth, "redis": redis}
    for database, auth, redis in itertools.product(
        ["postgresql", "sqlite"], ["jwt", "none"], [False, True]
    )
]


def suite_imports(workdir: Path, answers: dict[str, object]) -> set[str]:
    name = "svc-" + "-".join(str(value).lower() for value in answers.values())
    request = CreateRequest(
        destination=workdir / name,
        answers={"project_name": name, **answers},
        defaults=True,
        interactive=False,
        git=False,
        install=True,
    )
    project = create_project(request, Steps(Console(stderr=True))).destination
    (project / "suite_imports_plugin.py").write_text(PLUGIN, encoding="utf-8")
    out = workdir / f"{name}.txt"
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "TEST_DATABASE_URL"}}
    env |= {"SUITE_IMPORTS_OUT": str(out), "PYTHONDONTWRITEBYTECODE": "1"}
    uv = find_uv() or "uv"
    command = [uv, "run", "--frozen", "pytest", "-q", "-p", "suite_imports_plugin"]
    subprocess.run(command, cwd=project, env=env, check=True, stdout=subprocess.DEVNULL)
    return set(out.read_text(encoding="utf-8").split())


def main() -> None:
    paths: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="suite-imports-") as tmp:
        workdir = Path(tmp)
        workdir.chmod(0o755)  # as root, the embedded PostgreSQL's own user must reach it
        for answers in COMBINATIONS:
            paths |= suite_imports(workdir, answers)
    SUITE_IMPORTS.write_text(HEADER + "\n".join(sorted(paths)) + "\n", encoding="utf-8")
    print(f"Wrote {len(paths)} paths to {SUITE_IMPORTS}")


if __name__ == "__main__":
    main()
