"""1. CLI start-up: `newapi --help` and `--version` against a minimal Typer app."""

from __future__ import annotations

import sys
from functools import partial

from bench._core import BENCH_DIR, Config, Results, compare, rounds, timed, tool

HELP_MAX_RATIO = 1.2
RUNS, QUICK_RUNS = 21, 5
METHOD = (
    "startup: `newapi --help` and `newapi --version` (the installed console script) against "
    "`python bench/minimal_cli.py` with the same flag (Typer, two commands, Rich help), each a "
    f"new process timed by the wall clock; {RUNS} rounds ({QUICK_RUNS} with --quick) after "
    "two warm-up rounds (one with --quick)."
)


def run(config: Config, results: Results) -> None:
    newapi = [tool("newapi")]
    minimal = [sys.executable, str(BENCH_DIR / "minimal_cli.py")]
    for flag, max_ratio in (("--help", HELP_MAX_RATIO), ("--version", None)):
        ours, floor = rounds(
            [partial(timed, [*newapi, flag]), partial(timed, [*minimal, flag])],
            warmup=config.warmup + 1,
            runs=config.runs(RUNS, QUICK_RUNS),
        )
        results.figures.append(
            compare(
                "startup",
                f"`newapi {flag}`",
                "s",
                ours,
                (f"minimal Typer app {flag}", floor),
                max_ratio=max_ratio,
            )
        )
