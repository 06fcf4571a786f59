"""6. Matrix: render every option combination and lint it (ruff check + ruff format --check)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bench._core import Config, Figure, Results, median, rounds, scratch, timed, tool
from bench._projects import create_command
from tests.combinations import ALL_COMBINATIONS, combination_id

RUNS = 3
METHOD = (
    "matrix: every combination of tests/combinations.py ALL_COMBINATIONS rendered with "
    "`newapi create --no-install --no-git`, then `ruff check` and `ruff format --check` "
    f"(no cache) in it; {RUNS} passes (1 with --quick), median of the passes."
)


@dataclass(frozen=True)
class Pass:
    """One pass over every combination: seconds to render and to lint each."""

    render: list[float]
    lint: list[float]
    unclean: list[str]  # combinations ruff reported problems in


def run(config: Config, results: Results) -> None:
    (passes,) = rounds([partial(_one_pass, config)], warmup=0, runs=config.runs(RUNS))
    n = len(ALL_COMBINATIONS)
    totals = [sum(p.render) + sum(p.lint) for p in passes]
    results.figures += [
        Figure("matrix", f"all {n} combinations: render", _median(passes, "render", sum), "s"),
        Figure("matrix", f"all {n} combinations: lint", _median(passes, "lint", sum), "s"),
        Figure("matrix", f"all {n} combinations: render + lint", median(totals), "s"),
        Figure("matrix", "one combination: render", _median(passes, "render", median), "s"),
        Figure("matrix", "one combination: lint", _median(passes, "lint", median), "s"),
    ]
    if passes[0].unclean:
        results.notes.append(
            f"matrix: ruff reported problems in {len(passes[0].unclean)} of {n} combinations "
            f"({', '.join(passes[0].unclean)}); the lint times still count."
        )


def _median(passes: list[Pass], step: str, per_pass: Callable[[list[float]], float]) -> float:
    """The median over the passes of `per_pass` (sum, median) of one step's times."""
    return median([per_pass(getattr(p, step)) for p in passes])


def _one_pass(config: Config) -> Pass:
    result = Pass([], [], [])
    for answers in ALL_COMBINATIONS:
        with scratch(config, "matrix-") as parent:
            command = create_command("m", answers, "--no-install", "--no-git")
            result.render.append(timed(command, cwd=parent))
            seconds, clean = _lint(parent / "m")
        result.lint.append(seconds)
        if not clean:
            result.unclean.append(combination_id(answers))
    return result


def _lint(project: Path) -> tuple[float, bool]:
    """Seconds for `ruff check` + `ruff format --check`, and whether both passed."""
    ruff = tool("ruff")
    started = time.perf_counter()
    codes = [
        subprocess.run(command, cwd=project, capture_output=True, check=False).returncode
        for command in (
            [ruff, "check", "--no-cache", "."],
            [ruff, "format", "--check", "--no-cache", "."],
        )
    ]
    return time.perf_counter() - started, codes == [0, 0]
