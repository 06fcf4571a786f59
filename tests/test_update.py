"""`newapi update` / `newapi check` and plain `copier update`, across real template versions.

Each test builds its own template history: a git copy of this repository tagged v1.0.0,
then changed (a new file, a changed line in a file users also edit, a new question with
a default, a question derived from an older answer) and tagged v1.1.0.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner, Result

from newapi import _update
from newapi._create import find_uv
from newapi._history import History
from newapi._update import Status, changes_between, status_report
from newapi.cli import app
from tests.conftest import REPO_ROOT, git

NEW_QUESTIONS = """
greeting:
  type: str
  help: A greeting for NOTES.md (added in 1.1.0)
  default: hello from 1.1.0

ci_provider:
  type: str
  help: Replaces `ci` (1.1.0); defaults to the earlier answer so updates keep it
  default: "{{ ci }}"
  when: false
"""
README_ADDITION = "\n## Added by template 1.1.0\n"
UPDATE_COMBINATIONS = [
    pytest.param({}, id="defaults"),
    pytest.param(
        {"auth": "none", "ci": "none", "deploy": "[]"}, id="auth:none-ci:none-deploy:none"
    ),
]


def make_template(root: Path) -> Path:
    """A template repository at v1.0.0 (this repo's template as it is now)."""
    repo = root / "template-repo"
    repo.mkdir()
    for name in ("copier.yml", "CHANGELOG.md"):
        shutil.copy2(REPO_ROOT / name, repo / name)
    shutil.copytree(
        REPO_ROOT / "template", repo / "template", ignore=shutil.ignore_patterns("__pycache__")
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "template 1.0.0")
    git(repo, "tag", "v1.0.0")
    return repo


def release_next_version(repo: Path, *, readme_line: str = README_ADDITION) -> None:
    """Change the template as a release would, then tag v1.1.0."""
    with (repo / "copier.yml").open("a") as config:
        config.write(NEW_QUESTIONS)
    (repo / "template" / "NOTES.md.jinja").write_text("{{ greeting }} ({{ ci_provider }})\n")
    readme = repo / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + readme_line)
    changelog = repo / "CHANGELOG.md"
    head, _, rest = changelog.read_text().partition("\n## ")
    changelog.write_text(f"{head}\n## 1.1.0\n\n- Adds NOTES.md and a greeting.\n\n## {rest}")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "template 1.1.0")
    git(repo, "tag", "v1.1.0")


def create(runner: CliRunner, repo: Path, where: Path, answers: dict[str, str]) -> Path:
    data = [arg for key, value in answers.items() for arg in ("--data", f"{key}={value}")]
    result = runner.invoke(
        app,
        [
            "create", "svc", "--defaults", "--no-install", "--output", str(where),
            "--template", str(repo), "--vcs-ref", "v1.0.0", *data,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return where


def user_edits(project: Path) -> dict[str, str]:
    """A user's typical changes after generating, committed. Returns what must survive."""
    router = project / "app" / "reports.py"
    router.write_text('"""Reports."""\n\nREPORTS: list[str] = []\n')
    readme = project / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    lines[0] = "# My very own service\n"
    readme.write_text("".join(lines))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "dependencies = [\n", 'dependencies = [\n    "rich>=13",\n', 1
        )
    )
    env = project / ".env"
    env.write_text(env.read_text() + "LOG_LEVEL=DEBUG\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "my changes")
    return {
        "app/reports.py": router.read_text(),
        ".env": env.read_text(),
    }


def tree(project: Path) -> dict[str, bytes]:
    return {
        p.relative_to(project).as_posix(): p.read_bytes()
        for p in sorted(project.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(project).parts and p.name != ".env"
    }


@pytest.mark.parametrize("answers", UPDATE_COMBINATIONS)
def test_update_keeps_user_edits_and_applies_the_template(
    runner: CliRunner, tmp_path: Path, answers: dict[str, str]
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", answers)
    kept = user_edits(project)
    release_next_version(repo)

    check_before = runner.invoke(app, ["check", str(project), "--json"])
    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 0, result.output
    assert "v1.0.0 → v1.1.0" in result.output
    assert "Adds NOTES.md and a greeting." in result.output
    assert "no conflicts" in result.output
    for name, text in kept.items():
        assert (project / name).read_text() == text, name
    readme = (project / "README.md").read_text()
    assert readme.startswith("# My very own service\n")
    assert readme.endswith(README_ADDITION)
    assert '"rich>=13",' in (project / "pyproject.toml").read_text()
    ci = answers.get("ci", "github")
    assert (project / "NOTES.md").read_text() == f"hello from 1.1.0 ({ci})\n"
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == "v1.1.0"
    assert recorded["greeting"] == "hello from 1.1.0"
    assert check_before.exit_code == 1
    assert json.loads(check_before.output)["behind"] is True
    assert runner.invoke(app, ["check", str(project)]).exit_code == 0


def test_plain_copier_update_works_too(runner: CliRunner, tmp_path: Path) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    kept = user_edits(project)
    release_next_version(repo)

    completed = subprocess.run(
        [sys.executable, "-m", "copier", "update", "--defaults", "--conflict", "inline"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    for name, text in kept.items():
        assert (project / name).read_text() == text, name
    assert (project / "NOTES.md").is_file()
    assert (project / "README.md").read_text().startswith("# My very own service\n")


def test_conflicting_edit_is_reported_and_nothing_else_is_lost(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    kept = user_edits(project)
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## My own closing section\n")
    git(project, "commit", "-qam", "my closing section")
    release_next_version(repo)

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 1
    assert "README.md" in result.output
    assert "conflict markers" in result.output
    text = readme.read_text()
    assert "<<<<<<< before updating" in text
    assert "## My own closing section" in text
    assert "## Added by template 1.1.0" in text
    for name, content in kept.items():
        assert (project / name).read_text() == content, name


@pytest.mark.parametrize("answers", UPDATE_COMBINATIONS)
def test_update_of_an_untouched_project_equals_a_fresh_one(
    runner: CliRunner, tmp_path: Path, answers: dict[str, str]
) -> None:
    repo = make_template(tmp_path)
    updated = create(runner, repo, tmp_path / "old" / "svc", answers)
    release_next_version(repo)

    result = runner.invoke(app, ["update", str(updated), "--defaults"])
    data = [arg for key, value in answers.items() for arg in ("--data", f"{key}={value}")]
    fresh = runner.invoke(
        app,
        [
            "create", "svc", "--defaults", "--no-install", "--no-git",
            "--output", str(tmp_path / "new" / "svc"), "--template", str(repo),
            "--vcs-ref", "v1.1.0", *data,
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert fresh.exit_code == 0, fresh.output
    assert tree(updated) == tree(tmp_path / "new" / "svc")


def test_update_refuses_a_dirty_tree(runner: CliRunner, tmp_path: Path) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    (project / "scratch.txt").write_text("work in progress\n")
    release_next_version(repo)
    before = tree(project)

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 2
    assert "uncommitted changes (scratch.txt)" in result.output
    assert "git stash" in result.output
    assert tree(project) == before


def test_update_refuses_a_folder_that_is_not_a_project(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["update", str(tmp_path), "--defaults"])

    assert result.exit_code == 2
    assert "has no .copier-answers.yml" in result.output
    assert list(tmp_path.iterdir()) == []


def test_pretend_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    release_next_version(repo)
    before = tree(project)

    result = runner.invoke(app, ["update", str(project), "--defaults", "--pretend"])

    assert result.exit_code == 0, result.output
    assert "Pretend mode" in result.output
    assert tree(project) == before
    assert git(project, "status", "--porcelain") == ""
    # What the update would do, file by file.
    changes = dict(re.findall(r"│ (\S+)\s+│ (\w[\w :()]*?)\s+│", result.output))
    assert changes == {
        ".copier-answers.yml": "modified", "NOTES.md": "added", "README.md": "modified",
    }  # fmt: skip


def test_pretend_in_a_folder_of_a_larger_repository(runner: CliRunner, tmp_path: Path) -> None:
    repo = make_template(tmp_path)
    monorepo = tmp_path / "monorepo"
    monorepo.mkdir()
    git(monorepo, "init", "-q")
    result = runner.invoke(
        app,
        [
            "create", "svc", "--defaults", "--no-install", "--no-git",
            "--output", str(monorepo / "services" / "svc"),
            "--template", str(repo), "--vcs-ref", "v1.0.0",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    git(monorepo, "add", "-A")
    git(monorepo, "commit", "-qm", "services/svc")
    release_next_version(repo)

    result = runner.invoke(
        app, ["update", str(monorepo / "services" / "svc"), "--defaults", "--pretend"]
    )

    assert result.exit_code == 0, result.output
    changes = dict(re.findall(r"│ (\S+)\s+│ (\w[\w :()]*?)\s+│", result.output))
    assert changes == {
        ".copier-answers.yml": "modified", "NOTES.md": "added", "README.md": "modified",
    }  # fmt: skip
    assert git(monorepo, "status", "--porcelain") == ""


def test_pretend_shows_the_conflicts_an_update_would_leave(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## My own closing section\n")
    git(project, "commit", "-qam", "my closing section")
    release_next_version(repo)
    before = tree(project)

    result = runner.invoke(app, ["update", str(project), "--defaults", "--pretend"])

    assert result.exit_code == 0, result.output
    assert re.search(r"README.md\s+│ conflict: conflict markers", result.output)
    assert "would leave conflicts" in result.output
    assert tree(project) == before
    assert "<<<<<<<" not in readme.read_text()


def test_to_picks_the_target_version(runner: CliRunner, tmp_path: Path) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    release_next_version(repo)
    (repo / "template" / "LATER.md").write_text("later\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "template 1.2.0")
    git(repo, "tag", "v1.2.0")

    result = runner.invoke(app, ["update", str(project), "--defaults", "--to", "v1.1.0"])

    assert result.exit_code == 0, result.output
    assert (project / "NOTES.md").is_file()
    assert not (project / "LATER.md").exists()
    check = runner.invoke(app, ["check", str(project), "--json"])
    assert json.loads(check.output) | {"project": None} == {
        "project": None,
        "source": str(repo),
        "current": "v1.1.0",
        "latest": "v1.2.0",
        "behind": True,
        "ahead": False,
        "offline": False,
    }


def test_offline_update_uses_the_bundled_history(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    canonical = "https://github.com/newapi-dev/newapi.git"  # unreachable from the tests
    answers_file = project / ".copier-answers.yml"
    recorded: dict[str, Any] = yaml.safe_load(answers_file.read_text())
    answers_file.write_text(yaml.safe_dump(recorded | {"_src_path": canonical}))
    git(project, "commit", "-qam", "recorded the canonical source")
    release_next_version(repo)
    bundle = tmp_path / "history.bundle"
    git(repo, "bundle", "create", str(bundle), "--tags")
    monkeypatch.setenv("NEWAPI_TEMPLATE_HISTORY", str(bundle))

    check = runner.invoke(app, ["check", str(project), "--json"])
    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert json.loads(check.output)["offline"] is True
    assert json.loads(check.output)["latest"] == "v1.1.0"
    assert result.exit_code == 0, result.output
    assert (project / "NOTES.md").is_file()
    after = yaml.safe_load(answers_file.read_text())
    assert after["_src_path"] == canonical
    assert after["_commit"] == "v1.1.0"


def test_env_file_is_never_overwritten(runner: CliRunner, tmp_path: Path) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    env = project / ".env"
    env.write_text("SECRET_KEY=my-real-secret-that-must-survive-every-update\n")
    (repo / "template" / ".env").write_text("SECRET_KEY=template-placeholder\n")
    release_next_version(repo)

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 0, result.output
    assert env.read_text() == "SECRET_KEY=my-real-secret-that-must-survive-every-update\n"


@pytest.mark.slow
def test_updated_project_still_passes_its_own_tests(
    runner: CliRunner, tmp_path: Path, traversable_tmp: Callable[[str], Path]
) -> None:
    from tests.test_generated import passed_count, project_env

    repo = make_template(tmp_path)
    project = create(runner, repo, traversable_tmp("updated") / "svc", {})
    user_edits(project)
    release_next_version(repo)
    assert runner.invoke(app, ["update", str(project), "--defaults"]).exit_code == 0
    uv = [sys.executable, "-m", "uv"]
    env = project_env()
    env.pop("TEST_DATABASE_URL", None)
    for command in (["lock"], ["sync"], ["run", "pytest", "-q", "-p", "no:randomly"]):
        completed = subprocess.run(
            [*uv, *command], cwd=project, env=env, capture_output=True, text=True, check=False
        )
        assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    assert passed_count(completed.stdout) >= 20


def test_plain_copier_copy_needs_no_trust(tmp_path: Path) -> None:
    repo = make_template(tmp_path)

    completed = subprocess.run(
        [sys.executable, "-m", "copier", "copy", "--defaults", "--data", "project_name=x",
         str(repo), str(tmp_path / "out")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stderr
    answers = yaml.safe_load((tmp_path / "out" / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.0.0"
    assert (tmp_path / "out" / "app" / "factory.py").is_file()


def test_check_does_not_call_a_template_without_tags_up_to_date(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    git(repo, "tag", "-d", "v1.0.0")

    result = runner.invoke(app, ["check", str(project)])

    assert result.exit_code == 0, result.output
    assert "has no release tags" in result.output
    assert "Up to date" not in result.output


def rows(output: str) -> dict[str, str]:
    """The rows of a Rich table in `output`: first column → second column."""
    return {
        name: value
        for name, value in re.findall(r"^│ (\S.*?) +│ (\S.*?) +│$", output, flags=re.MULTILINE)
        if name != "file"
    }


def ends_with_an_error_line(result: Result, exit_code: int) -> bool:
    """Exited with `exit_code` through newapi's error handling, not with a traceback."""
    return result.exit_code == exit_code and isinstance(result.exception, SystemExit)


def release_that_deletes(repo: Path, *names: str) -> None:
    """Tag v1.1.0: the template no longer has `names` (paths under template/)."""
    for name in names:
        git(repo, "rm", "-q", f"template/{name}")
    git(repo, "commit", "-qm", "template 1.1.0: fewer files")
    git(repo, "tag", "v1.1.0")


def test_update_reports_deleted_files_the_user_had_changed(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    edited = project / "tests" / "api" / "test_isolation.py"
    edited.write_text(edited.read_text() + "\n\ndef test_my_own_case() -> None:\n    pass\n")
    git(project, "commit", "-qam", "my own test case")
    release_that_deletes(repo, "tests/api/test_isolation.py", "tests/test_signing.py")

    preview = runner.invoke(app, ["update", str(project), "--defaults", "--pretend"])
    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert preview.exit_code == 0, preview.output
    assert rows(preview.output) == {
        ".copier-answers.yml": "modified",
        "tests/api/test_isolation.py": "conflict: deleted by the template, had your changes",
        "tests/test_signing.py": "deleted",
    }
    assert "would delete files you had changed" in preview.output
    assert result.exit_code == 1, result.output
    assert "no conflicts" not in result.output
    assert "Deleted by the template, had your changes:" in result.output
    assert (
        "tests/api/test_isolation.py (restore with "
        "`git checkout HEAD -- tests/api/test_isolation.py`)" in result.output
    )
    assert "test_signing.py" not in result.output  # deleted too, but the user never changed it
    assert not edited.exists()
    git(project, "checkout", "HEAD", "--", "tests/api/test_isolation.py")
    assert "def test_my_own_case()" in edited.read_text()


def add_a_dependency(repo: Path, requirement: str) -> None:
    """Tag v1.1.0: the template's pyproject.toml gains `requirement`."""
    pyproject = repo / "template" / "pyproject.toml.jinja"
    text = pyproject.read_text()
    assert "dependencies = [\n" in text
    pyproject.write_text(
        text.replace("dependencies = [\n", f'dependencies = [\n    "{requirement}",\n', 1)
    )
    git(repo, "commit", "-qam", "template 1.1.0: one more dependency")
    git(repo, "tag", "v1.1.0")


def test_update_relocks_when_pyproject_changes(runner: CliRunner, tmp_path: Path) -> None:
    # Not offline: pytest is locked already, but `uv lock` needs every platform's metadata,
    # which a cache filled by `uv sync` alone lacks (offline, this failed on a new machine).
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    add_a_dependency(repo, "pytest>=8.4")

    preview = runner.invoke(app, ["update", str(project), "--defaults", "--pretend"])
    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert preview.exit_code == 0, preview.output
    assert rows(preview.output)["pyproject.toml"] == "modified"
    assert "the update would then run `uv lock`" in preview.output
    assert result.exit_code == 0, result.output
    assert "uv.lock updated to match pyproject.toml" in result.output
    assert '"pytest>=8.4",' in (project / "pyproject.toml").read_text()
    uv = find_uv()
    assert uv is not None
    locked = subprocess.run(
        [uv, "lock", "--locked"], cwd=project, capture_output=True, text=True, check=False
    )
    assert locked.returncode == 0, locked.stderr  # what `uv sync --locked` checks in CI


def test_update_says_when_uv_lock_fails_and_still_updates(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_OFFLINE", "1")  # no index: the new dependency cannot be resolved
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    lock = (project / "uv.lock").read_text()
    add_a_dependency(repo, "newapi-no-such-package>=1")

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 0, result.output
    assert "`uv lock` failed" in result.output
    assert "then run `uv lock` in the project" in result.output
    assert "newapi-no-such-package" in (project / "pyproject.toml").read_text()
    assert (project / "uv.lock").read_text() == lock


def record(project: Path, **answers: str) -> None:
    """Change recorded answers (`_src_path`, `_commit`) in the project, committed."""
    answers_file = project / ".copier-answers.yml"
    recorded: dict[str, Any] = yaml.safe_load(answers_file.read_text())
    answers_file.write_text(yaml.safe_dump(recorded | answers))
    git(project, "commit", "-qam", "recorded answers changed")


def offline_history(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "history.bundle"
    git(repo, "bundle", "create", str(bundle), "--tags")
    monkeypatch.setenv("NEWAPI_TEMPLATE_HISTORY", str(bundle))


def behind_offline(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **recorded: str
) -> Path:
    """A project made at v1.0.0 whose answers record `recorded`, a v1.1.0 release, and
    no network: the history newapi has is the bundled one."""
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    record(project, **recorded)
    release_next_version(repo)
    offline_history(repo, tmp_path, monkeypatch)
    return project


def test_update_names_a_recorded_version_the_history_lacks(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = behind_offline(
        runner,
        tmp_path,
        monkeypatch,
        _src_path="https://github.com/newapi-dev/newapi.git",
        _commit="v0.3.0",
    )
    before = tree(project)

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert ends_with_an_error_line(result, 2), result.output
    assert "records template version 'v0.3.0'" in result.output
    assert "newapi's bundled copy of the template history does not have" in result.output
    assert "Connect to the network" in result.output
    assert tree(project) == before


def test_update_from_an_unreachable_source_is_an_error_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another template's source, unreachable: newapi's bundled history is no stand-in."""
    # A source that never resolves.
    project = behind_offline(
        runner, tmp_path, monkeypatch, _src_path="git+https://newapi.invalid/newapi.git"
    )
    before = tree(project)

    result = runner.invoke(app, ["update", str(project), "--defaults"])
    check = runner.invoke(app, ["check", str(project)])

    for ran in (result, check):
        assert ends_with_an_error_line(ran, 1), ran.output
        assert (
            "The template source git+https://newapi.invalid/newapi.git (`_src_path` in "
            ".copier-answers.yml) cannot be reached" in ran.output
        )
    assert tree(project) == before


@pytest.mark.parametrize(
    "recorded", ["gh:newapi-dev/newapi", "https://github.com/newapi-dev/newapi.git"]
)
def test_offline_update_of_a_shorthand_source_uses_the_bundled_history(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded: str
) -> None:
    """`copier copy gh:newapi-dev/newapi` records the shorthand; Copier hands git the URL."""
    project = behind_offline(runner, tmp_path, monkeypatch, _src_path=recorded)

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 0, result.output
    assert (project / "NOTES.md").is_file()
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_src_path"] == recorded


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("_src_path: [unclosed\n", "is not valid YAML (line 2)", id="malformed"),
        pytest.param("- _src_path\n- _commit\n", "does not hold answers", id="a-list"),
        pytest.param("project_name: svc\n", "does not say which template made it", id="no-source"),
    ],
)
@pytest.mark.parametrize("command", ["check", "update"])
def test_a_broken_answers_file_is_an_error_line(
    runner: CliRunner, tmp_path: Path, command: str, text: str, problem: str
) -> None:
    project = tmp_path / "svc"
    project.mkdir()
    git(project, "init", "-q")
    (project / ".copier-answers.yml").write_text(text)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "broken answers")

    result = runner.invoke(app, [command, str(project)])

    assert ends_with_an_error_line(result, 2), result.output
    assert f".copier-answers.yml in {project} {problem}" in result.output
    assert "Restore it from git (`git checkout -- .copier-answers.yml`)" in result.output


def test_a_project_ahead_of_the_newest_release_is_not_downgraded(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    release_next_version(repo)
    (repo / "template" / "LATER.md").write_text("not released yet\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "after 1.1.0")
    moved = runner.invoke(app, ["update", str(project), "--defaults", "--to", "main"])
    assert moved.exit_code == 0, moved.output
    git(project, "add", "-A")
    git(project, "commit", "-qm", "template main")
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"]
    assert re.fullmatch(r"v1\.1\.0-1-g[0-9a-f]+", recorded)
    before = tree(project)

    check = runner.invoke(app, ["check", str(project)])
    check_json = runner.invoke(app, ["check", str(project), "--json"])
    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert check.exit_code == 0, check.output
    assert "Ahead of the newest release" in check.output
    assert "Up to date" not in check.output
    assert json.loads(check_json.output)["ahead"] is True
    assert result.exit_code == 0, result.output
    assert (
        f"Already at or ahead of the template's newest release v1.1.0 (this project is on "
        f"{recorded}); nothing to do." in result.output
    )
    assert tree(project) == before
    assert git(project, "status", "--porcelain") == ""


def test_pretend_in_a_folder_with_a_space_of_a_larger_repository(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = make_template(tmp_path)
    monorepo = tmp_path / "monorepo"
    monorepo.mkdir()
    git(monorepo, "init", "-q")
    project = monorepo / "services" / "Shop API"
    created = runner.invoke(
        app,
        [
            "create", "svc", "--defaults", "--no-install", "--no-git", "--output", str(project),
            "--template", str(repo), "--vcs-ref", "v1.0.0",
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## My own closing section\n")
    git(monorepo, "add", "-A")
    git(monorepo, "commit", "-qm", "services/Shop API")
    release_next_version(repo)

    result = runner.invoke(app, ["update", str(project), "--defaults", "--pretend"])

    assert result.exit_code == 0, result.output
    assert rows(result.output) == {
        ".copier-answers.yml": "modified",
        "NOTES.md": "added",
        "README.md": "conflict: conflict markers",
    }
    assert git(monorepo, "status", "--porcelain") == ""


def test_update_in_a_larger_repository_ignores_changes_outside_the_project(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = make_template(tmp_path)
    monorepo = tmp_path / "monorepo"
    (monorepo / "web").mkdir(parents=True)
    (monorepo / "web" / "index.html").write_text("<p>v1</p>\n")
    git(monorepo, "init", "-q")
    project = monorepo / "services" / "svc"
    created = runner.invoke(
        app,
        [
            "create", "svc", "--defaults", "--no-install", "--no-git", "--output", str(project),
            "--template", str(repo), "--vcs-ref", "v1.0.0",
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    git(monorepo, "add", "-A")
    git(monorepo, "commit", "-qm", "web and services/svc")
    (monorepo / "web" / "index.html").write_text("<p>v2, work in progress</p>\n")
    (monorepo / "web" / "draft.html").write_text("<p>draft</p>\n")
    release_next_version(repo)

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 0, result.output
    assert "no conflicts" in result.output
    assert (project / "NOTES.md").is_file()
    assert (monorepo / "web" / "index.html").read_text() == "<p>v2, work in progress</p>\n"
    assert (monorepo / "web" / "draft.html").is_file()


def test_update_data_changes_an_answer_on_the_version_the_project_has(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`newapi update --data redis=true`: an option chosen later, the user's work kept."""
    monkeypatch.setenv("UV_OFFLINE", "1")  # the `uv lock` after pyproject.toml changed
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {"redis": "false"})
    kept = user_edits(project)

    result = runner.invoke(app, ["update", str(project), "--defaults", "--data", "redis=true"])

    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (answers["redis"], answers["_commit"]) == (True, "v1.0.0")
    assert "Redis" in (project / "app" / "cache.py").read_text()
    assert (project / "tests" / "api" / "test_todo_stats.py").is_file()
    for name, text in kept.items():
        assert text in (project / name).read_text(), name


def test_update_data_with_a_new_version_does_both(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_OFFLINE", "1")  # the `uv lock` after pyproject.toml changed
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {"redis": "false"})
    release_next_version(repo)

    result = runner.invoke(app, ["update", str(project), "--defaults", "--data", "redis=true"])

    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (answers["redis"], answers["_commit"]) == (True, "v1.1.0")
    assert (project / "NOTES.md").is_file()
    assert (project / "tests" / "api" / "test_todo_stats.py").is_file()


def test_update_data_names_an_unknown_question(runner: CliRunner, tmp_path: Path) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    before = tree(project)

    result = runner.invoke(app, ["update", str(project), "--defaults", "--data", "cache=yes"])

    assert ends_with_an_error_line(result, 2), result.output
    assert "the template has no question named 'cache'" in result.output
    assert tree(project) == before


def test_check_and_update_work_from_a_folder_of_the_project(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    release_next_version(repo)
    monkeypatch.chdir(project / "app")

    check = runner.invoke(app, ["check", "--json"])
    result = runner.invoke(app, ["update", "--defaults"])

    assert json.loads(check.output)["project"] == str(project)
    assert result.exit_code == 0, result.output
    assert (project / "NOTES.md").is_file()
    assert not (project / "app" / "NOTES.md").exists()


def test_to_a_version_the_template_lacks_names_the_versions_it_has(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    release_next_version(repo)
    before = tree(project)

    result = runner.invoke(app, ["update", str(project), "--defaults", "--to", "v9.9.9"])

    assert ends_with_an_error_line(result, 2), result.output
    assert f"The template at {repo} has no version 'v9.9.9'" in result.output
    assert "Pick one of: v1.0.0, v1.1.0" in result.output
    assert tree(project) == before


class _Changelog(History):
    """A history whose CHANGELOG.md is given (changes_between reads nothing else)."""

    text = ""

    def changelog(self, _ref: str) -> str:
        return self.text


def test_the_changes_shown_are_those_after_the_project_version_up_to_the_target() -> None:
    history = _Changelog(source="x", repo=Path("x"), offline=False)
    history.text = (
        "# Changelog\n\n## 1.3.0 (unreleased)\n\n- three\n\n## 1.2.0\n\n- two\n\n"
        "## v1.1.0\n\n- one\n\n## 1.0.0\n\n- zero\n"
    )

    shown = changes_between(history, "v1.0.0", "v1.2.0")

    assert shown == "## 1.2.0\n\n- two\n\n## v1.1.0\n\n- one"


def test_the_newest_version_is_the_highest_not_the_last_in_alphabetical_order(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "history"
    repo.mkdir()
    git(repo, "init", "-q")
    for tag in ("v1.9.0", "v1.10.0", "nightly"):
        git(repo, "commit", "-q", "--allow-empty", "-m", tag)
        git(repo, "tag", tag)
    history = History(source=str(repo), repo=repo, offline=False)

    assert history.tags() == ["v1.9.0", "v1.10.0"]
    assert history.latest() == "v1.10.0"


def test_check_says_what_to_do_when_behind() -> None:
    status = Status(
        project=Path("svc"), source="x", current="v1.0.0", latest="v1.1.0", offline=False
    )
    console = Console(width=200, force_terminal=False, record=True)
    console.print(status_report(status))

    assert "Behind: run `newapi update` to move forward." in console.export_text()
    assert "Up to date" not in console.export_text()


def test_an_interrupted_update_says_how_to_undo_it(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    release_next_version(repo)

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_update, "_run_copier_update", interrupted)

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert ends_with_an_error_line(result, 130), result.output
    assert f"Interrupted during the update: {project} may be half-updated" in result.output
    assert "`git checkout -- . && git clean -fd` undoes all of it" in result.output


def test_update_without_a_terminal_needs_defaults_for_new_questions(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    release_next_version(repo)  # asks a new question, `greeting`

    result = runner.invoke(app, ["update", str(project)])

    assert ends_with_an_error_line(result, 2), result.output
    assert "asks questions and there is no terminal" in result.output
    assert "Pass --defaults" in result.output
    assert "greeting" not in yaml.safe_load((project / ".copier-answers.yml").read_text())


def test_update_with_a_conflict_in_pyproject_leaves_uv_lock_for_later(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    user_edits(project)  # adds a dependency where the template adds one: a conflict
    lock = (project / "uv.lock").read_text()
    add_a_dependency(repo, "pytest>=8.4")

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 1, result.output
    assert re.search(r"pyproject\.toml\s+│ conflict markers", result.output)
    assert (
        "pyproject.toml has conflicts: resolve them, then run `uv lock` to update uv.lock."
        in result.output
    )
    assert (project / "uv.lock").read_text() == lock


def test_update_data_on_a_project_ahead_of_the_newest_release_keeps_its_version(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--data` on a project past the newest release (`--to main`): a new answer on the
    version it has, never a downgrade to the release."""
    monkeypatch.setenv("UV_OFFLINE", "1")  # the `uv lock` after pyproject.toml changed
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {"redis": "false"})
    (repo / "template" / "LATER.md").write_text("not released yet\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "after 1.0.0")
    moved = runner.invoke(app, ["update", str(project), "--defaults", "--to", "main"])
    assert moved.exit_code == 0, moved.output
    git(project, "add", "-A")
    git(project, "commit", "-qm", "template main")
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"]

    result = runner.invoke(app, ["update", str(project), "--defaults", "--data", "redis=true"])

    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (answers["redis"], answers["_commit"]) == (True, recorded)
    assert (project / "LATER.md").is_file()


def test_update_outside_git_says_to_commit_first(runner: CliRunner, tmp_path: Path) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    shutil.rmtree(project / ".git")
    release_next_version(repo)
    before = tree(project)

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert ends_with_an_error_line(result, 2), result.output
    assert f"{project} is not a git repository; updates need git" in result.output
    assert "git init && git add -A && git commit" in result.output
    assert tree(project) == before


def test_update_without_git_installed_says_so(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert ends_with_an_error_line(result, 2), result.output
    assert "git is not installed (not on PATH)" in result.output


def test_update_of_a_project_on_the_newest_version_does_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = make_template(tmp_path)
    project = create(runner, repo, tmp_path / "svc", {})
    before = tree(project)

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 0, result.output
    assert "Already on the template's version v1.0.0; nothing to do." in result.output
    assert "Update with Copier" not in result.output
    assert tree(project) == before
    assert git(project, "log", "--format=%s").splitlines() == ["Initial commit from newapi"]
