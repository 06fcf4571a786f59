"""3. Zero to green: `newapi create` with install, then the project's own `uv run pytest`."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from functools import partial

from bench._core import Config, Figure, Results, execute, median, rounds, scratch, timed
from bench._projects import create_command, project_env, step_times, uv_run

TARGET_SECONDS = 12.0
RUNS = 3
METHOD = (
    "zero: `newapi create z --defaults` (render, uv lock + uv sync, git commit) then "
    f"`uv run pytest` in the new project, in a fresh folder each time; {RUNS} runs (1 with "
    "--quick) after one warm-up run with the user's uv cache, then one run with an empty "
    "UV_CACHE_DIR (every wheel downloaded; skipped with --quick). Step times are the ones "
    "`newapi create` prints. The first `uv run pytest` includes the embedded PostgreSQL's initdb "
    "and, where Python writes .pyc files, compiling the project's own modules (create has "
    "compiled the installed ones the suite imports); a second "
    "`uv run pytest` in the same project, right after, shows what every later run costs. "
    "When PYTHONDONTWRITEBYTECODE is set (Python then never caches bytecode, so only what "
    "newapi compiles at install is cached), the warm runs are repeated without it, "
    "alternating, as on a machine where Python writes .pyc files on first import."
)
# Python's own bytecode cache: off where this variable is set (to anything but "").
NO_PYC = "PYTHONDONTWRITEBYTECODE"
# The steps of `newapi create` worth a row of their own, as it labels them.
STEPS = {
    "Validate answers and render the template": "render",
    "Install dependencies (uv lock + uv sync)": "uv lock + uv sync",
    "Compile what the tests import to bytecode": "bytecode for what the tests import",
    "Initialise git and commit": "git init + commit",
}


@dataclass(frozen=True)
class Timing:
    create: float
    tests: float
    tests_again: float
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return self.create + self.tests


def run_once(
    config: Config, cache: str | None = None, *, python_caches_pyc: bool = False
) -> Timing:
    """Create a project with the defaults and run its tests, in a fresh folder."""
    with scratch(config, "zero-") as parent:
        env = project_env(config, **({"UV_CACHE_DIR": cache} if cache else {}))
        if python_caches_pyc:
            env.pop(NO_PYC, None)
        started = time.perf_counter()
        output = execute(create_command("z", {}), cwd=parent, env=env)
        create = time.perf_counter() - started
        tests = timed(uv_run("pytest"), cwd=parent / "z", env=env)
        tests_again = timed(uv_run("pytest"), cwd=parent / "z", env=env)
    return Timing(create, tests, tests_again, step_times(output))


def run_cold(config: Config) -> Timing:
    """One run with an empty uv cache (every wheel downloaded from the registry)."""
    with scratch(config, "uv-cache-") as cache:
        return run_once(config, str(cache))


def figures(label: str, timings: list[Timing], *, target: bool) -> list[Figure]:
    rows = [
        Figure(
            "zero",
            f"{label}: `newapi create` (with install)",
            median([t.create for t in timings]),
            "s",
        )
    ]
    for step, name in STEPS.items():
        values = [t.steps[step] for t in timings if step in t.steps]
        if values:
            rows.append(Figure("zero", f"{label}: of which {name}", median(values), "s"))
    rows.append(
        Figure("zero", f"{label}: `uv run pytest`", median([t.tests for t in timings]), "s")
    )
    total = median([t.total for t in timings])
    rows.append(
        Figure(
            "zero",
            f"{label}: zero to green",
            total,
            "s",
            target=f"< {TARGET_SECONDS:g} s" if target else "",
            met=total < TARGET_SECONDS if target else None,
        )
    )
    rows.append(
        Figure(
            "zero",
            f"{label}: then a second `uv run pytest` (what later runs cost)",
            median([t.tests_again for t in timings]),
            "s",
        )
    )
    return rows


def run(config: Config, results: Results) -> None:
    variants = [partial(run_once, config)]
    if os.environ.get(NO_PYC):
        variants.append(partial(run_once, config, python_caches_pyc=True))
    warm, *cached = rounds(variants, warmup=config.warmup, runs=config.runs(RUNS))
    label = f"warm uv cache, {NO_PYC}=1" if cached else "warm uv cache"
    results.figures += figures(label, warm, target=True)
    for timings in cached:
        results.figures += figures(f"warm uv cache, {NO_PYC} unset", timings, target=True)
    if config.quick:
        results.notes.append("zero: the cold-cache run is skipped with --quick.")
    else:
        results.figures += figures("cold uv cache (1 run)", [run_cold(config)], target=False)
