"""Slow tier: create projects with the real CLI and run their own tool chain in them.

Each run-level combination is created once (uv lock + uv sync through `newapi create`),
then checked with the project's own ruff, mypy and pytest, exactly as its README says.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import psutil
import pytest
from typer.testing import CliRunner

from newapi._create import find_uv
from newapi.cli import app
from tests.combinations import CI_FUZZ_ENV, RUN_COMBINATIONS, combination_id, params
from tests.conftest import render_project

pytestmark = pytest.mark.slow

_created: dict[str, Path] = {}


def uv() -> str:
    found = find_uv()
    assert found is not None, "uv is a dependency of newapi"
    return found


def project_env() -> dict[str, str]:
    """The environment a user's shell would have: none of our pytest's or venv's variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    for key in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTHONHOME"):
        env.pop(key, None)
    return env


def zero_setup_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """`project_env()` on the zero-setup path (an embedded PostgreSQL or SQLite files,
    fakeredis): no TEST_DATABASE_URL or REDIS_URL, plus `extra`."""
    env = project_env() | dict(extra or {})
    env.pop("TEST_DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return env


def run(project: Path, *command: str, env: Mapping[str, str] | None = None) -> str:
    completed = subprocess.run(
        [uv(), "run", "--frozen", *command],
        cwd=project,
        env=dict(env or project_env()),
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"{' '.join(command)} failed:\n{output[-6000:]}"
    return output


@pytest.fixture(scope="module")
def create(traversable_tmp: Callable[[str], Path]) -> Any:
    def make(answers: Mapping[str, Any]) -> Path:
        key = combination_id(dict(answers))
        if key not in _created:
            where = traversable_tmp("generated")
            data: list[str] = []
            for name, value in answers.items():
                shown = "[" + ", ".join(value) + "]" if isinstance(value, list) else value
                data += ["--data", f"{name}={shown}"]
            result = CliRunner().invoke(
                app, ["create", "svc", "--defaults", "--output", str(where / "svc"), *data]
            )
            assert result.exit_code == 0, result.output
            _created[key] = where / "svc"
        return _created[key]

    return make


# The generated suite's proofs of its test architecture (one test or more each): if any is
# missing, skipped or failing, the showcase no longer shows what it promises.
PROOFS = {
    "test_async_client_commits_are_rolled_back": "SAVEPOINT isolation, async client",
    "test_sync_client_commits_are_rolled_back": "SAVEPOINT isolation, sync client",
    "test_create_read_update_delete[async_client]": "CRUD through the async client",
    "test_create_read_update_delete[sync_client]": "CRUD through the sync client",
    "test_async_client_runs_the_lifespan": "lifespan runs under the async client",
    "test_sync_client_runs_the_lifespan": "lifespan runs under the sync client",
    "test_each_request_is_one_call_into_the_loop": "the sync client crosses threads once",
    "test_websockets_still_go_through_testclient": "the sync client keeps TestClient's sockets",
    "test_shutdown_closes_the_engine_and_the_http_client": "lifespan closes its resources",
    "test_an_app_built_after_overrides_has_none": "overrides never leak",
    "test_an_override_ends_with_its_test[3]": "overrides never outlive their test",
    "test_app_state_ends_with_its_test[3]": "app state never outlives its test",
    "test_create_adds_to_the_test_session": "factories bound to the test's session",
    "test_completing_a_todo_sends_the_webhook": "outbound HTTP mocked",
    "test_a_failing_receiver_is_a_502_and_nothing_is_saved": "upstream failure is a clear error",
    "test_an_unexpected_outbound_request_never_leaves_the_test": "unexpected requests fail",
    "test_create_saves_and_returns_the_todo": "services tested without HTTP",
    "test_upgrade_downgrade_upgrade": "migrations round trip",
    "test_every_downgrade_restores_the_schema_before_its_upgrade": "downgrades undo upgrades",
    "test_models_and_migrations_agree": "no autogenerate drift",
    "test_the_tests_settings_ignore_the_environment_and_dotenv": "test settings are explicit",
    "test_api_answers_as_its_schema_says": "schemathesis: no 5xx, responses as documented",
    "test_every_response_has_security_headers": "security headers",
    "test_other_hosts_get_400": "trusted hosts",
    "test_a_streamed_body_over_the_limit_is_413": "request body size limit",
}
JWT_PROOFS = {
    "test_production_uses_strong_password_hashing": "cheap hashing in tests only",
    "test_register_then_sign_in_then_read_me": "real auth through /auth/token",
    "test_bad_tokens_are_401": "bad tokens are 401",
    "test_another_users_todo_is_404": "another user's todo is 404",
    "test_authed_client_is_signed_in_as_user": "auth bypass through an override",
    "test_429_with_retry_after_after_too_many_failures": "login rate limit",
    "test_unknown_addresses_are_throttled_alike": "no user enumeration under throttling",
}


POSTGRESQL_PROOFS = {
    "test_a_run_at_the_same_time_takes_databases_of_its_own": "runs at once keep their databases",
}
REDIS_PROOFS = {
    "test_healthy_when_the_database_and_redis_answer": "/health reports Redis",
    "test_degraded_when_redis_is_unreachable": "/health says degraded without Redis",
    "test_lifespan_opens_and_closes_the_redis_client": "the lifespan owns the Redis client",
    "test_stats_are_cached_for_the_configured_time": "the cached endpoint uses the cache",
    "test_stats_come_from_the_database_when_redis_is_down": "the cache never breaks the API",
    "test_stats_through_the_sync_client": "fakeredis works in the sync client's loop",
}


def passed_tests(report: Path) -> set[str]:
    """Names (with parameters) of the tests a junit XML report shows as passed."""
    passed = set()
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        if not any(child.tag in {"failure", "error", "skipped"} for child in case):
            passed.add(case.attrib["name"])
    return passed


def missing_proofs(passed: set[str], answers: Mapping[str, Any]) -> dict[str, str]:
    wanted = PROOFS | (JWT_PROOFS if answers.get("auth", "jwt") == "jwt" else {})
    wanted |= POSTGRESQL_PROOFS if answers.get("database", "postgresql") == "postgresql" else {}
    wanted |= REDIS_PROOFS if answers.get("redis", False) else {}
    bases = passed | {name.split("[")[0] for name in passed}
    return {name: why for name, why in wanted.items() if name not in bases}


def passed_count(output: str) -> int:
    match = re.search(r"(\d+) passed", output)
    assert match, output[-3000:]
    assert not re.search(r"\d+ (failed|error)", output), output[-3000:]
    return int(match.group(1))


@pytest.mark.parametrize("answers", params(RUN_COMBINATIONS))
def test_project_is_locked_lint_clean_and_typed(
    create: Any, answers: dict[str, Any], tmp_path: Path
) -> None:
    project = create(answers)

    # Installed from the lock the template ships: `uv lock` had nothing to resolve.
    shipped = render_project(tmp_path / "svc", {"project_name": "svc", **answers}) / "uv.lock"
    assert (project / "uv.lock").read_text() == shipped.read_text()
    assert (project / ".venv").is_dir()
    # newapi compiled what the tests import (and only that) right after installing.
    site_packages = next((project / ".venv").glob("lib/python*/site-packages"))
    assert any((site_packages / "fastapi" / "__pycache__").glob("applications.*.pyc"))
    unused_locale = site_packages / "faker" / "providers" / "address" / "zu_ZA"
    assert (unused_locale / "__init__.py").is_file()
    assert not (unused_locale / "__pycache__").exists()
    run(project, "ruff", "check", ".")
    run(project, "ruff", "format", "--check", ".")
    run(project, "mypy")


@pytest.mark.parametrize("answers", params(RUN_COMBINATIONS))
@pytest.mark.parametrize(
    "extra_args",
    [
        pytest.param((), id="plain"),
        pytest.param(("-n", "2"), id="xdist"),
        pytest.param(("-p", "randomly", "-n", "2"), id="random-xdist"),
    ],
)
def test_project_suite_passes_with_zero_setup(
    create: Any, answers: dict[str, Any], extra_args: Sequence[str]
) -> None:
    project = create(answers)
    env = zero_setup_env()

    report = project.parent / f"report-{'-'.join(extra_args) or 'plain'}.xml"
    output = run(project, "pytest", *extra_args, f"--junitxml={report}", env=env)

    assert passed_count(output) >= 20
    assert missing_proofs(passed_tests(report), answers) == {}
    if answers["database"] == "postgresql":
        assert embedded_server_stops(project), "the embedded PostgreSQL outlived the run"


# A developer's own configuration, in `.env` and exported: none of it may change what the
# generated tests test (each value here fails some test if it leaks into its settings).
DEVELOPERS_DOTENV = """
DEBUG=true
LOG_LEVEL=DEBUG
LOG_FORMAT=json
WEBHOOK_URL=https://hooks.example.com/dev
ALLOWED_HOSTS=api.example.com
CORS_ORIGINS=http://localhost:5173
MAX_BODY_BYTES=64
LOGIN_RATE_LIMIT=1/day
LOGIN_IP_RATE_LIMIT=1/day
REGISTER_RATE_LIMIT=1/day
HTTP_TIMEOUT_SECONDS=0.001
ACCESS_TOKEN_EXPIRE_MINUTES=1
REDIS_URL=redis://127.0.0.1:1/0
"""
DEVELOPERS_ENVIRONMENT = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "short",
    "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing",
    "DATABASE_REQUIRE_TLS": "false",
    "CORS_ALLOW_CREDENTIALS": "false",
    "HSTS_ALWAYS": "true",
    "PORT": "3000",
}


@pytest.mark.parametrize("answers", params(RUN_COMBINATIONS))
def test_project_suite_ignores_the_developers_configuration(
    create: Any, answers: dict[str, Any]
) -> None:
    """`uv run pytest` in a project whose `.env` and shell hold the developer's settings."""
    project = create(answers)
    dotenv = project / ".env"
    original = dotenv.read_text(encoding="utf-8")
    env = zero_setup_env(DEVELOPERS_ENVIRONMENT)
    try:
        dotenv.write_text(original + DEVELOPERS_DOTENV, encoding="utf-8")
        output = run(project, "pytest", "-n", "2", "-m", "not fuzz", env=env)
    finally:
        dotenv.write_text(original, encoding="utf-8")

    assert passed_count(output) >= 20


def test_a_project_in_a_folder_with_spaces_runs_its_suite(
    traversable_tmp: Callable[[str], Path],
) -> None:
    """Projects live in folders such as "My Projects": the embedded PostgreSQL, which cannot
    open its socket under a path with a space, keeps its data elsewhere and starts."""
    where = traversable_tmp("spaced") / "My Projects"
    where.mkdir(mode=0o755)
    result = CliRunner().invoke(
        app, ["create", "svc", "--defaults", "--output", str(where / "my svc")]
    )
    assert result.exit_code == 0, result.output
    env = zero_setup_env({"TMPDIR": str(traversable_tmp("tmpdir"))})  # where the data goes

    output = run(where / "my svc", "pytest", "-n", "2", "-m", "not fuzz", env=env)

    assert passed_count(output) >= 20
    assert not (where / "my svc" / ".data" / "test-postgres").exists()
    assert any(Path(env["TMPDIR"]).glob("embedded-postgres-*/test-postgres/PG_VERSION"))


def embedded_server_stops(project: Path, within: float = 15.0) -> bool:
    """Whether no process runs on the project's embedded PostgreSQL data directory, or
    none does within `within` seconds (pytest-xdist's workers may still be exiting)."""
    deadline = time.monotonic() + within
    while processes_on(project / ".data" / "test-postgres"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def processes_on(data_dir: Path) -> list[str]:
    """The command lines naming `data_dir`: the server, or what starts it in the background."""
    command_lines = (" ".join(p.info["cmdline"] or ()) for p in psutil.process_iter(["cmdline"]))
    return [line for line in command_lines if str(data_dir) in line]


@pytest.mark.parametrize("answers", params(RUN_COMBINATIONS[:1]))
@pytest.mark.parametrize(
    "extra_args",
    [pytest.param((), id="plain"), pytest.param(("-n", "2"), id="xdist")],
)
def test_a_run_that_needs_no_database_leaves_no_server_running(
    create: Any, answers: dict[str, Any], extra_args: Sequence[str]
) -> None:
    """The embedded server starts in the background as a run begins; a run whose tests
    never use it stops it all the same."""
    project = create(answers)
    env = project_env()
    env.pop("TEST_DATABASE_URL", None)
    data_dir = project / ".data" / "test-postgres"
    shutil.rmtree(data_dir, ignore_errors=True)

    output = run(project, "pytest", "tests/test_settings.py", *extra_args, env=env)

    assert passed_count(output) >= 5
    assert (data_dir / "PG_VERSION").is_file()  # it was started...
    assert embedded_server_stops(project)  # ...and stopped


# The first run's test: leaves a table of its own in its database, lets the second run
# go, and finds the table again once that run is over.
HOLD_THE_DATABASE = """
import os
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def test_the_database_outlives_a_second_run(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE made_by_the_first_run (id int)")
    Path(os.environ["HOLD_STARTED"]).touch()
    go, deadline = Path(os.environ["HOLD_GO"]), time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    async with engine.begin() as connection:
        query = text("SELECT to_regclass('made_by_the_first_run') IS NOT NULL")
        kept = await connection.scalar(query)
        await connection.exec_driver_sql("DROP TABLE IF EXISTS made_by_the_first_run")
    assert kept, "a second run emptied this run's database"
"""


def wait_for(path: Path, process: subprocess.Popen[str], within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while not path.exists():
        assert process.poll() is None, f"the first run ended early:\n{process.communicate()[0]}"
        assert time.monotonic() < deadline, f"the first run never reached its test ({path})"
        time.sleep(0.1)


@pytest.mark.parametrize(
    "answers", params([c for c in RUN_COMBINATIONS if c["database"] == "postgresql"][:1])
)
def test_two_runs_at_once_each_keep_their_own_database(
    create: Any, answers: dict[str, Any], tmp_path: Path
) -> None:
    """A second run while one is going (another terminal, a watcher) leaves the first
    run's database alone, and the shared embedded server stops when both are done."""
    project = create(answers)
    started, go = tmp_path / "started", tmp_path / "go"
    env = project_env() | {"HOLD_STARTED": str(started), "HOLD_GO": str(go)}
    env.pop("TEST_DATABASE_URL", None)
    holder = project / "tests" / "test_hold_the_database.py"
    holder.write_text(HOLD_THE_DATABASE)
    try:
        first = subprocess.Popen(
            [uv(), "run", "--frozen", "pytest", "-p", "no:randomly", str(holder)],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for(started, first)
            second = run(project, "pytest", "tests/api/test_todos.py", env=env)
        finally:
            go.touch()
            first_output = first.communicate(timeout=120)[0]
    finally:
        holder.unlink()

    assert passed_count(second) >= 10
    assert first.returncode == 0, first_output[-4000:]
    assert passed_count(first_output) == 1
    assert embedded_server_stops(project)


@pytest.mark.parametrize("answers", params(RUN_COMBINATIONS))
def test_project_holds_up_under_the_ci_fuzz_run(create: Any, answers: dict[str, Any]) -> None:
    """The generated CI's Schemathesis run: every phase (boundary values, wrong types) and
    100 random requests per operation, where a laptop's run sends 10."""
    project = create(answers)
    env = project_env() | CI_FUZZ_ENV
    env.pop("TEST_DATABASE_URL", None)

    output = run(project, "pytest", "-m", "fuzz", "-p", "no:randomly", env=env)

    assert passed_count(output) >= 5


@pytest.mark.parametrize("answers", params(RUN_COMBINATIONS[:1]))
def test_project_suite_passes_on_an_existing_server(create: Any, answers: dict[str, Any]) -> None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: no existing PostgreSQL server to use")
    project = create(answers)
    env = project_env() | {"TEST_DATABASE_URL": url}

    output = run(project, "pytest", env=env)

    assert passed_count(output) >= 20


@pytest.mark.parametrize("answers", params([c for c in RUN_COMBINATIONS if c["redis"]]))
def test_project_integration_tier_runs_on_a_real_redis(
    create: Any, answers: dict[str, Any]
) -> None:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: no Redis server to use")
    project = create(answers)
    env = project_env() | {"REDIS_URL": url}

    report = project.parent / "report-integration.xml"
    output = run(project, "pytest", "-m", "integration", f"--junitxml={report}", env=env)

    assert passed_count(output) >= 2
    live = {"test_health_pings_the_real_redis", "test_stats_are_cached_in_the_real_redis"}
    assert live <= passed_tests(report)
