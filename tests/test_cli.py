"""The `newapi` command line as a user meets it: output, exit codes, files on disk."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from newapi import __version__
from newapi.cli import app
from tests.conftest import git

FAST = ["--defaults", "--no-install"]


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "create" in result.output
    assert "options" in result.output


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"newapi {__version__}"


def test_python_dash_m_runs_the_cli() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "newapi", "--version"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0
    assert completed.stdout.strip() == f"newapi {__version__}"


def imported_by(*args: str) -> set[str]:
    """The modules `python -m newapi ARGS` imports (from `-X importtime`)."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "newapi", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return {line.rsplit("|", 1)[-1].strip() for line in completed.stderr.splitlines()}


def test_help_does_not_import_copier() -> None:
    imported = imported_by("--help")
    assert "copier" not in imported
    assert "jinja2" not in imported


def test_version_does_not_import_rich_or_copier() -> None:
    imported = imported_by("--version")
    assert "rich.console" not in imported
    assert "copier" not in imported


def test_create_with_defaults_makes_a_committed_project(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["create", "Todo Service", *FAST])

    assert result.exit_code == 0, result.output
    project = in_tmp / "Todo Service"
    assert (project / "app" / "factory.py").is_file()
    assert "Next steps" in result.output
    assert "uv run pytest" in result.output
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["project_name"] == "Todo Service"
    assert answers["project_slug"] == "todo-service"
    assert answers["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert answers["_src_path"].endswith(".git")
    assert answers["_commit"] == f"v{__version__}"
    assert git(project, "log", "--format=%s").strip() == "Initial commit from newapi"
    assert git(project, "status", "--porcelain") == ""
    # The generated secrets live only in the git-ignored .env, never in a tracked file.
    env = dict(
        line.split("=", 1) for line in (project / ".env").read_text().splitlines() if "=" in line
    )
    assert len(env["SECRET_KEY"]) >= 32
    webhook_key = base64.b64decode(env["WEBHOOK_SECRET"].removeprefix("whsec_"), validate=True)
    assert env["WEBHOOK_SECRET"].startswith("whsec_")
    assert len(webhook_key) == 32
    tracked = "".join(
        (project / name).read_text(errors="replace") for name in git(project, "ls-files").split()
    )
    assert env["SECRET_KEY"] not in tracked
    assert env["WEBHOOK_SECRET"] not in tracked
    assert ".env" not in git(project, "ls-files").split()
    assert not list(in_tmp.glob(".*.newapi"))


def test_create_without_auth_writes_no_secret_key(runner: CliRunner, in_tmp: Path) -> None:
    # Nothing signs tokens in an open API: its .env gets the webhook secret only.
    result = runner.invoke(app, ["create", "svc", *FAST, "--no-git", "--auth", "none"])

    assert result.exit_code == 0, result.output
    text = (in_tmp / "svc" / ".env").read_text()
    assert "SECRET_KEY" not in text.replace("WEBHOOK_SECRET", "")
    assert re.search(r"^WEBHOOK_SECRET=whsec_", text, flags=re.MULTILINE)


def test_a_callers_git_dir_is_left_alone(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A git hook or `git rebase --exec` runs newapi with GIT_DIR set to the caller's repository.
    caller = in_tmp / "caller"
    caller.mkdir()
    git(caller, "init", "-q")
    git(caller, "commit", "-q", "--allow-empty", "-m", "the caller's work")
    monkeypatch.setenv("GIT_DIR", str(caller / ".git"))

    result = runner.invoke(app, ["create", "svc", "--defaults", "--no-install"])
    monkeypatch.delenv("GIT_DIR", raising=False)

    assert result.exit_code == 0, result.output
    assert git(caller, "log", "--format=%s").strip() == "the caller's work"
    assert git(in_tmp / "svc", "log", "--format=%s").strip() == "Initial commit from newapi"


def test_output_that_cannot_encode_the_progress_marks(in_tmp: Path) -> None:
    # Windows gives a redirected stdout cp1252, which has no ✓: newapi must not crash on it.
    result = CliRunner(charset="cp1252").invoke(app, ["create", "svc", *FAST, "--no-git"])

    assert result.exit_code == 0, result.output
    assert "Next steps" in result.output
    assert (in_tmp / "svc" / "app" / "factory.py").is_file()


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_the_env_file_is_readable_only_by_its_owner(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["create", "svc", *FAST, "--no-git"])

    assert result.exit_code == 0, result.output
    assert (in_tmp / "svc" / ".env").stat().st_mode & 0o777 == 0o600  # it holds SECRET_KEY


def test_without_a_git_identity_the_commit_is_the_authors(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh machine or CI runner: no user.email anywhere (the tests' own config has one).
    empty = in_tmp / "empty.gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("HOME", str(in_tmp))
    for variable in ("EMAIL", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(variable, raising=False)

    result = runner.invoke(
        app,
        ["create", "svc", *FAST, "-d", "author_name=Ada", "-d", "author_email=ada@example.com"],
    )

    assert result.exit_code == 0, result.output
    assert git(in_tmp / "svc", "log", "--format=%an <%ae>|%cn <%ce>").strip() == (
        "Ada <ada@example.com>|Ada <ada@example.com>"
    )


def test_uv_does_not_see_newapis_own_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # newapi run from a venv or a nox session: uv must not install the project there.
    from newapi._create import _uv_env

    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "newapis-venv"))
    monkeypatch.setenv("UV_PROJECT_ENVIRONMENT", str(tmp_path / "nox-venv"))
    (tmp_path / ".python-version").write_text("3.99\n")

    env = _uv_env(tmp_path)

    assert "VIRTUAL_ENV" not in env
    assert "UV_PROJECT_ENVIRONMENT" not in env


def test_output_option_places_the_project(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["create", "svc", *FAST, "--no-git", "--output", "nested/here"])

    assert result.exit_code == 0, result.output
    assert (in_tmp / "nested" / "here" / "pyproject.toml").is_file()
    assert not (in_tmp / "svc").exists()
    assert not (in_tmp / "nested" / "here" / ".git").exists()


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        pytest.param("1service", "must start with a letter", id="starts-with-digit"),
        pytest.param("a/b", "must start with a letter", id="slash"),
        pytest.param("../x", "must start with a letter", id="parent-dir"),
        pytest.param("/etc", "must start with a letter", id="absolute-existing"),
        pytest.param("/nonexistent/x", "must start with a letter", id="absolute"),
        pytest.param("Certifi", "the name of a package the service", id="shadows-a-dependency"),
        pytest.param("PyJWT", "the name of a package the service", id="shadows-a-distribution"),
        pytest.param("", "is empty", id="empty"),
        pytest.param("app", 'shadows the Python module "app"', id="shadows-app"),
        pytest.param("Test", 'shadows the Python module "test"', id="shadows-stdlib"),
        pytest.param("class", "is a Python keyword", id="keyword"),
        pytest.param("café", "must start with a letter and use only ASCII", id="unicode"),
        pytest.param("x" * 61, "longer than 60", id="too-long"),
    ],
)
def test_bad_name_is_refused_and_leaves_nothing(
    runner: CliRunner, in_tmp: Path, name: str, rule: str
) -> None:
    result = runner.invoke(app, ["create", name, *FAST])

    assert result.exit_code == 2
    assert rule in result.output
    assert list(in_tmp.iterdir()) == []


def test_existing_non_empty_directory_is_refused_untouched(runner: CliRunner, in_tmp: Path) -> None:
    project = in_tmp / "svc"
    project.mkdir()
    (project / "README.md").write_text("mine\n")

    result = runner.invoke(app, ["create", "svc", *FAST])

    assert result.exit_code == 2
    assert "not empty" in result.output
    assert [p.name for p in project.iterdir()] == ["README.md"]
    assert (project / "README.md").read_text() == "mine\n"


def test_existing_empty_directory_is_used(runner: CliRunner, in_tmp: Path) -> None:
    (in_tmp / "svc").mkdir()

    result = runner.invoke(app, ["create", "svc", *FAST, "--no-git"])

    assert result.exit_code == 0, result.output
    assert (in_tmp / "svc" / "pyproject.toml").is_file()


def test_invalid_choice_lists_the_choices(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["create", "svc", *FAST, "--auth", "oauth"])

    assert result.exit_code == 2
    assert "'oauth' is not in ['jwt', 'none']" in result.output
    assert list(in_tmp.iterdir()) == []


def test_unknown_data_key_is_refused(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["create", "svc", *FAST, "--data", "colour=blue"])

    assert result.exit_code == 2
    assert "no question named 'colour'" in result.output
    assert list(in_tmp.iterdir()) == []


def test_no_terminal_and_no_defaults_is_a_clear_error(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["create", "svc", "--no-install"])

    assert result.exit_code == 2
    assert "no terminal" in result.output
    assert "--defaults" in result.output
    assert list(in_tmp.iterdir()) == []


def test_all_answers_as_flags_need_no_terminal(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(
        app,
        [
            "create", "svc", "--no-install", "--no-git",
            "--description", "Tracks things", "--author-name", "Ada", "--author-email",
            "ada@example.com", "--database", "postgresql", "--auth", "none", "--no-redis",
            "--deploy", "fly", "--ci", "none", "--python-version", "3.12",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((in_tmp / "svc" / ".copier-answers.yml").read_text())
    assert answers["auth"] == "none"
    assert answers["deploy"] == ["fly"]
    assert answers["python_version"] == "3.12"
    assert answers["description"] == "Tracks things"


def test_data_sets_any_answer_and_wins_over_flags(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(
        app,
        ["create", "svc", *FAST, "--no-git", "--auth", "jwt", "-d", "auth=none", "-d", "deploy=[]"],
    )

    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((in_tmp / "svc" / ".copier-answers.yml").read_text())
    assert answers["auth"] == "none"
    assert answers["deploy"] == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["--redis"], True, id="flag-on"),
        pytest.param(["--no-redis"], False, id="flag-off"),
        pytest.param(["-d", "redis=true"], True, id="data-true"),
        pytest.param(["-d", "redis=No"], False, id="data-no"),
        pytest.param([], False, id="default"),
    ],
)
def test_redis_is_a_yes_no_answer(
    runner: CliRunner, in_tmp: Path, args: list[str], expected: bool
) -> None:
    result = runner.invoke(app, ["create", "svc", *FAST, "--no-git", "--ci", "none", *args])

    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((in_tmp / "svc" / ".copier-answers.yml").read_text())
    assert answers["redis"] is expected
    assert (in_tmp / "svc" / "app" / "todos" / "stats.py").is_file()
    cache = (in_tmp / "svc" / "app" / "cache.py").read_text()
    assert ("from redis.asyncio import Redis" in cache) is expected


def test_a_redis_answer_that_is_not_yes_or_no_is_refused(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["create", "svc", *FAST, "--data", "redis=maybe"])

    assert result.exit_code == 2
    assert "is not true or false" in result.output
    assert list(in_tmp.iterdir()) == []


def test_sqlite_is_a_database_choice(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(
        app, ["create", "svc", *FAST, "--no-git", "--database", "sqlite", "--deploy", "none"]
    )

    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((in_tmp / "svc" / ".copier-answers.yml").read_text())
    assert answers["database"] == "sqlite"
    assert "aiosqlite" in (in_tmp / "svc" / "pyproject.toml").read_text()
    assert "run the tests on SQLite" in result.output  # the closing panel's next steps


def test_template_and_vcs_ref_are_recorded(
    runner: CliRunner, in_tmp: Path, template_repo: Path
) -> None:
    result = runner.invoke(
        app,
        ["create", "svc", *FAST, "--template", str(template_repo), "--vcs-ref", "v1.0.0"],
    )

    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((in_tmp / "svc" / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == str(template_repo)
    assert answers["_commit"] == "v1.0.0"


def test_options_lists_every_question(runner: CliRunner) -> None:
    result = runner.invoke(app, ["options"])

    assert result.exit_code == 0
    for question in (
        "project_name", "database", "auth", "redis", "deploy", "ci", "python_version",
    ):  # fmt: skip
        assert question in result.output
    assert "jwt, none" in result.output
    assert "postgresql, sqlite" in result.output
    assert "true, false" in result.output


def test_create_help_gives_copier_yml_defaults(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newapi._template import questions

    monkeypatch.setenv("COLUMNS", "400")  # each help text on one line
    result = runner.invoke(app, ["create", "--help"])

    lines = {line.split()[1]: line for line in result.output.splitlines() if "│ --" in line}
    for q in questions():
        if q.name in {"database", "auth", "ci"}:
            assert f"default: {q.default}." in lines[f"--{q.name}"], q.name
    assert "default: both." in lines["--deploy"]
    assert [d for q in questions() if q.name == "deploy" for d in q.default] == ["fly", "railway"]


@pytest.mark.parametrize(
    ("running", "shown"), [("3.12", "3.12 (this interpreter)"), ("3.14", "3.13 (nearest to 3.14)")]
)
def test_options_says_when_the_python_default_is_not_this_interpreter(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, running: str, shown: str
) -> None:
    from newapi import _template

    monkeypatch.setattr(_template, "running_python_version", lambda: running)
    monkeypatch.setenv("COLUMNS", "200")  # one line per question

    result = runner.invoke(app, ["options"])

    row = next(line for line in result.output.splitlines() if "python_version" in line)
    assert shown in row


@pytest.mark.usefixtures("in_tmp")
def test_debug_shows_the_traceback(runner: CliRunner) -> None:
    plain = runner.invoke(app, ["create", "1x", *FAST])
    debug = runner.invoke(app, ["create", "1x", *FAST, "--debug"])

    assert "Traceback" not in plain.output
    assert "Traceback" in debug.output
    assert debug.exit_code == 2


def test_on_a_terminal_it_asks_the_questions(tmp_path: Path) -> None:
    """A real pseudo-terminal: Copier's prompts appear, typed answers land in the project."""
    pexpect = pytest.importorskip("pexpect")
    newapi = Path(sys.executable).parent / "newapi"
    child = pexpect.spawn(
        str(newapi),
        ["create", "svc", "--no-install", "--no-git"],
        cwd=tmp_path,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 200),
        # prompt_toolkit would ask the terminal for the cursor position and wait for a reply.
        env=os.environ | {"PROMPT_TOOLKIT_NO_CPR": "1"},
    )
    typed = {"One-line description": "Typed at the prompt"}
    asked: list[str] = []
    question_shown = r"🎤(?:\x1b\[[0-9;]*m)* ([^\x1b\r\n]+)"  # colour codes around the icon
    while child.expect([question_shown, pexpect.EOF]) == 0:
        question = child.match.group(1).strip()
        if asked and asked[-1] == question:
            continue  # the prompt redrawn with its accepted answer
        asked.append(question)
        child.expect(r"\x1b\[\?7h")  # line wrapping back on: the prompt is drawn
        answer = next((v for k, v in typed.items() if question.startswith(k)), None)
        if answer is not None:
            child.sendcontrol("u")  # clear the default shown in the prompt
            child.send(answer)
        child.send("\r")
    child.close()

    assert child.exitstatus == 0
    assert any(q.startswith("One-line description") for q in asked)
    assert any(q.startswith("Authentication") for q in asked)
    assert any(q.startswith("Python version") for q in asked)
    answers = yaml.safe_load((tmp_path / "svc" / ".copier-answers.yml").read_text())
    assert answers["description"] == "Typed at the prompt"
    assert answers["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"


def test_every_locked_package_is_refused_as_a_slug() -> None:
    # A project named like one of its own packages cannot be locked (uv: "depends on itself").
    import re

    from tests.conftest import REPO_ROOT

    validator = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["project_slug"]["validator"]
    lock = (REPO_ROOT / "template" / "uv.lock.jinja").read_text()
    locked = set(re.findall(r'^name = "([a-z0-9-]+)"', lock, re.MULTILINE))
    assert locked, "no package names found in template/uv.lock.jinja"
    assert sorted(name for name in locked if f"'{name}'" not in validator) == []


def test_a_data_value_may_hold_an_equals_sign(runner: CliRunner, in_tmp: Path) -> None:
    # Only the first "=" separates the key: the rest is the value, as typed.
    result = runner.invoke(app, ["create", "svc", *FAST, "--no-git", "-d", "description=a=b c"])

    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((in_tmp / "svc" / ".copier-answers.yml").read_text())
    assert answers["description"] == "a=b c"


def test_data_without_an_equals_sign_is_refused(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["create", "svc", *FAST, "--data", "auth"])

    assert result.exit_code == 2
    assert "--data 'auth' is not KEY=VALUE" in result.output
    assert "--data auth=none" in result.output  # the hint shows the form
    assert list(in_tmp.iterdir()) == []


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_the_project_folder_gets_the_usual_rights(runner: CliRunner, in_tmp: Path) -> None:
    # The render is staged in a private temporary folder (0700); the project must not stay so.
    previous = os.umask(0o022)
    try:
        result = runner.invoke(app, ["create", "svc", *FAST, "--no-git"])
    finally:
        os.umask(previous)

    assert result.exit_code == 0, result.output
    assert (in_tmp / "svc").stat().st_mode & 0o777 == 0o755


@pytest.mark.parametrize("installed", [False, True], ids=["not-installed", "installed"])
def test_next_steps_say_to_install_only_when_it_did_not(tmp_path: Path, installed: bool) -> None:
    from rich.console import Console

    from newapi._create import CreateResult, next_steps

    console = Console(width=200, force_terminal=False, record=True)
    console.print(next_steps(CreateResult(tmp_path, files=3, installed=installed), 200))

    assert ("sync                      # install dependencies" in console.export_text()) is (
        not installed
    )


def test_defaults_on_a_terminal_asks_nothing(tmp_path: Path) -> None:
    """--defaults means "never ask", on a terminal too."""
    pexpect = pytest.importorskip("pexpect")
    newapi = Path(sys.executable).parent / "newapi"
    child = pexpect.spawn(
        str(newapi),
        ["create", "svc", "--defaults", "--no-install", "--no-git"],
        cwd=tmp_path,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
        env=os.environ | {"PROMPT_TOOLKIT_NO_CPR": "1"},
    )
    shown = child.expect(["🎤", pexpect.EOF])
    child.close(force=True)

    assert shown == 1, "a question was asked despite --defaults"
    assert child.exitstatus == 0
    assert (tmp_path / "svc" / "app" / "factory.py").is_file()


def test_ctrl_c_outside_a_create_is_exit_130(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `newapi check` can wait up to 20 s for the network: Ctrl-C there is 130, as shells expect.
    from newapi import _update

    def interrupted(_path: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_update, "check_project", interrupted)

    result = runner.invoke(app, ["check", str(tmp_path)])

    assert result.exit_code == 130
    assert "Interrupted." in result.output
    assert "Traceback" not in result.output


def test_signal_handlers_are_given_back() -> None:
    # A program that calls newapi's commands in-process gets its own SIGTERM handling back.
    import signal

    from newapi.cli import _terminated_as_interrupted

    def own(_signum: int, _frame: object) -> None:
        pass

    previous = signal.signal(signal.SIGTERM, own)
    try:
        with _terminated_as_interrupted():
            assert signal.getsignal(signal.SIGTERM) is not own
        assert signal.getsignal(signal.SIGTERM) is own
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_failed_step_is_marked_as_failed() -> None:
    import io

    from rich.console import Console

    from newapi._progress import Steps

    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    steps = Steps(console)
    with pytest.raises(RuntimeError), steps.step("Render [the] template", spinner=False):
        raise RuntimeError

    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert "✗ Render [the] template" in output
    assert "✓" not in output


def test_a_single_data_value_for_a_list_is_a_list_of_one(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["create", "svc", *FAST, "--no-git", "-d", "deploy=fly"])

    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((in_tmp / "svc" / ".copier-answers.yml").read_text())
    assert answers["deploy"] == ["fly"]


def test_a_file_where_the_project_would_go_is_refused_by_name(
    runner: CliRunner, in_tmp: Path
) -> None:
    (in_tmp / "svc").write_text("mine\n")

    result = runner.invoke(app, ["create", "svc", *FAST])

    assert result.exit_code == 2
    assert f"{in_tmp / 'svc'} exists and is not a directory" in result.output
    assert (in_tmp / "svc").read_text() == "mine\n"
    assert sorted(p.name for p in in_tmp.iterdir()) == ["svc"]


@pytest.mark.parametrize(
    ("running", "expected"),
    [((3, 12), "3.12"), ((3, 13), "3.13"), ((3, 14), "3.13")],
    ids=["3.12", "3.13", "newer"],
)
def test_the_default_python_is_this_interpreters_or_the_nearest_supported(
    monkeypatch: pytest.MonkeyPatch, running: tuple[int, int], expected: str
) -> None:
    from types import SimpleNamespace

    from newapi import _template

    version = SimpleNamespace(major=running[0], minor=running[1])
    monkeypatch.setattr(_template, "sys", SimpleNamespace(version_info=version))

    assert _template.default_python_version() == expected
