"""Slow tier: what a generated README tells a user to do after `newapi create`, done as a
user would, and the project still green after it.

A new domain, `app/tags/` (model, schemas, service, router), mounted in app/routers.py;
its migration made and applied with the exact commands of the README's Migrations
section, with no DATABASE_URL and nothing started by hand; the fuzz test given a way to
make tags (`SEEDS`), a `TagFactory` and a service test using it, as the README says;
the test the README's "Adding a test for a new router" shows, which first fails as the
README says it does without the migration, and its module-level `settings` override.
Then the project's ruff, mypy and whole suite pass.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from newapi.cli import app
from tests._deploy_checks import free_port, http, sign_in, start_server, wait_until_healthy
from tests.combinations import RUN_COMBINATIONS, params
from tests.test_generated import processes_on, run, uv, zero_setup_env

pytestmark = pytest.mark.slow

# What a user writes for the new domain, after the todos' example.
TAGS_DOMAIN = {
    "app/tags/__init__.py": "",
    "app/tags/models.py": """\
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base

NAME_MAX_LENGTH = 50


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
""",
    "app/tags/schemas.py": """\
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from app.tags.models import NAME_MAX_LENGTH

TagName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", max_length=NAME_MAX_LENGTH)]


class TagCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TagName


class TagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
""",
    "app/tags/service.py": """\
from sqlalchemy.ext.asyncio import AsyncSession

from app.tags.models import Tag
from app.tags.schemas import TagCreate


async def create_tag(*, session: AsyncSession, data: TagCreate) -> Tag:
    tag = Tag(name=data.name)
    session.add(tag)
    await session.commit()
    return tag


async def get_tag(*, session: AsyncSession, tag_id: int) -> Tag | None:
    return await session.get(Tag, tag_id)
""",
    "app/tags/router.py": """\
from typing import Annotated

from fastapi import APIRouter, Path, status

from app.deps import SessionDep
from app.errors import BODY_ERRORS, NotFound, error_responses
from app.tags import service
from app.tags.models import Tag
from app.tags.schemas import TagCreate, TagRead

router = APIRouter(prefix="/tags", tags=["tags"])

TagId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TagRead,
    responses=error_responses(*BODY_ERRORS),
)
async def create_tag(data: TagCreate, session: SessionDep) -> Tag:
    return await service.create_tag(session=session, data=data)


@router.get("/{tag_id}", response_model=TagRead, responses=error_responses(NotFound))
async def read_tag(tag_id: TagId, session: SessionDep) -> Tag:
    tag = await service.get_tag(session=session, tag_id=tag_id)
    if tag is None:
        msg = f"Tag {tag_id} not found"
        raise NotFound(msg)
    return tag
""",
}

# What the README says to add for data a test needs beforehand, and a service test using it.
TAG_FACTORY = """

class TagFactory(SessionFactory[Tag]):
    class Meta:
        model = Tag

    name = Faker("slug")
"""
TAGS_SERVICE_TEST = """\
from sqlalchemy.ext.asyncio import AsyncSession

from app.tags import service
from tests.factories import TagFactory


async def test_get_tag_reads_what_the_factory_made(db_session: AsyncSession) -> None:
    tag = TagFactory.create(name="home")
    await db_session.commit()

    assert await service.get_tag(session=db_session, tag_id=tag.id) == tag
"""

# After the README's module-level `settings` override (its second code block).
USES_MODULE_SETTINGS = """

def test_this_module_has_its_own_webhook_url(settings: Settings) -> None:
    assert str(settings.webhook_url) == "https://hooks.example.com/x"
"""

# With JWT auth, tags are for signed-in users, as the README says to declare them.
SIGNED_IN_ONLY = {
    "from fastapi import APIRouter, Path, status\n": (
        "from fastapi import APIRouter, Depends, Path, status\n"
    ),
    "from app.deps import SessionDep\n": (
        "from app.auth.dependencies import get_current_user\nfrom app.deps import SessionDep\n"
    ),
    "from app.tags.schemas import TagCreate, TagRead\n": (
        "from app.tags.schemas import TagCreate, TagRead\n"
        "from app.todos.ownership import ACCESS_ERRORS\n"
    ),
    'router = APIRouter(prefix="/tags", tags=["tags"])\n': (
        "router = APIRouter(\n"
        '    prefix="/tags",\n'
        '    tags=["tags"],\n'
        "    dependencies=[Depends(get_current_user)],\n"
        "    responses=error_responses(*ACCESS_ERRORS),\n"
        ")\n"
    ),
}


def tags_domain(auth: str) -> dict[str, str]:
    """The files of `app/tags/`, for a project with `auth`."""
    if auth != "jwt":
        return TAGS_DOMAIN
    router = TAGS_DOMAIN["app/tags/router.py"]
    for plain, signed_in in SIGNED_IN_ONLY.items():
        assert plain in router, plain
        router = router.replace(plain, signed_in)
    return TAGS_DOMAIN | {"app/tags/router.py": router}


SEED_TAG = """

def seed_tag(client: TestClient) -> int:
    created = client.post("/tags", json={"name": "made-for-the-example"})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])
"""


def readme_section(readme: str, heading: str) -> str:
    """The README's text under `heading`, up to the next heading of its level or above."""
    level = len(heading) - len(heading.lstrip("#"))
    start = readme.index(f"\n{heading}\n")
    following = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE)
    end = following.search(readme, start + len(heading) + 2)
    return readme[start : end.start() if end else len(readme)]


def console_commands(section: str) -> list[list[str]]:
    """The `$ ` lines of the section's console blocks, as argument lists."""
    commands = []
    for block in re.findall(r"```console\n(.*?)```", section, re.DOTALL):
        for line in block.splitlines():
            if line.startswith("$ "):
                commands.append(shlex.split(line[2:], comments=True))
    return commands


def python_blocks(section: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def mount_tags(routers_py: str) -> str:
    """app/routers.py with the tags router imported and served after the others."""
    routers_py = routers_py.replace(
        "from app.todos", "from app.tags.router import router as tags_router\nfrom app.todos", 1
    )
    served = re.search(r"ROUTERS: tuple\[APIRouter, \.\.\.\] = \((.*?)\)\n", routers_py, re.DOTALL)
    assert served, routers_py
    listed = served.group(1).rstrip().rstrip(",")
    return routers_py.replace(served.group(1), f"{listed}, tags_router")


def add_tag_factory(factories_py: str) -> str:
    model = "from app.todos.models import Todo\n"
    assert model in factories_py, factories_py
    with_import = factories_py.replace(model, f"from app.tags.models import Tag\n{model}")
    return with_import + TAG_FACTORY


def add_tag_seed(fuzz_py: str) -> str:
    seeds = 'SEEDS: dict[str, Callable[[TestClient], int]] = {"todo_id": seed_todo}'
    assert seeds in fuzz_py, "the README points at SEEDS in tests/api/test_schema_fuzz.py"
    with_tags = seeds.replace("seed_todo}", 'seed_todo, "tag_id": seed_tag}')
    return fuzz_py.replace(f"\n\n{seeds}", f"{SEED_TAG}\n\n{with_tags}")


def run_as_typed(project: Path, command: list[str], env: Mapping[str, str]) -> str:
    """A README command as a user types it (`uv run ...`), without our --frozen."""
    argv = [uv(), *command[1:]] if command[0] == "uv" else command
    completed = subprocess.run(
        argv, cwd=project, env=dict(env), capture_output=True, text=True, check=False
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"{shlex.join(command)} failed:\n{output[-6000:]}"
    return output


def failing_output(project: Path, *command: str, env: Mapping[str, str]) -> str:
    completed = subprocess.run(
        [uv(), "run", "--frozen", *command],
        cwd=project,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode != 0, completed.stdout[-3000:]
    return completed.stdout + completed.stderr


@pytest.mark.parametrize("answers", params(RUN_COMBINATIONS[:2]))  # each database once
def test_the_readme_walkthrough_adds_a_domain_and_the_project_stays_green(
    traversable_tmp: Callable[[str], Path], answers: dict[str, Any]
) -> None:
    project = create_project(traversable_tmp("walkthrough") / "svc", answers)
    readme = (project / "README.md").read_text(encoding="utf-8")
    env = zero_setup_env()
    env.pop("DATABASE_URL", None)  # the README's commands need none

    for path, text in tags_domain(answers["auth"]).items():
        (project / path).parent.mkdir(exist_ok=True)
        (project / path).write_text(text, encoding="utf-8")
    routers = project / "app" / "routers.py"
    routers.write_text(mount_tags(routers.read_text(encoding="utf-8")), encoding="utf-8")
    run(project, "ruff", "format", "app/routers.py")  # as the user's editor does on save
    fuzz = project / "tests" / "api" / "test_schema_fuzz.py"
    fuzz.write_text(add_tag_seed(fuzz.read_text(encoding="utf-8")), encoding="utf-8")
    factories = project / "tests" / "factories.py"
    factories.write_text(add_tag_factory(factories.read_text(encoding="utf-8")), encoding="utf-8")
    service_test = project / "tests" / "services" / "test_tags_service.py"
    service_test.write_text(TAGS_SERVICE_TEST, encoding="utf-8")
    adding_a_test = readme_section(readme, "### Adding a test for a new router")
    [test_tags, module_settings] = python_blocks(adding_a_test)
    (project / "tests" / "api" / "test_tags.py").write_text(test_tags, encoding="utf-8")
    webhook_test = project / "tests" / "api" / "test_tags_webhook_url.py"
    webhook_test.write_text(module_settings + USES_MODULE_SETTINGS, encoding="utf-8")

    # Without a migration, the new test fails as the README says it does.
    said = re.search(r"test of the new table fails with `([^`]+)`", adding_a_test)
    assert said, adding_a_test
    unmigrated = failing_output(project, "pytest", "tests/api/test_tags.py", "-q", env=env)
    assert said.group(1) in unmigrated

    versions = project / "migrations" / "versions"
    before = set(versions.iterdir())
    commands = console_commands(readme_section(readme, "## Migrations"))
    assert [command[:4] for command in commands] == [
        ["uv", "run", "alembic", "upgrade"],
        ["uv", "run", "alembic", "revision"],
        ["uv", "run", "alembic", "upgrade"],
    ]
    commands[1][commands[1].index("-m") + 1] = "add tags"
    output = "".join(run_as_typed(project, command, env) for command in commands)

    assert "DATABASE_URL is not set: using the development database" in output
    [migration] = set(versions.iterdir()) - before
    assert migration.name.endswith("_add_tags.py")
    made = migration.read_text(encoding="utf-8")
    assert 'op.create_table(\n        "tags",' in made
    assert 'op.drop_table("tags")' in made
    revision = re.search(r'^revision: str = "(\w+)"$', made, re.MULTILINE)
    assert revision, made
    current = run_as_typed(project, ["uv", "run", "alembic", "current"], env)
    assert f"{revision.group(1)} (head)" in current
    if answers["database"] == "postgresql":
        assert (project / ".data" / "postgres" / "PG_VERSION").is_file()
        assert processes_on(project / ".data" / "postgres") == [], "the server outlived alembic"
    else:
        assert (project / ".data" / "app.sqlite3").is_file()

    run(project, "ruff", "check", ".")
    run(project, "ruff", "format", "--check", ".")
    run(project, "mypy")
    report = project.parent / "report.xml"
    run(project, "pytest", "-q", f"--junitxml={report}", env=env)
    passed = passed_counts(report)
    assert passed["test_create_tag"] == 1
    assert passed["test_get_tag_reads_what_the_factory_made"] == 1
    assert passed["test_this_module_has_its_own_webhook_url"] == 1
    assert passed["test_models_and_migrations_agree"] == 1
    assert passed["test_every_downgrade_restores_the_schema_before_its_upgrade"] == 1
    # Schemathesis runs one test per operation, the two of /tags included.
    operations = run(project, "python", "-c", COUNT_OPERATIONS, env=env).split()
    assert operations[:2] == ["True", "True"]
    assert passed["test_api_answers_as_its_schema_says"] == int(operations[2])


# Prints whether the OpenAPI schema has the two tag routes, and how many operations it has.
COUNT_OPERATIONS = """
from app.factory import create_app
from tests.helpers import make_settings
paths = create_app(make_settings()).openapi()["paths"]
print("post" in paths["/tags"], "get" in paths["/tags/{tag_id}"])
print(sum(len(operations) for operations in paths.values()))
"""


def passed_counts(report: Path) -> Counter[str]:
    """How many times each test name passed, in a junit XML report (Schemathesis gives all
    of one test's operations the same name)."""
    return Counter(
        case.attrib["name"]
        for case in ElementTree.parse(report).getroot().iter("testcase")
        if not any(child.tag in {"failure", "error", "skipped"} for child in case)
    )


def create_project(where: Path, answers: Mapping[str, Any]) -> Path:
    data = [f"--data={name}={value}" for name, value in answers.items() if name != "deploy"]
    result = CliRunner().invoke(app, ["create", "svc", "--defaults", "-o", str(where), *data])
    assert result.exit_code == 0, result.output
    return where


@pytest.mark.parametrize("answers", params(RUN_COMBINATIONS[:2]))  # each database once
def test_the_readme_run_command_serves_with_nothing_set_up(
    traversable_tmp: Callable[[str], Path], answers: dict[str, Any]
) -> None:
    """`uv run python -m app`, the README's first command, in a fresh project with no
    DATABASE_URL: it starts the development database, migrates it and serves the API and
    its docs on PORT; Ctrl-C stops it (and the embedded PostgreSQL with it); a second start
    serves what the first one stored."""
    project = create_project(traversable_tmp("run") / "svc", answers)
    readme = (project / "README.md").read_text(encoding="utf-8")
    serve, *_ = console_commands(readme_section(readme, "## Run it"))
    assert serve == ["uv", "run", "python", "-m", "app"]
    port = free_port()
    env = zero_setup_env({"PORT": str(port)})
    env.pop("DATABASE_URL", None)
    base = f"http://127.0.0.1:{port}"

    with serving([uv(), *serve[1:]], project, env) as output:
        assert http("GET", f"{base}/health") == (200, {"status": "healthy", "db": "connected"})
        status, docs = http("GET", f"{base}/docs")
        assert status == 200
        assert "swagger-ui" in docs
        token = sign_in(base, "dev@example.com") if answers["auth"] == "jwt" else None
        title = {"title": "still here tomorrow"}
        status, created = http("POST", f"{base}/todos", json_body=title, token=token)
        assert status == 201, created
    if answers["database"] == "postgresql":
        assert "Embedded PostgreSQL running, data in" in output()
        assert processes_on(project / ".data" / "postgres") == [], "the server outlived its runner"
    else:
        with sqlite3.connect(project / ".data" / "app.sqlite3") as database:
            titles = database.execute("SELECT title FROM todos").fetchall()
        assert titles == [("still here tomorrow",)]

    with serving([uv(), *serve[1:]], project, env):
        assert http("GET", f"{base}/todos/{created['id']}", token=token) == (200, created)


@contextmanager
def serving(argv: list[str], project: Path, env: Mapping[str, str]) -> Iterator[Callable[[], str]]:
    """Run `argv` until /health answers, yield a reader of its output, then press Ctrl-C:
    the terminal sends SIGINT to the whole foreground group (uv, the reloader, the server).
    Fails if it never serves, or does not shut down cleanly within 30 s."""
    log = project.parent / "serving.log"
    process = start_server(argv, cwd=project, env=env, log=log)
    output = partial(log.read_text, encoding="utf-8", errors="replace")
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        wait_until_healthy(base, process, output, within=90)
        yield output
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            exit_code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    # Ctrl-C's usual endings: 0, or 130 when uvicorn re-raises SIGINT after its shutdown.
    assert exit_code in {0, 128 + signal.SIGINT, -signal.SIGINT}, output()[-4000:]
    assert "Application shutdown complete." in output()
