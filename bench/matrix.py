"""6. Matrix: render every option combination and lint it (ruff check + ruff format --check)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from bench._core import Config, Figure, Results, median, rounds, scratch, timed, tool
from bench._projects import create_command
from tests.combinations import ALL_COMBINATIONS

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


def run(config: Config, results: Results) -> None:
    (passes,) = rounds([partial(_one_pass, config)], warmup=0, runs=config.runs(RUNS))
    n = len(ALL_COMBINATIONS)
    results.figures += [
        Figure(
            "matrix", f"all {n} combinations: render", median([sum(p.render) for p in passes]), "s"
        ),
        Figure("matrix", f"all {n} combinations: lint", median([sum(p.lint) for p in passes]), "s"),
        Figure(
            "matrix",
            f"all {n} combinations: render + lint",
            median([sum(p.render) + sum(p.lint) for p in passes]),
            "s",
        ),
        Figure(
            "matrix",
            "one combination: render (median)",
            median([median(p.render) for p in passes]),
            "s",
        ),
        Figure(
            "matrix",
            "one combination: lint (median)",
            median([median(p.lint) for p in passes]),
            "s",
        ),
    ]


def _one_pass(config: Config) -> Pass:
    render, lint = [], []
    for answers in ALL_COMBINATIONS:
        seconds_to_render, seconds_to_lint = _render_and_lint(config, answers)
        render.append(seconds_to_render)
        lint.append(seconds_to_lint)
    return Pass(render, lint)


def _render_and_lint(config: Config, answers: dict[str, Any]) -> tuple[float, float]:
    ruff = tool("ruff")
    with scratch(config, "matrix-") as parent:
        render = timed(create_command("m", answers, "--no-install", "--no-git"), cwd=parent)
        project = parent / "m"
        lint = timed([ruff, "check", "--no-cache", "."], cwd=project)
        lint += timed([ruff, "format", "--check", "--no-cache", "."], cwd=project)
    return render, lint
