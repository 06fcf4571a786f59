"""2. Create: `newapi create` against plain `copier copy` of the same template snapshot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from bench._core import Config, Figure, Results, compare, rounds, scratch, timed, tool
from newapi._template import renderable_template

MAX_RATIO = 1.15
NAME = "x"
RUNS, QUICK_RUNS = 9, 3
METHOD = (
    "create: `newapi create x --defaults --no-install --no-git` against `copier copy "
    "--defaults --data project_name=x SNAPSHOT x`, where SNAPSHOT is copier.yml + template/ "
    "copied as newapi itself does from a source checkout; each run in a fresh empty folder; "
    f"{RUNS} rounds ({QUICK_RUNS} with --quick) after one warm-up round."
)


def run(config: Config, results: Results) -> None:
    newapi = [tool("newapi"), "create", NAME, "--defaults", "--no-install", "--no-git"]
    with renderable_template() as snapshot:  # what newapi renders from a source checkout
        copier = [tool("copier"), "copy", "--defaults", "--data", f"project_name={NAME}"]
        copier += [str(snapshot), NAME]
        written: dict[str, int] = {}
        ours, plain = rounds(
            [_fresh(config, newapi, written, "newapi"), _fresh(config, copier, written, "copier")],
            warmup=config.warmup,
            runs=config.runs(RUNS, QUICK_RUNS),
        )
    results.figures += [
        compare(
            "create",
            "`newapi create x --defaults --no-install --no-git`",
            "s",
            ours,
            ("`copier copy --defaults` (template snapshot)", plain),
            max_ratio=MAX_RATIO,
        ),
        Figure("create", "files written by newapi", written["newapi"], "files"),
        Figure("create", "files written by copier", written["copier"], "files"),
    ]


def _fresh(
    config: Config, command: Sequence[str], written: dict[str, int], label: str
) -> Callable[[], float]:
    """Time `command` run in a fresh empty folder; record how many files it wrote."""

    def measure() -> float:
        with scratch(config, f"create-{label}-") as parent:
            seconds = timed(command, cwd=parent)
            written[label] = _count_files(parent / NAME)
        return seconds

    return measure


def _count_files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file())
