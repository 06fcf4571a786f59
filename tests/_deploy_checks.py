"""Mechanics behind tests/test_deploy_files.py.

Reading a Dockerfile the way the checks (and the smoke test, which runs what it says)
need it, deciding what `.dockerignore` keeps out of the build context, running the offline
validators installed next to pytest, finding a PostgreSQL server, talking to a running
service over HTTP with the standard library, and asking whether a Docker engine answers.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------- Dockerfile


@dataclass
class Stage:
    """One `FROM` stage: its base image, name, ENV values and instructions in order."""

    base: str
    name: str | None
    env: dict[str, str] = field(default_factory=dict)
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, keyword: str) -> list[str]:
        """The argument text of every instruction named `keyword` (e.g. "RUN")."""
        return [args for kw, args in self.instructions if kw == keyword]

    def run_commands(self) -> list[list[str]]:
        """Each RUN's command line as argv, without its `--mount=...` build options."""
        commands = []
        for args in self.arguments("RUN"):
            words = shlex.split(args)
            while words and words[0].startswith("--"):
                words.pop(0)
            commands.append(words)
        return commands


@dataclass
class Dockerfile:
    """A parsed Dockerfile: enough structure to check it and to run what it says."""

    stages: list[Stage]

    @property
    def runtime(self) -> Stage:
        """The final stage: what `docker run` starts."""
        return self.stages[-1]

    def instructions(self) -> Iterator[tuple[str, str]]:
        """Every instruction of every stage, in file order."""
        for stage in self.stages:
            yield from stage.instructions

    def cmd(self) -> list[str]:
        """The runtime stage's CMD, which must be in JSON (exec) form."""
        (cmd,) = self.runtime.arguments("CMD")
        argv = json.loads(cmd)
        assert isinstance(argv, list), f"CMD is not a JSON array: {cmd}"
        return [str(arg) for arg in argv]

    def healthcheck(self) -> tuple[dict[str, str], list[str]]:
        """The runtime stage's HEALTHCHECK: its `--option=value` flags and its CMD argv."""
        (text,) = self.runtime.arguments("HEALTHCHECK")
        options_text, marker, command = text.partition(" CMD ")
        assert marker, f"HEALTHCHECK has no CMD: {text}"
        options = {}
        for option in shlex.split(options_text):
            name, _, value = option.removeprefix("--").partition("=")
            options[name] = value
        argv = json.loads(command)
        assert isinstance(argv, list), f"HEALTHCHECK CMD is not a JSON array: {command}"
        return options, [str(arg) for arg in argv]


def _logical_lines(text: str) -> Iterator[str]:
    """Instructions with continuation lines joined and comment lines dropped."""
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending.strip()


def parse_dockerfile(text: str) -> Dockerfile:
    """Split a Dockerfile into stages, collecting each stage's ENV values."""
    stages: list[Stage] = []
    for line in _logical_lines(text):
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        args = args.strip()
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        assert stages, f"instruction before the first FROM: {line}"
        stage = stages[-1]
        stage.instructions.append((keyword, args))
        if keyword == "ENV":
            for pair in shlex.split(args):
                key, sep, value = pair.partition("=")
                assert sep, f"ENV must use KEY=value: {pair}"
                stage.env[key] = value
    return Dockerfile(stages)


_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def expand(value: str, environ: Mapping[str, str]) -> str:
    """Expand `$VAR` and `${VAR}` as Docker does in an ENV value."""
    return _VARIABLE.sub(lambda m: environ.get(m.group(1) or m.group(2), ""), value)


def uvicorn_argv(script: str) -> list[str]:
    """The uvicorn command line inside an `exec uvicorn ...` shell script."""
    words = shlex.split(script)
    assert words[:2] == ["exec", "uvicorn"], f"not `exec uvicorn ...`: {script}"
    return words[1:]


def option_value(argv: list[str], option: str) -> str:
    """The value following `option` in an argv."""
    assert option in argv, f"{option} missing from {argv}"
    return argv[argv.index(option) + 1]


def runtime_environment(
    dockerfile: Dockerfile, project: Path, venv: Path, **overrides: str
) -> dict[str, str]:
    """What a container of the image sees: little but the runtime stage's ENV (with /app
    mapped to the project folder) and the platform's variables (`overrides`)."""
    env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
    for key, value in dockerfile.runtime.env.items():
        mapped = value.replace("/app/.venv", str(venv)).replace("/app", str(project))
        env[key] = expand(mapped, env)
    env.update(overrides)
    return env


def install_like_the_image(project: Path, venv: Path) -> None:
    """Install `project` into `venv` as the image's builder stage does.

    The builder's `uv sync ...` commands, in order and with its uv settings (`uv lock`
    first, as `newapi create` does), with the running interpreter and no downloads.
    """
    builder = parse_dockerfile((project / "Dockerfile").read_text(encoding="utf-8")).stages[0]
    env = {
        **os.environ,
        **builder.env,
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON": sys.executable,
        "UV_PYTHON_DOWNLOADS": "never",
    }
    uv = tool("uv")
    syncs = [argv for argv in builder.run_commands() if argv[:2] == ["uv", "sync"]]
    assert syncs, "the builder stage installs nothing with `uv sync`"
    for argv in [["uv", "lock"], *syncs]:
        run_tool([uv, *argv[1:]], cwd=project, env=env)


# --------------------------------------------------------------------------- .dockerignore


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A dockerignore pattern (Go filepath.Match plus `**`) as an anchored regex."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out.append(pattern[i : end + 1])
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def dockerignore_patterns(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """(negated, regex) for each pattern line of a .dockerignore."""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        cleaned = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
        patterns.append((negated, _pattern_regex(cleaned)))
    return patterns


def build_context(project: Path) -> set[str]:
    """The files `docker build .` would send: every file not excluded by .dockerignore."""
    patterns = dockerignore_patterns((project / ".dockerignore").read_text(encoding="utf-8"))
    kept = set()
    for path in project.rglob("*"):
        if not path.is_file():
            continue
        rel = path.relative_to(project).as_posix()
        parts = rel.split("/")
        # A file is excluded when it, or any folder above it, matches (the last match wins).
        excluded = False
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            for negated, regex in patterns:
                if regex.match(prefix):
                    excluded = not negated
        if not excluded:
            kept.add(rel)
    return kept


# --------------------------------------------------------------------------- tools


def tool(name: str) -> str:
    """An executable installed next to the running Python (the test venv), or on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise LookupError(f"{name} is not installed next to {sys.executable} nor on PATH")
    return found


def run_tool(argv: list[str], *, cwd: Path, env: Mapping[str, str] | None = None) -> str:
    """Run a validator; fail with its whole output when it exits non-zero."""
    result = subprocess.run(
        argv,
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = f"$ {shlex.join(argv)}\n{result.stdout}{result.stderr}"
    assert result.returncode == 0, f"exit {result.returncode}\n{output}"
    return output


# --------------------------------------------------------------------------- PostgreSQL


def reachable(host: str, port: int) -> bool:
    """True when something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def plain_postgres_url(url: str) -> str:
    """`postgresql+driver://` or `postgres://` as the plain `postgresql://` libpq form."""
    scheme, sep, rest = url.partition("://")
    assert sep, f"not a URL: {url}"
    assert scheme.split("+")[0] in {"postgres", "postgresql"}, f"not PostgreSQL: {url}"
    return f"postgresql://{rest}"


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))


# Run with the generated project's own interpreter, which has asyncpg: the test venv does
# not need a PostgreSQL driver of its own.
ADMIN_SCRIPT = """
import asyncio, sys
import asyncpg

async def main() -> None:
    conn = await asyncpg.connect(sys.argv[1])
    try:
        await conn.execute(sys.argv[2])
    finally:
        await conn.close()

asyncio.run(main())
"""


# --------------------------------------------------------------------------- HTTP


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http(
    method: str,
    url: str,
    *,
    json_body: Any = None,
    form: Mapping[str, str] | None = None,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Any]:
    """One HTTP request with the standard library: (status, decoded JSON body or text)."""
    headers = {"Accept": "application/json", **(headers or {})}
    data = None
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def sign_in(base: str, email: str) -> str:
    """Register `email` with a fresh password and return its bearer token (auth=jwt)."""
    password = secrets.token_urlsafe(16)
    status, body = http(
        "POST", f"{base}/auth/register", json_body={"email": email, "password": password}
    )
    assert status == 201, body
    status, body = http(
        "POST", f"{base}/auth/token", form={"username": email, "password": password}
    )
    assert status == 200, body
    token: str = body["access_token"]
    return token


def wait_until_healthy(
    base: str,
    process: subprocess.Popen[bytes],
    output: Callable[[], str],
    within: float = 60.0,
) -> None:
    """Wait until `base`/health answers 200; fail with the server's `output` if it exits
    first or takes longer than `within` seconds (nothing listening yet counts as waiting)."""
    deadline = time.monotonic() + within
    while True:
        try:
            status, _ = http("GET", f"{base}/health")
        except OSError:
            status = 0
        if status == 200:
            return
        assert process.poll() is None, f"server exited early:\n{output()}"
        assert time.monotonic() < deadline, f"never healthy:\n{output()}"
        time.sleep(0.2)


def start_server(
    argv: list[str], *, cwd: Path, env: Mapping[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """Start the Dockerfile's CMD in its own process group, output to `log`."""
    with log.open("wb") as log_file:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def sign_in_statuses_behind_a_proxy(base: str, attempts: int = 7) -> list[int]:
    """Wrong passwords for one e-mail, as the service sees them behind a platform's proxy:
    each request claims a new client address in X-Forwarded-For, and the proxy appends the
    real one (the same every time). The statuses, in order (auth=jwt)."""
    statuses = []
    for attempt in range(attempts):
        status, _ = http(
            "POST",
            f"{base}/auth/token",
            form={"username": "victim@example.com", "password": "not the password"},
            headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}, 198.51.100.7"},
        )
        statuses.append(status)
    return statuses


def crud_round_trip(base: str, auth: str) -> None:
    """Register and log in (with auth=jwt), create a todo and read it back."""
    token = None
    if auth == "jwt":
        token = sign_in(base, "smoke@example.com")
        status, body = http("POST", f"{base}/todos", json_body={"title": "no token"})
        assert status == 401, body
    status, created = http("POST", f"{base}/todos", json_body={"title": "ship it"}, token=token)
    assert status == 201, created
    assert created["title"] == "ship it"
    status, fetched = http("GET", f"{base}/todos/{created['id']}", token=token)
    assert status == 200, fetched
    assert fetched == created


# --------------------------------------------------------------------------- Docker


def docker_available() -> str | None:
    """None when a Docker engine answers, else the reason it does not."""
    docker = shutil.which("docker")
    if docker is None:
        return "no docker client on PATH"
    result = subprocess.run(
        [docker, "info"], capture_output=True, text=True, timeout=30, check=False
    )
    if result.returncode != 0:
        return f"`docker info` failed: {(result.stderr or result.stdout).strip()[-300:]}"
    return None


def wait_for_health(
    docker: Callable[..., subprocess.CompletedProcess[str]], container: str
) -> None:
    """Wait (up to 2 minutes) until the container's HEALTHCHECK reports healthy."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = docker("inspect", "--format", "{{.State.Health.Status}}", container).stdout
        if status.strip() == "healthy":
            return
        time.sleep(1)
    raise AssertionError(f"{container} never became healthy:\n{docker('logs', container).stdout}")
