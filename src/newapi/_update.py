"""`newapi update` and `newapi check`: move a project to a newer template version safely."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from newapi._create import ANSWERS_FILE, _uv_env, find_uv, inside_work_tree
from newapi._errors import Interrupted, NeedsAnswersError, NewapiError, UsageError
from newapi._history import History, copier_git_env, open_history, parse_version
from newapi._progress import Steps

CONFLICT_MARKERS = (b"<<<<<<< before updating", b">>>>>>> after updating")
# The kind of conflict for a file the new template version deletes and the user had changed:
# Copier deletes it all the same; the user's version is only in the last commit.
DELETED_EDIT = "deleted by the template, had your changes"


@dataclass(frozen=True)
class Project:
    path: Path
    answers: dict[str, Any]

    @property
    def source(self) -> str:
        return str(self.answers["_src_path"])

    @property
    def version(self) -> str | None:
        commit = self.answers.get("_commit")
        return None if commit is None else str(commit)


@dataclass(frozen=True)
class Status:
    """Where a project stands against its template (what `newapi check` reports)."""

    project: Path
    source: str
    current: str | None
    latest: str | None
    offline: bool

    @property
    def behind(self) -> bool:
        current, latest = parse_version(self.current), parse_version(self.latest)
        if latest is None:
            return False
        return current is None or current < latest

    @property
    def ahead(self) -> bool:
        """Past the newest release (a commit after it, from `newapi update --to main`)."""
        current, latest = parse_version(self.current), parse_version(self.latest)
        return current is not None and latest is not None and current > latest

    def as_json(self) -> dict[str, Any]:
        return {
            "project": str(self.project),
            "source": self.source,
            "current": self.current,
            "latest": self.latest,
            "behind": self.behind,
            "ahead": self.ahead,
            "offline": self.offline,
        }


@dataclass
class UpdateResult:
    source: str
    from_version: str | None
    to_version: str | None
    changes: str
    pretend: bool
    up_to_date: bool = False
    ahead: bool = False  # up_to_date, on a template commit after the newest release
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (path, kind)
    # What happened (or, with --pretend, would happen) to uv.lock after pyproject.toml
    # changed (None: pyproject.toml did not).
    lock: str | None = None
    # --pretend: what the update would do to each file (path, change), nothing written.
    preview: list[tuple[str, str]] = field(default_factory=list)


def read_project(path: Path) -> Project:
    answers_path = path / ANSWERS_FILE
    if not answers_path.is_file():
        raise UsageError(
            f"{path.absolute()} is not a generated project: it has no {ANSWERS_FILE}.",
            hint="Run this in a project made by `newapi create`, or pass its folder.",
        )
    restore = "Restore it from git (`git checkout -- .copier-answers.yml`)."
    try:
        answers = yaml.safe_load(answers_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise UsageError(
            f"{ANSWERS_FILE} in {path.absolute()} is not valid YAML{line}.", hint=restore
        ) from error
    if not isinstance(answers, dict):
        raise UsageError(
            f"{ANSWERS_FILE} in {path.absolute()} does not hold answers (a YAML mapping).",
            hint=restore,
        )
    if "_src_path" not in answers:
        raise UsageError(
            f"{ANSWERS_FILE} in {path.absolute()} does not say which template made it.",
            hint=restore,
        )
    return Project(path=path, answers=answers)


def project_root(path: Path) -> Path:
    """The generated project `path` is in: `path` itself, or the nearest folder above it
    with an answers file (run from `app/`, as git finds its repository)."""
    start = path.absolute()
    for folder in (start, *start.parents):
        if (folder / ANSWERS_FILE).is_file():
            return folder
    return path


def check_project(path: Path) -> Status:
    """The project's template version against the newest one available."""
    path = project_root(path)
    project = read_project(path)
    with open_history(project.source) as history:
        return Status(
            project=path.absolute(),
            source=project.source,
            current=project.version,
            latest=history.latest(),
            offline=history.offline,
        )


def update_project(
    path: Path,
    steps: Steps,
    *,
    to: str | None,
    pretend: bool,
    defaults: bool,
    interactive: bool,
    answers: Mapping[str, Any] | None = None,
) -> UpdateResult:
    """Run Copier's update with inline conflict markers, then report every conflict.

    `answers` change recorded answers (`--data redis=true`): the project is rendered
    again with them, on the newest version or, when it is there already, on its own.
    """
    path = project_root(path)
    project = read_project(path)
    changed = {
        key: value for key, value in (answers or {}).items() if project.answers.get(key) != value
    }
    with steps.step("Check the project"):
        require_clean_git(path)
    with open_history(project.source) as history:
        target = to or history.latest()
        if target is None:
            raise NewapiError(f"The template at {project.source} has no release tags.")
        if to is not None and not history.has_ref(to):
            raise UsageError(
                f"The template at {project.source} has no version {to!r}.",
                hint="Pick one of: " + (", ".join(history.tags()) or "(no release tags)"),
            )
        current, newest = parse_version(project.version), parse_version(target)
        # A commit after the newest release (`--to main`): "updating" would downgrade.
        ahead = project.version != target and (
            to is None and current is not None and newest is not None and current >= newest
        )
        if changed and project.version is not None and (ahead or project.version == target):
            target, ahead = project.version, False  # new answers, on the version it has
        result = UpdateResult(
            source=project.source,
            from_version=project.version,
            to_version=target,
            changes=changes_between(history, project.version, target),
            pretend=pretend,
        )
        if not changed and (ahead or project.version == target):
            result.up_to_date, result.ahead = True, ahead
            if ahead:
                result.changes = ""
            return result
        require_recorded_version(history, project)
        deleted: list[str] = []
        label = "Preview the update" if pretend else "Update with Copier"
        new_answers = "".join(f", {key}={value}" for key, value in changed.items())
        with steps.step(
            f"{label} ({project.version} → {target}{new_answers})", spinner=not interactive
        ):
            if pretend:
                result.preview = _preview_update(
                    history, project, target, defaults, interactive, changed
                )
                if "pyproject.toml" in dict(result.preview) and (path / "uv.lock").is_file():
                    result.lock = (
                        "pyproject.toml would change: the update would then run `uv lock` "
                        "to update uv.lock."
                    )
            else:
                try:
                    _run_copier_update(history, path, target, defaults, interactive, changed)
                    deleted = deleted_edits(history, project, path)
                except KeyboardInterrupt:
                    raise Interrupted(
                        f"Interrupted during the update: {path.absolute()} may be half-updated.",
                        hint="The update started from a clean tree: `git status` shows what it "
                        "changed; `git checkout -- . && git clean -fd` undoes all of it.",
                    ) from None
    if not pretend:
        result.conflicts = sorted(find_conflicts(path) + [(n, DELETED_EDIT) for n in deleted])
        result.lock = _relock(path, steps, result.conflicts)
    return result


def require_recorded_version(history: History, project: Project) -> None:
    """Copier renders the recorded version to see the user's changes: it must exist."""
    if project.version is None or history.has_ref(project.version):
        return
    where = "newapi's bundled copy of the template history" if history.offline else history.source
    if history.offline:
        hint = (
            f"Connect to the network so newapi can reach {history.source}, or install a newapi "
            f"release whose bundled history has {project.version}."
        )
    else:
        hint = (
            f"Fetch that version into {history.source}, or set `_commit` in {ANSWERS_FILE} to "
            "the version the project was made from (one of: "
            + (", ".join(history.tags()) or "no release tags")
            + ")."
        )
    raise UsageError(
        f"The project records template version {project.version!r} (`_commit` in "
        f"{ANSWERS_FILE}), which {where} does not have; the update needs it to find your changes.",
        hint=hint,
    )


def _preview_update(
    history: History,
    project: Project,
    target: str,
    defaults: bool,
    interactive: bool,
    answers: Mapping[str, Any],
) -> list[tuple[str, str]]:
    """Run the update on a throwaway clone of the project (its tree is clean, so the clone
    holds the same files) and list what it changed there, conflicts included."""
    # The project may be a folder of a larger repository (a monorepo): clone the repository,
    # update the same folder in the clone. Porcelain paths are the repository's: strip it.
    path = project.path
    top = _git(path, "rev-parse", "--show-toplevel").strip()
    prefix = _git(path, "rev-parse", "--show-prefix").strip()
    with tempfile.TemporaryDirectory(prefix="newapi-preview-") as scratch:
        clone_root = Path(scratch) / Path(top).name
        _git(path, "clone", "--quiet", "--no-hardlinks", top, str(clone_root))
        clone = clone_root / prefix
        _run_copier_update(history, clone, target, defaults, interactive, answers)
        conflicts = dict(find_conflicts(clone))
        conflicts |= dict.fromkeys(deleted_edits(history, project, clone), DELETED_EDIT)
        changes = []
        for code, name in _status(clone, "--untracked-files=all", "--", "."):
            name = name.removeprefix(prefix)
            if name.endswith(".rej") or name in conflicts:
                continue
            changes.append((name, _CHANGE_KINDS.get(code.strip()[:1], "modified")))
        return sorted(changes + [(name, f"conflict: {kind}") for name, kind in conflicts.items()])


_CHANGE_KINDS = {"?": "added", "A": "added", "D": "deleted", "R": "renamed", "M": "modified"}


def deleted_edits(history: History, project: Project, path: Path) -> list[str]:
    """Files the update deleted (the new template version has no such file) that the user
    had changed: their content in HEAD differs from what the old version rendered.

    `path` is the updated project (or a clone of it); its tree was clean before the
    update, so every file missing from it now was deleted by the update.
    """
    from copier.errors import CopierError
    from jinja2 import TemplateError
    from plumbum.commands.processes import ProcessExecutionError

    deleted = _git_paths(path, "ls-files", "-z", "--deleted")
    if not deleted:
        return []
    with tempfile.TemporaryDirectory(prefix="newapi-old-") as scratch:
        old = Path(scratch) / "old"
        try:
            _render(history, project, old)
        except (CopierError, ProcessExecutionError, TemplateError, ValueError, OSError):
            return sorted(deleted)  # cannot tell which had changes: report every one
        changed = []
        for name in deleted:
            before = subprocess.run(
                ["git", "show", f"HEAD:./{name}"], cwd=path, capture_output=True, check=False
            ).stdout
            rendered = old / name
            if not rendered.is_file() or rendered.read_bytes() != before:
                changed.append(name)
        return sorted(changed)


def _render(history: History, project: Project, destination: Path) -> None:
    """Render the project's recorded template version with its recorded answers."""
    import copier

    data = {key: value for key, value in project.answers.items() if not key.startswith("_")}
    with copier_git_env(history):
        copier.run_copy(
            project.source,
            destination,
            data=data,
            defaults=True,
            vcs_ref=project.version,
            quiet=True,
            unsafe=False,
        )


def _relock(path: Path, steps: Steps, conflicts: list[tuple[str, str]]) -> str | None:
    """`uv lock` after an update that changed pyproject.toml, so `uv sync --locked` (CI, the
    Dockerfile) keeps working: Copier never touches uv.lock (it is in `_skip_if_exists`)."""
    changed = subprocess.run(
        ["git", "diff", "--quiet", "HEAD", "--", "pyproject.toml"], cwd=path, check=False
    )
    if changed.returncode == 0 or not (path / "uv.lock").is_file():
        return None
    if "pyproject.toml" in dict(conflicts):
        return "pyproject.toml has conflicts: resolve them, then run `uv lock` to update uv.lock."
    uv = find_uv()
    completed: subprocess.CompletedProcess[str] | None = None
    if uv is None:
        return "uv is not installed: install it, then run `uv lock` to update uv.lock."
    with steps.step("Update uv.lock (uv lock)"):
        try:
            completed = subprocess.run(
                [uv, "lock"],
                cwd=path,
                env=_uv_env(path),
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError as error:
            detail = error.strerror or str(error)
        else:
            output = [line.strip() for line in completed.stderr.splitlines() if line.strip()]
            errors = [line for line in output if line.startswith(("\u00d7", "error:"))]
            detail = (errors or output or ["no output"])[-1]
    if completed is None or completed.returncode != 0:
        return (
            f"`uv lock` failed ({detail}), so uv.lock does not match pyproject.toml: fix "
            "that, then run `uv lock` in the project."
        )
    return "uv.lock updated to match pyproject.toml."


def require_clean_git(path: Path) -> None:
    if shutil.which("git") is None:
        raise UsageError(
            "git is not installed (not on PATH); updates need git to merge safely.",
            hint="Install git, then run `newapi update` again.",
        )
    if not inside_work_tree(path):
        raise UsageError(
            f"{path.absolute()} is not a git repository; updates need git to merge safely.",
            hint="Run `git init && git add -A && git commit -m 'Before update'` first.",
        )
    # Only the project's folder: in a monorepo, other folders' work in progress is no concern.
    prefix = _git(path, "rev-parse", "--show-prefix").strip()
    dirty = [name.removeprefix(prefix) for _, name in _status(path, "--", ".")]
    if dirty:
        shown = ", ".join(dirty[:10]) + (f" and {len(dirty) - 10} more" if len(dirty) > 10 else "")
        raise UsageError(
            f"{path.absolute()} has uncommitted changes ({shown}); an update must start from a "
            "clean tree so you can review and undo it.",
            hint="Commit or stash your changes (`git stash -u`), then run the update again.",
        )


def changes_between(history: History, current: str | None, target: str) -> str:
    """The CHANGELOG sections newer than `current`, up to and including `target`."""
    text = history.changelog(target)
    low, high = parse_version(current), parse_version(target)
    kept: list[str] = []
    keep = False
    for line in text.splitlines():
        heading = re.match(r"^##\s+v?(\S+)", line)
        if heading:
            version = parse_version(heading.group(1))
            keep = version is not None and (low is None or version > low)
            keep = keep and (high is None or version is None or version <= high)
        if keep:
            kept.append(line)
    return "\n".join(kept).strip()


def find_conflicts(path: Path) -> list[tuple[str, str]]:
    """Files an update left for the user to resolve: markers, .rej files, unmerged entries."""
    found: dict[str, str] = {}
    for name in _git_paths(path, "diff", "-z", "--name-only", "--relative", "--diff-filter=U"):
        found[name] = "unmerged"
    changed = _git_paths(path, "ls-files", "-z", "--modified", "--others", "--exclude-standard")
    for name in changed:
        file = path / name
        if name.endswith(".rej"):
            found[name] = "rejected hunk (.rej)"
        elif file.is_file() and _has_markers(file):
            found[name] = "conflict markers"
    return sorted(found.items())


def _has_markers(file: Path) -> bool:
    with file.open("rb") as handle:
        return any(line.rstrip() in CONFLICT_MARKERS for line in handle)


def _run_copier_update(
    history: History,
    path: Path,
    target: str,
    defaults: bool,
    interactive: bool,
    answers: Mapping[str, Any],
) -> None:
    import copier
    from plumbum.commands.processes import ProcessExecutionError

    try:
        with copier_git_env(history):
            copier.run_update(
                dst_path=path,
                data=dict(answers),
                vcs_ref=target,
                defaults=defaults,
                skip_answered=not interactive,
                overwrite=True,
                conflict="inline",
                quiet=True,
                unsafe=False,
            )
    except copier.errors.InteractiveSessionError as error:
        raise NeedsAnswersError(
            "The new template version asks questions and there is no terminal to ask them on.",
            hint="Pass --defaults to take the defaults for new questions.",
        ) from error
    except ProcessExecutionError as error:
        # Copier's git (through plumbum) failed: the source cannot be fetched, or a version
        # is missing from it.
        lines = (error.stderr or "").strip().splitlines() or str(error).splitlines()
        raise NewapiError(
            f"Copier's git could not get the template from {history.source}: {lines[-1].strip()}",
            hint="Check the network, and `_src_path` in .copier-answers.yml (a git URL or path "
            "that git can fetch) and `_commit` (a version that source has); then run the "
            "update again.",
        ) from error
    except ValueError as error:
        if str(error).startswith("Unknown revision"):  # Copier's word for a missing ref
            raise NewapiError(
                f"The template at {history.source} lacks a version the update needs: {error}",
                hint="Check `_commit` in .copier-answers.yml and --to.",
            ) from error
        raise UsageError(str(error), hint="Fix that answer in .copier-answers.yml.") from error
    except copier.errors.CopierError as error:
        raise NewapiError(f"Copier could not update the project: {error}") from error


def _git_paths(path: Path, *args: str) -> list[str]:
    """The paths a `git ... -z` command lists: NUL-separated, never quoted."""
    return [name for name in _git(path, *args).split("\0") if name]


def _status(path: Path, *args: str) -> list[tuple[str, str]]:
    """(XY code, path) of each entry of `git status --porcelain -z` (paths from the
    repository's root, never quoted; a rename's original path is skipped)."""
    entries = iter(_git(path, "status", "--porcelain", "-z", *args).split("\0"))
    found = []
    for entry in entries:
        if not entry:
            continue
        code, name = entry[:2], entry[3:]
        if "R" in code or "C" in code:
            next(entries, None)  # -z puts the original path after the new one
        found.append((code, name))
    return found


def _git(path: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=path, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise NewapiError(f"`git {' '.join(args)}` failed: {completed.stderr.strip()}")
    return completed.stdout


def update_report(result: UpdateResult) -> RenderableType:
    """What the update did: versions, changelog, and a table of conflicts if any."""
    moving = escape(f"{result.from_version or 'unknown'} → {result.to_version}")
    if result.ahead:
        return Text(
            f"Already at or ahead of the template's newest release {result.to_version} "
            f"(this project is on {result.from_version}); nothing to do. "
            "`newapi update --to REF` moves to another version."
        )
    if result.up_to_date:
        return Text(f"Already on the template's version {result.to_version}; nothing to do.")
    parts: list[RenderableType] = [Text.from_markup(f"[bold]Template version:[/bold] {moving}")]
    if result.changes:
        parts.append(Panel(Markdown(result.changes), title="Changes", expand=False))
    if result.pretend:
        table = Table(title="The update would change", title_justify="left")
        table.add_column("file")
        table.add_column("change")
        for name, change in result.preview:
            table.add_row(escape(name), escape(change))
        parts.append(table)
        kinds = [change for _, change in result.preview]
        if any(change.startswith("conflict") and DELETED_EDIT not in change for change in kinds):
            parts.append(Text("It would leave conflicts to resolve in the files marked so."))
        if f"conflict: {DELETED_EDIT}" in kinds:
            parts.append(
                Text(
                    "It would delete files you had changed (the new template version has no "
                    "such files): after the update, `git checkout HEAD -- PATH` restores one."
                )
            )
        if result.lock is not None:
            parts.append(Text(result.lock))
        parts.append(Text("Pretend mode: nothing was written."))
        return Group(*parts)
    conflicts = [(name, kind) for name, kind in result.conflicts if kind != DELETED_EDIT]
    deleted = [name for name, kind in result.conflicts if kind == DELETED_EDIT]
    if conflicts:
        table = Table(title="Conflicts to resolve before committing", title_justify="left")
        table.add_column("file")
        table.add_column("kind")
        for name, kind in conflicts:
            table.add_row(escape(name), kind)
        parts.append(table)
    if deleted:
        lines = ["[bold]Deleted by the template, had your changes:[/bold]"]
        lines += [
            f"  {escape(name)} [dim](restore with `git checkout HEAD -- "
            f"{escape(shlex.quote(name))}`)[/dim]"
            for name in deleted
        ]
        parts.append(Text.from_markup("\n".join(lines)))
    if conflicts:
        parts.append(
            Text.from_markup(
                "[red]The update left conflicts.[/red] Resolve them (search for "
                "`<<<<<<< before updating`), then review with `git diff` and commit."
            )
        )
    if deleted:
        parts.append(
            Text.from_markup(
                "[red]The update deleted files you had changed.[/red] The new template version "
                "has no such files: restore the ones you still need, then review with "
                "`git diff` and commit."
            )
        )
    if not result.conflicts:
        parts.append(Text("Updated with no conflicts. Review with `git diff`, then commit."))
    if result.lock is not None:
        parts.append(Text(result.lock))
    return Group(*parts)


def status_report(status: Status) -> RenderableType:
    where = escape("newapi's bundled copy (offline)" if status.offline else status.source)
    current, latest = escape(status.current or "unknown"), escape(status.latest or "none")
    lines = [
        f"[bold]Project template version:[/bold] {current}",
        f"[bold]Newest available:[/bold] {latest} [dim](from {where})[/dim]",
    ]
    if status.behind:
        lines.append("[yellow]Behind:[/yellow] run `newapi update` to move forward.")
    elif status.ahead:
        lines.append(
            "[green]Ahead of the newest release[/green] (on a later template commit): "
            "nothing to update."
        )
    elif status.latest is None:
        lines.append("[yellow]The template has no release tags:[/yellow] nothing to compare.")
    else:
        lines.append("[green]Up to date.[/green]")
    return Text.from_markup("\n".join(lines))
