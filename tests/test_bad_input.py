"""Whatever a user types, newapi never produces a broken project or damages their files."""

from __future__ import annotations

import ast
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from newapi import _create, cli
from newapi._errors import InvalidAnswerError, StepError
from newapi.cli import app
from tests.conftest import git, render_project
from tests.test_update import make_template

FAST = ["--defaults", "--no-install", "--no-git"]
free_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=250)


def assert_project_parses(project: Path) -> None:
    for path in project.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in {".yml", ".yaml"}:
            yaml.safe_load(text)
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".py":
            ast.parse(text, filename=str(path))


@pytest.mark.parametrize("field", ["description", "author_name"])
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=free_text)
def test_free_text_is_rejected_clearly_or_kept_exactly(
    tmp_path_factory: pytest.TempPathFactory, field: str, value: str
) -> None:
    destination = tmp_path_factory.mktemp("free-text") / "svc"
    try:
        project = render_project(destination, {field: value})
    except InvalidAnswerError as error:
        rejection: str | None = error.message
    else:
        rejection = None
    if rejection is not None:
        assert f"question '{field}'" in rejection
        assert not destination.exists()
        return

    assert_project_parses(project)
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    if field == "description":
        assert metadata["description"] == value
    else:
        assert metadata["authors"][0]["name"] == value
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())[field] == value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("description", "two\nlines", id="newline"),
        pytest.param("description", "two\u2028lines", id="line-separator"),
        pytest.param("author_name", "next\x85line", id="next-line"),
        pytest.param("author_name", "c1\x9bcontrol", id="c1-control"),
        pytest.param("description", 'say "hi"', id="double-quote"),
        pytest.param("author_name", "back\\slash", id="backslash"),
        pytest.param("author_email", "not-an-email", id="email"),
        pytest.param("description", "x" * 201, id="too-long"),
    ],
)
def test_bad_free_text_names_the_rule(
    runner: CliRunner, in_tmp: Path, field: str, value: str
) -> None:
    result = runner.invoke(app, ["create", "svc", *FAST, "--data", f"{field}={value}"])

    assert result.exit_code == 2
    assert f"question '{field}'" in result.output
    assert list(in_tmp.iterdir()) == []


# Copier leaves a directory iterator open when a render fails half-way (its bug, not ours).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_typo_in_a_template_variable_fails_the_render(tmp_path: Path) -> None:
    repo = make_template(tmp_path)
    (repo / "template" / "TYPO.md.jinja").write_text("{{ project_nmae }}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "typo")

    result = CliRunner().invoke(
        app, ["create", "svc", *FAST, "--template", str(repo), "--vcs-ref", "HEAD",
              "--output", str(tmp_path / "out")],
    )  # fmt: skip

    assert result.exit_code != 0
    assert "project_nmae" in result.output
    assert not (tmp_path / "out").exists()


def test_force_writes_template_files_and_keeps_the_users(runner: CliRunner, in_tmp: Path) -> None:
    project = in_tmp / "svc"
    project.mkdir()
    (project / "notes.txt").write_text("mine\n")
    (project / "README.md").write_text("old readme\n")
    (project / ".env").write_text("SECRET_KEY=keep-me\n")

    refused = runner.invoke(app, ["create", "svc", *FAST])
    forced = runner.invoke(app, ["create", "svc", *FAST, "--force"])

    assert refused.exit_code == 2
    assert forced.exit_code == 0, forced.output
    assert (project / "notes.txt").read_text() == "mine\n"
    assert (project / "README.md").read_text() != "old readme\n"
    assert (project / ".env").read_text() == "SECRET_KEY=keep-me\n"
    assert (project / "app" / "factory.py").is_file()


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--output", ".", "--force"], id="force-into-a-repository"),
        pytest.param(["--output", "services/svc"], id="folder-of-a-repository"),
    ],
)
def test_inside_a_repository_nothing_of_the_users_is_committed(
    runner: CliRunner, in_tmp: Path, args: list[str]
) -> None:
    git(in_tmp, "init", "-q")
    (in_tmp / "credentials.json").write_text('{"token": "mine"}\n')

    result = runner.invoke(app, ["create", "svc", "--defaults", "--no-install", *args])

    assert result.exit_code == 0, result.output
    assert "already in a git repository" in result.output
    assert git(in_tmp, "rev-list", "--all") == ""  # no commit holding credentials.json
    assert sorted(p.name for p in in_tmp.rglob(".git")) == [".git"]  # no nested repository


def test_interrupted_render_leaves_nothing(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(project: Path) -> None:
        assert (project / "pyproject.toml").is_file()  # the render had written files
        raise KeyboardInterrupt

    monkeypatch.setattr(_create, "write_env", interrupted)

    result = runner.invoke(app, ["create", "svc", *FAST])

    assert result.exit_code == 130
    assert "Interrupted while rendering: nothing was left half-written" in result.output
    assert list(in_tmp.iterdir()) == []


def test_an_interrupted_install_says_the_project_is_there_and_how_to_finish(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_create, "install", interrupted)
    monkeypatch.setattr(_create, "find_uv", lambda: "uv")

    result = runner.invoke(app, ["create", "svc", "--defaults"])

    assert result.exit_code == 130
    assert "half-written" not in result.output  # it is there, rendered
    assert f"the project is rendered in {in_tmp / 'svc'}" in result.output
    assert f"cd {in_tmp / 'svc'} && uv sync && git init" in result.output
    assert (in_tmp / "svc" / "pyproject.toml").is_file()


def test_a_destination_filled_during_the_render_is_not_overwritten(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two `newapi create svc` at once: both find ./svc free, the second must not merge over
    # the first (without --force, newapi never overwrites a file).
    write_env = _create.write_env

    def meanwhile(staging: Path) -> None:
        (in_tmp / "svc").mkdir()
        (in_tmp / "svc" / "README.md").write_text("the other run's\n")
        write_env(staging)

    monkeypatch.setattr(_create, "write_env", meanwhile)

    result = runner.invoke(app, ["create", "svc", *FAST])

    assert result.exit_code == 2, result.output
    assert "never overwrites" in result.output
    assert [p.name for p in (in_tmp / "svc").iterdir()] == ["README.md"]
    assert (in_tmp / "svc" / "README.md").read_text() == "the other run's\n"
    assert sorted(p.name for p in in_tmp.iterdir()) == ["svc"]  # no staging folder left


def test_nothing_is_written_outside_the_destination(runner: CliRunner, in_tmp: Path) -> None:
    (in_tmp / "sibling").mkdir()

    result = runner.invoke(app, ["create", "svc", *FAST])

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in in_tmp.iterdir()) == ["sibling", "svc"]
    assert list((in_tmp / "sibling").iterdir()) == []


def test_without_git_the_project_is_still_created(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(in_tmp / "empty-path"))

    result = runner.invoke(app, ["create", "svc", "--defaults", "--no-install"])

    assert result.exit_code == 0, result.output
    assert "git is not on PATH" in result.output
    assert "git init" in result.output
    assert (in_tmp / "svc" / "app" / "factory.py").is_file()
    assert not (in_tmp / "svc" / ".git").exists()


def test_without_uv_the_project_is_still_created(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(in_tmp / "empty-path"))
    monkeypatch.setitem(sys.modules, "uv", None)  # as if newapi was installed without uv

    result = runner.invoke(app, ["create", "svc", "--defaults", "--no-git"])

    assert result.exit_code == 0, result.output
    assert "uv is not installed" in result.output
    assert "uv sync" in result.output
    assert (in_tmp / "svc" / "pyproject.toml").is_file()
    assert not (in_tmp / "svc" / ".venv").exists()


def test_a_ref_the_template_lacks_is_one_clear_error(
    runner: CliRunner, in_tmp: Path, template_repo: Path
) -> None:
    result = runner.invoke(
        app, ["create", "svc", *FAST, "--template", str(template_repo), "--vcs-ref", "v9.9.9"]
    )

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"Could not get the template {template_repo} at 'v9.9.9'" in result.output
    assert "--vcs-ref" in result.output  # the hint says what to check
    assert not (in_tmp / "svc").exists()


def test_an_error_stays_on_one_line_in_a_narrow_console(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pipes and CI logs give Rich 80 columns or fewer: the message must not be cut up.
    monkeypatch.setattr(cli, "err", Console(width=40, force_terminal=False, stderr=True))
    (in_tmp / "svc").mkdir()
    (in_tmp / "svc" / "notes.txt").write_text("mine\n")

    result = runner.invoke(app, ["create", "svc", *FAST])

    assert result.exit_code == 2
    error_line = next(line for line in result.output.splitlines() if line.startswith("Error: "))
    assert "never overwrites" in error_line  # the whole message, not its first 40 columns


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--data", "project_slug=[/x]"], id="slug"),
        pytest.param(["--author-email", "[/x]"], id="email"),
        pytest.param(["--data", "deploy={a: 1}"], id="hint-with-brackets"),
    ],
)
def test_text_in_an_error_is_printed_as_typed(
    runner: CliRunner, in_tmp: Path, args: list[str]
) -> None:
    # Rich markup in a message (the user's own text, a hint's `[a, b]`) is printed, not parsed.
    result = runner.invoke(app, ["create", "svc", *FAST, *args])

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert ("[/x]" if "[/x]" in args[-1] else "deploy=[a, b]") in result.output
    assert not (in_tmp / "svc").exists()


def test_force_never_writes_through_a_link(runner: CliRunner, in_tmp: Path) -> None:
    outside = in_tmp / "outside"
    outside.mkdir()
    project = in_tmp / "svc"
    project.mkdir()
    (project / "app").symlink_to(outside)

    result = runner.invoke(app, ["create", "svc", *FAST, "--force"])

    assert result.exit_code == 2, result.output
    assert "symbolic link" in result.output
    assert list(outside.iterdir()) == []
    assert [p.name for p in project.iterdir()] == ["app"]


def test_force_refused_halfway_changes_nothing(runner: CliRunner, in_tmp: Path) -> None:
    project = in_tmp / "svc"
    (project / "README.md").mkdir(parents=True)  # a folder where the template has a file

    result = runner.invoke(app, ["create", "svc", *FAST, "--force"])

    assert result.exit_code == 2, result.output
    assert [p.name for p in project.iterdir()] == ["README.md"]
    assert sorted(p.name for p in in_tmp.iterdir()) == ["svc"]


@pytest.mark.parametrize("asks_another_python", [False, True], ids=["same-python", "other-python"])
def test_a_failed_install_says_how_to_finish_the_project(
    tmp_path: Path, asks_another_python: bool
) -> None:
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    wanted = "3.99" if asks_another_python else running
    (tmp_path / ".python-version").write_text(f"{wanted}\n")

    with pytest.raises(StepError) as failed:
        _create.install(tmp_path, "false", git=True)  # `false`: an install that fails

    hint = failed.value.hint or ""
    assert f"cd {tmp_path} && uv sync && git init && git add -A && git commit" in hint
    assert ("asks for Python 3.99" in hint) is asks_another_python


def test_an_empty_current_folder_is_filled_not_replaced(runner: CliRunner, in_tmp: Path) -> None:
    """`mkdir svc && cd svc && newapi create svc --output .`: the shell's folder must stay
    the same folder (replacing it left the shell in a deleted one)."""
    here = in_tmp / "here"
    here.mkdir(mode=0o750)
    before = here.stat()
    os.chdir(here)

    result = runner.invoke(app, ["create", "svc", *FAST, "--output", "."])

    assert result.exit_code == 0, result.output
    after = Path.cwd().stat()
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert (here / "app" / "factory.py").is_file()
    assert sorted(p.name for p in in_tmp.iterdir()) == ["here"]  # no staging folder left


def test_a_link_to_an_empty_folder_stays_a_link(runner: CliRunner, in_tmp: Path) -> None:
    (in_tmp / "real").mkdir()
    (in_tmp / "link").symlink_to(in_tmp / "real")

    result = runner.invoke(app, ["create", "link", *FAST])

    assert result.exit_code == 0, result.output
    assert (in_tmp / "link").is_symlink()
    assert (in_tmp / "real" / "pyproject.toml").is_file()


def test_a_dangling_link_is_refused_by_name(runner: CliRunner, in_tmp: Path) -> None:
    (in_tmp / "svc").symlink_to(in_tmp / "nowhere")

    result = runner.invoke(app, ["create", "svc", *FAST])

    assert result.exit_code == 2
    assert f"{in_tmp / 'svc'} is a link to {in_tmp / 'nowhere'}, which does not exist" in (
        result.output
    )
    assert sorted(p.name for p in in_tmp.iterdir()) == ["svc"]


def test_a_path_too_long_for_the_file_system_is_one_clear_error(
    runner: CliRunner, in_tmp: Path
) -> None:
    result = runner.invoke(app, ["create", "svc", *FAST, "--output", "n" * 300])

    assert result.exit_code == 2, result.output
    assert "File name too long" in result.output
    assert "Choose a shorter name" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert list(in_tmp.iterdir()) == []


def test_a_deleted_current_folder_is_named(runner: CliRunner, in_tmp: Path) -> None:
    gone = in_tmp / "gone"
    gone.mkdir()
    os.chdir(gone)
    gone.rmdir()

    result = runner.invoke(app, ["create", "svc", *FAST])

    assert result.exit_code == 2
    assert "The current folder no longer exists" in result.output


def test_output_that_nobody_reads_does_not_stop_the_create(tmp_path: Path) -> None:
    """`newapi create svc | head -1`: the reader goes away; the project must still be
    installed and committed (Rich's default stopped at the first line it could not write)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to stdout now fails: a broken pipe
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "newapi", "create", "svc", "--defaults", "--no-install"],
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)

    assert finished.returncode == 0, finished.stderr
    assert git(tmp_path / "svc", "log", "--format=%s").strip() == "Initial commit from newapi"
    assert "Traceback" not in finished.stderr


def test_sigterm_while_rendering_leaves_nothing(tmp_path: Path) -> None:
    """A CI timeout or a closed terminal (SIGTERM, SIGHUP) cleans up as Ctrl-C does."""
    running = subprocess.Popen(
        [sys.executable, "-m", "newapi", "create", "svc", *FAST],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".svc.*.newapi")) and running.poll() is None:
        assert time.monotonic() < deadline, "the render never started"
        time.sleep(0.01)
    running.send_signal(signal.SIGTERM)
    _, stderr = running.communicate(timeout=60)

    assert running.returncode == 130, stderr
    assert "Interrupted" in stderr
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_commit_says_how_to_finish(tmp_path: Path) -> None:
    """Interrupted after newapi's own `git init` but before its commit: the project is a
    repository of its own by then, and still needs that commit."""
    project = tmp_path / "svc"
    project.mkdir()
    git(project, "init", "-q")
    request = _create.CreateRequest(destination=project, answers={}, install=False)
    result = _create.CreateResult(destination=project, files=1)

    assert "git commit -m 'Initial commit from newapi'" in _create._finish_hint(request, result)


def test_without_git_the_repository_check_says_no(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))

    assert _create.inside_work_tree(tmp_path) is False  # no FileNotFoundError


@pytest.mark.usefixtures("in_tmp")
def test_next_steps_keep_each_command_on_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = "a-rather-long-folder-name/holding-another-long-folder-name/notification-dispatch"
    monkeypatch.setattr(cli, "out", Console(width=80, force_terminal=False))

    result = runner.invoke(app, ["create", "svc", *FAST, "--output", where])

    assert result.exit_code == 0, result.output
    assert f"  cd {where}\n" in result.output


def test_next_steps_name_uv_by_its_path_when_it_is_not_on_path(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(in_tmp / "empty-path"))
    uv = _create.find_uv()
    assert uv is not None  # newapi's own, from the `uv` package

    result = runner.invoke(app, ["create", "svc", *FAST])

    assert result.exit_code == 0, result.output
    assert f"{uv} run pytest" in result.output


def test_a_commit_refused_by_a_hook_says_the_project_is_complete(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = in_tmp / "hooks"
    hooks.mkdir()
    (hooks / "pre-commit").write_text("#!/bin/sh\necho 'no commits today' >&2\nexit 1\n")
    (hooks / "pre-commit").chmod(0o755)
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "core.hooksPath")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", str(hooks))

    result = runner.invoke(app, ["create", "svc", "--defaults", "--no-install"])

    assert result.exit_code == 1
    assert "no commits today" in result.output
    assert "The project is complete; commit it yourself" in result.output
    assert "--no-verify" in result.output
    assert (in_tmp / "svc" / "app" / "factory.py").is_file()


def test_a_uv_workspace_member_is_not_installed_into_the_workspace(
    runner: CliRunner, in_tmp: Path
) -> None:
    """In a monorepo whose uv workspace takes `services/*`, `uv sync` in the project would
    re-resolve the workspace's own uv.lock: newapi leaves the user's files alone and says
    what to do."""
    (in_tmp / "pyproject.toml").write_text(
        '[project]\nname = "mono"\nversion = "0"\n\n[tool.uv.workspace]\nmembers = ["services/*"]\n'
    )

    result = runner.invoke(
        app, ["create", "svc", "--defaults", "--no-git", "--output", "services/svc"]
    )

    assert result.exit_code == 0, result.output
    assert "is a member of the uv workspace in" in result.output
    assert sorted(p.name for p in in_tmp.iterdir()) == ["pyproject.toml", "services"]
    assert not (in_tmp / "services" / "svc" / ".venv").exists()


@pytest.mark.parametrize(
    ("workspace", "member"),
    [
        pytest.param('members = ["services/*"]', True, id="member"),
        pytest.param('members = ["services/**"]', True, id="member-any-depth"),
        pytest.param('members = ["libs/*"]', False, id="not-a-member"),
        pytest.param('members = ["services/*"]\nexclude = ["services/svc"]', False, id="excluded"),
    ],
)
def test_workspace_membership_follows_uv(tmp_path: Path, workspace: str, member: bool) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.uv.workspace]\n{workspace}\n")
    project = tmp_path / "services" / "svc"

    found = _create.enclosing_uv_workspace(project)

    assert found == (tmp_path if member else None)


def test_an_empty_folder_filled_while_files_move_in_is_left_as_it_was(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The folder is empty when checked; another program writes pyproject.toml into it while
    # newapi moves the rendered files in: what newapi had moved is taken back out.
    project = in_tmp / "svc"
    project.mkdir()
    move = shutil.move

    def meanwhile(source: Path, target: Path) -> object:
        moved = move(source, target)
        if not (project / "pyproject.toml").exists():
            (project / "pyproject.toml").write_text("the other program's\n")
        return moved

    monkeypatch.setattr(shutil, "move", meanwhile)

    result = runner.invoke(app, ["create", "svc", *FAST])

    assert result.exit_code == 2, result.output
    assert "never overwrites" in result.output
    assert [p.name for p in project.iterdir()] == ["pyproject.toml"]
    assert (project / "pyproject.toml").read_text() == "the other program's\n"
    assert sorted(p.name for p in in_tmp.iterdir()) == ["svc"]  # no staging folder left


def test_force_into_a_mount_point_writes_across_file_systems(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--output /work --force` where /work is a mount point (a Docker volume): the staging
    folder is in its parent, on another file system, where a rename fails with EXDEV."""
    project = in_tmp / "svc"
    project.mkdir()
    (project / "notes.txt").write_text("mine\n")
    (project / "README.md").write_text("old readme\n")

    def across_file_systems(rename: Callable[..., None]) -> Callable[..., None]:
        def renamed(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
            staged = str(source).endswith(".newapi") or ".newapi/" in str(source)
            if staged and ".newapi" not in str(target):
                raise OSError(errno.EXDEV, "Invalid cross-device link", str(source))
            rename(source, target)

        return renamed

    monkeypatch.setattr(os, "rename", across_file_systems(os.rename))
    monkeypatch.setattr(os, "replace", across_file_systems(os.replace))

    result = runner.invoke(app, ["create", "svc", *FAST, "--force"])

    assert result.exit_code == 0, result.output
    assert (project / "notes.txt").read_text() == "mine\n"
    assert (project / "README.md").read_text() != "old readme\n"
    assert (project / "app" / "factory.py").is_file()
    assert sorted(p.name for p in in_tmp.iterdir()) == ["svc"]  # no staging folder left


def test_an_interrupted_install_in_a_repository_does_not_say_git_init(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A folder of the user's repository (a monorepo): `git init` there would nest a repository.
    git(in_tmp, "init", "-q")

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_create, "install", interrupted)
    monkeypatch.setattr(_create, "find_uv", lambda: "uv")

    result = runner.invoke(app, ["create", "svc", "--defaults", "--output", "services/svc"])

    assert result.exit_code == 130
    assert f"To finish: cd {in_tmp / 'services' / 'svc'} && uv sync" in result.output
    assert "git init" not in result.output
