"""4. Generated test suite cost: N write-and-read API tests on the embedded PostgreSQL.

The project's own SAVEPOINT isolation, serial and with `-n 2`, next to the naive
create_all/drop_all per test. Per-test times come from pytest's reports (see
project_files/timing_conftest.py), wall times from the clock.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bench._core import Config, Figure, Results, compare, execute, median, rounds
from bench._projects import copy_into, installed_project, project_env, uv_run
from newapi._template import questions

PER_TEST_TARGET_MS = 5.0
API_TESTS = "_client_write_read"
ISOLATION_MIN_RATIO = 5.0
RUNS = 3
METHOD = (
    "suite: a project generated with auth=none gets N extra API tests (default 300, "
    "`--tests`), each POSTing a todo and GETting it back, half through `client` (TestClient), "
    "half through `async_client`; beside them N/2 tests that write and read a todo through "
    "`db_session` alone and N/2 that do nothing. `uv run pytest -q` runs them with the "
    "project's SAVEPOINT isolation serially and with `-n 2`, and under a conftest override "
    "that runs create_all before and drop_all after every test (tests/api/bench/naive); when "
    "the template offers database=sqlite, the isolated tests also run serially in a SQLite "
    "project. Per-test times are pytest's own setup/call/teardown durations, recorded by a "
    "conftest hook; per run the median over the tests, then the median of "
    f"{RUNS} rounds (1 with --quick) after one warm-up round. The isolation's cost is the "
    "median setup + teardown of the `db_session` tests less that of the tests that do nothing "
    "(what pytest costs per test). The floor: the same write and read through a bare "
    "FastAPI app (the project's model and schemas; no middleware, lifespan, overrides or "
    "fixtures), each on a rolled-back transaction with a SAVEPOINT session as the project's "
    "isolation does, N times in a loop inside one test (tests/api/bench/floor): the median "
    "exchange is what FastAPI, SQLAlchemy and the database cost for it on this machine, "
    "which no test architecture can go below. Embedded PostgreSQL unless --database-url "
    "(TEST_DATABASE_URL)."
)
FILES = [
    ("timing_conftest.py", "tests/api/bench/conftest.py"),
    ("test_api.py", "tests/api/bench/isolated/test_api.py"),
    ("test_api.py", "tests/api/bench/naive/test_api.py"),
    ("naive_conftest.py", "tests/api/bench/naive/conftest.py"),
    ("test_floor.py", "tests/api/bench/floor/test_floor.py"),
]
PACKAGES = [
    "tests/api/bench",
    "tests/api/bench/isolated",
    "tests/api/bench/naive",
    "tests/api/bench/floor",
]
VARIANTS = {
    "isolated": ["tests/api/bench/isolated"],
    "isolated -n 2": ["-n", "2", "tests/api/bench/isolated"],
    "naive": ["tests/api/bench/naive"],
    "floor": ["tests/api/bench/floor"],
}


@dataclass(frozen=True)
class SuiteRun:
    """One pytest run: its wall time and each test's setup, call and teardown seconds."""

    wall: float
    phases: dict[str, dict[str, float]]

    def per_test(self, kind: str = API_TESTS) -> float:
        """Median seconds per test (all phases), over the tests whose id contains `kind`."""
        return median([sum(p.values()) for t, p in self.phases.items() if kind in t])

    def fixtures(self, kind: str) -> float:
        """Median setup + teardown seconds, over the tests whose id contains `kind`."""
        return median([p["setup"] + p["teardown"] for t, p in self.phases.items() if kind in t])

    def floor(self) -> float:
        """The median seconds of one bare write-and-read exchange (test_floor.py's record)."""
        return self.phases["floor"]["exchange"]

    def isolation(self) -> float:
        """What giving a test its clean database costs: `db_session`'s set-up and teardown."""
        return self.fixtures("test_session_write_read") - self.fixtures("test_nothing")


def run(config: Config, results: Results) -> None:
    postgres = _prepared(config, "postgresql")
    variants = [partial(_pytest, config, postgres, args) for args in VARIANTS.values()]
    sqlite = any(q.name == "database" and "sqlite" in q.choices for q in questions())
    if sqlite:
        isolated_only = VARIANTS["isolated"]
        variants.append(partial(_pytest, config, _prepared(config, "sqlite"), isolated_only))
    samples = rounds(variants, warmup=config.warmup, runs=config.runs(RUNS))
    results.figures += _figures(config, *samples[:4])
    if sqlite:
        results.figures += _sqlite_figures(samples[0], samples[4])
    else:
        results.notes.append(
            "suite: SQLite skipped: the template's `database` question offers postgresql only."
        )


def _prepared(config: Config, database: str) -> Path:
    """The installed project on `database`, with the benchmark's tests copied in."""
    project = installed_project(config, database)
    copy_into(project, FILES)
    for package in PACKAGES:
        (project / package / "__init__.py").touch()
    return project


def _pytest(config: Config, project: Path, args: list[str]) -> SuiteRun:
    timings = project / ".bench-timings.jsonl"
    timings.unlink(missing_ok=True)
    env = project_env(config, BENCH_TESTS=str(config.tests), BENCH_TIMINGS=str(timings))
    started = time.perf_counter()
    execute(uv_run("pytest", "-q", *args), cwd=project, env=env)
    wall = time.perf_counter() - started
    phases: dict[str, dict[str, float]] = defaultdict(dict)
    for line in timings.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        phases[record["test"]][record["phase"]] = record["seconds"]
    return SuiteRun(wall, dict(phases))


def _figures(
    config: Config,
    isolated: list[SuiteRun],
    parallel: list[SuiteRun],
    naive: list[SuiteRun],
    floor: list[SuiteRun],
) -> list[Figure]:
    n = config.tests
    per_test = [r.per_test() * 1000 for r in isolated]
    return [
        Figure(
            "suite",
            f"{n} API tests, isolated, serial: wall",
            median([r.wall for r in isolated]),
            "s",
        ),
        Figure(
            "suite",
            "isolated, serial: per test (median)",
            median(per_test),
            "ms",
            target=f"≤ {PER_TEST_TARGET_MS:g} ms",
            met=median(per_test) <= PER_TEST_TARGET_MS,
        ),
        Figure("suite", "isolated: per sync `client` test", _ms(isolated, "test_sync_"), "ms"),
        Figure("suite", "isolated: per `async_client` test", _ms(isolated, "test_async_"), "ms"),
        Figure(
            "suite",
            "isolated: per `db_session` test (no HTTP)",
            _ms(isolated, "test_session_"),
            "ms",
        ),
        Figure("suite", "a test that does nothing", _ms(isolated, "test_nothing"), "ms"),
        Figure(
            "suite",
            "the floor: the same write and read, bare FastAPI app, no pytest per exchange",
            median([r.floor() * 1000 for r in floor]),
            "ms",
        ),
        compare(
            "suite",
            "isolated, serial: per test, against the floor",
            "ms",
            per_test,
            ("the floor", [r.floor() * 1000 for r in floor]),
        ),
        compare(
            "suite",
            f"{n} API tests, isolated, `-n 2`: wall",
            "s",
            [r.wall for r in parallel],
            ("serial", [r.wall for r in isolated]),
        ),
        compare(
            "suite",
            "create/drop per test: per test (median)",
            "ms",
            [r.per_test() * 1000 for r in naive],
            ("isolated", per_test),
        ),
        compare(
            "suite",
            "create/drop per API test: setup + teardown (median)",
            "ms",
            [r.fixtures(API_TESTS) * 1000 for r in naive],
            ("isolated", [r.fixtures(API_TESTS) * 1000 for r in isolated]),
        ),
        compare(
            "suite",
            "a clean database per test: create/drop vs SAVEPOINT isolation",
            "ms",
            [r.isolation() * 1000 for r in naive],
            ("SAVEPOINT isolation", [r.isolation() * 1000 for r in isolated]),
            min_ratio=ISOLATION_MIN_RATIO,
        ),
    ]


def _sqlite_figures(postgres: list[SuiteRun], sqlite: list[SuiteRun]) -> list[Figure]:
    baseline = "PostgreSQL, isolated"
    return [
        compare(
            "suite",
            "SQLite (database=sqlite), isolated, serial: wall",
            "s",
            [r.wall for r in sqlite],
            (baseline, [r.wall for r in postgres]),
        ),
        compare(
            "suite",
            "SQLite, isolated, serial: per test (median)",
            "ms",
            [r.per_test() * 1000 for r in sqlite],
            (baseline, [r.per_test() * 1000 for r in postgres]),
        ),
    ]


def _ms(runs: list[SuiteRun], kind: str) -> float:
    return median([r.per_test(kind) * 1000 for r in runs])
