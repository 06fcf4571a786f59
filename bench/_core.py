"""What every benchmark shares: settings, figures, timed commands and alternating runs."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
PROJECT_FILES = BENCH_DIR / "project_files"

T = TypeVar("T")
TIMES = "\N{MULTIPLICATION SIGN}"


class BenchError(Exception):
    """A benchmark could not run (a command failed, a server never answered)."""


@dataclass(frozen=True)
class Config:
    """The invocation's settings, shared by every benchmark."""

    quick: bool
    workdir: Path
    tests: int = 300
    duration: float = 10.0
    database_url: str | None = None

    def runs(self, full: int, quick: int = 1) -> int:
        """How many measured runs: `full` normally, `quick` with --quick."""
        return quick if self.quick else full

    @property
    def warmup(self) -> int:
        return 0 if self.quick else 1


@dataclass(frozen=True)
class Figure:
    """One row of the results table."""

    suite: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def compare(
    suite: str,
    name: str,
    unit: str,
    samples: Sequence[float],
    baseline: tuple[str, Sequence[float]],
    *,
    max_ratio: float | None = None,
    min_ratio: float | None = None,
) -> Figure:
    """A figure and its baseline: medians, and the median of the paired ratios."""
    baseline_name, baseline_samples = baseline
    ratio = median([a / b for a, b in zip(samples, baseline_samples, strict=True)])
    target, met = "", None
    if max_ratio is not None:
        target, met = f"≤ {max_ratio:g}{TIMES}", ratio <= max_ratio
    elif min_ratio is not None:
        target, met = f"≥ {min_ratio:g}{TIMES}", ratio >= min_ratio
    return Figure(
        suite,
        name,
        median(samples),
        unit,
        baseline=median(baseline_samples),
        baseline_name=baseline_name,
        ratio=ratio,
        target=target,
        met=met,
    )


def rounds(variants: Sequence[Callable[[], T]], *, warmup: int, runs: int) -> list[list[T]]:
    """Run each variant `warmup` times unmeasured, then `runs` rounds, rotating the order.

    Returns one list of measurements per variant, in the order given. Rotating which
    variant goes first spreads slow drifts of a noisy machine over all of them.
    """
    for _ in range(warmup):
        for variant in variants:
            variant()
    samples: list[list[T]] = [[] for _ in variants]
    for round_number in range(runs):
        shift = round_number % len(variants)
        for index in [*range(shift, len(variants)), *range(shift)]:
            samples[index].append(variants[index]())
    return samples


def tool(name: str) -> str:
    """An executable installed next to this interpreter (newapi, copier, ruff)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise BenchError(f"{name} is not installed next to {sys.executable}")
    return str(path)


def clean_env(**overrides: str) -> dict[str, str]:
    """A user's shell environment: no venv of ours on PATH or in uv's way, no Python download.

    nox sets UV_PROJECT_ENVIRONMENT to its session's venv: left in place, `uv sync` in a
    generated project would install the project into the benchmark's own venv.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NOX_"))}
    for key in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTHONHOME", "UV_PYTHON"):
        env.pop(key, None)
    ours = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != ours)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env | overrides


def execute(
    command: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> str:
    """Run a command to completion; its standard output, or BenchError with the output's tail."""
    completed = subprocess.run(
        list(command),
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        output = completed.stdout + completed.stderr
        raise BenchError(
            f"`{' '.join(command)}` failed (exit {completed.returncode}):\n{output[-4000:]}"
        )
    return completed.stdout


def timed(
    command: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> float:
    """Wall time of one run of `command`, in seconds."""
    started = time.perf_counter()
    execute(command, cwd=cwd, env=env)
    return time.perf_counter() - started


@contextmanager
def scratch(config: Config, prefix: str) -> Iterator[Path]:
    """A fresh empty folder in the work directory, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=config.workdir))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
