"""1. CLI start-up: `newapi --help` and `--version` against a minimal Typer app."""

from __future__ import annotations

import sys
from functools import partial

from bench._core import BENCH_DIR, Config, Results, compare, rounds, timed, tool

HELP_MAX_RATIO = 1.2


def run(config: Config, results: Results) -> None:
    newapi = [tool("newapi")]
    minimal = [sys.executable, str(BENCH_DIR / "minimal_cli.py")]
    for flag, max_ratio in (("--help", HELP_MAX_RATIO), ("--version", None)):
        ours, floor = rounds(
            [partial(timed, [*newapi, flag]), partial(timed, [*minimal, flag])],
            warmup=config.warmup + 1,
            runs=config.runs(full=21, quick=5),
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
