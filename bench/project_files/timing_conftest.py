"""Benchmark timing: each test phase's duration, as JSON lines in $BENCH_TIMINGS.

These are the durations pytest's `--durations` and junit XML report, unrounded
(`--durations` prints 10 ms steps, junit XML 1 ms steps).
"""

import json
import os
from pathlib import Path

import pytest


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    destination = os.environ.get("BENCH_TIMINGS")
    # Under pytest-xdist the controller receives every worker's reports: record them there.
    if not destination or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    record = {
        "test": report.nodeid,
        "phase": report.when,
        "seconds": report.duration,
        "outcome": report.outcome,
    }
    with Path(destination).open("a", encoding="utf-8") as file:
        file.write(json.dumps(record) + "\n")
