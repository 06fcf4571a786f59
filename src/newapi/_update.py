"""`newapi update` and `newapi check`: move a project to a newer template version safely."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
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

from newapi._create import ANSWERS_FILE, inside_work_tree
from newapi._errors import Interrupted, NeedsAnswersError, NewapiError, UsageError
from newapi._history import History, copier_git_env, open_history, parse_version
from newapi._progress import Steps

CONFLICT_MARKERS = (b"<<<<<<< before updating", b">>>>>>> after updating")


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

    def as_json(self) -> dict[str, Any]:
        return {
            "project": str(self.project),
            "source": self.source,
            "current": self.current,
            "latest": self.latest,
            "behind": self.behind,
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
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (path, kind)
    # --pretend: what the update would do to each file (path, change), nothing written.
    preview: list[tuple[str, str]] = field(default_factory=list)


def read_project(path: Path) -> Project:
    answers_path = path / ANSWERS_FILE
    if not answers_path.is_file():
        raise UsageError(
            f"{path.absolute()} is not a generated project: it has no {ANSWERS_FILE}.",
            hint="Run this in a project made by `newapi create`, or pass its folder.",
        )
    answers = yaml.safe_load(answers_path.read_text(encoding="utf-8")) or {}
    if "_src_path" not in answers:
        raise UsageError(
            f"{ANSWERS_FILE} in {path.absolute()} does not say which template made it.",
            hint="Restore the file from git (`git checkout -- .copier-answers.yml`).",
        )
    return Project(path=path, answers=answers)


def check_project(path: Path) -> Status:
    """The project's template version against the newest one available."""
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
    path: Path, steps: Steps, *, to: str | None, pretend: bool, defaults: bool, interactive: bool
) -> UpdateResult:
    """Run Copier's update with inline conflict markers, then report every conflict."""
    project = read_project(path)
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
        result = UpdateResult(
            source=project.source,
            from_version=project.version,
            to_version=target,
            changes=changes_between(history, project.version, target),
            pretend=pretend,
        )
        if project.version == target:
            result.up_to_date = True
            return result
        label = "Preview the update" if pretend else "Update with Copier"
        with steps.step(f"{label} ({project.version} → {target})", spinner=not interactive):
            if pretend:
                result.preview = _preview_update(history, path, target, defaults, interactive)
            else:
                try:
                    _run_copier_update(history, path, target, defaults, interactive)
                except KeyboardInterrupt:
                    raise Interrupted(
                        f"Interrupted during the update: {path.absolute()} may be half-updated.",
                        hint="The update started from a clean tree: `git status` shows what it "
                        "changed; `git checkout -- . && git clean -fd` undoes all of it.",
                    ) from None
    if not pretend:
        result.conflicts = find_conflicts(path)
    return result


def _preview_update(
    history: History, path: Path, target: str, defaults: bool, interactive: bool
) -> list[tuple[str, str]]:
    """Run the update on a throwaway clone of the project (its tree is clean, so the clone
    holds the same files) and list what it changed there, conflicts included."""
    # The project may be a folder of a larger repository (a monorepo): clone the repository,
    # update the same folder in the clone. Porcelain paths are the repository's: strip it.
    top = _git(path, "rev-parse", "--show-toplevel").strip()
    prefix = _git(path, "rev-parse", "--show-prefix").strip()
    with tempfile.TemporaryDirectory(prefix="newapi-preview-") as scratch:
        clone_root = Path(scratch) / Path(top).name
        _git(path, "clone", "--quiet", "--no-hardlinks", top, str(clone_root))
        clone = clone_root / prefix
        _run_copier_update(history, clone, target, defaults, interactive)
        conflicts = dict(find_conflicts(clone))
        changes = []
        status = _git(clone, "status", "--porcelain", "--untracked-files=all", "--", ".")
        for line in status.splitlines():
            code, name = line[:2], line[3:].removeprefix(prefix)
            if name.endswith(".rej") or name in conflicts:
                continue
            changes.append((name, _CHANGE_KINDS.get(code.strip()[:1], "modified")))
        return sorted(changes + [(name, f"conflict: {kind}") for name, kind in conflicts.items()])


_CHANGE_KINDS = {"?": "added", "A": "added", "D": "deleted", "R": "renamed", "M": "modified"}


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
    status = _git(path, "status", "--porcelain")
    if status.strip():
        raise UsageError(
            f"{path.absolute()} has uncommitted changes; an update must start from a clean tree "
            "so you can review and undo it.",
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
    for name in _git(path, "diff", "--name-only", "--relative", "--diff-filter=U").splitlines():
        found[name] = "unmerged"
    changed = _git(path, "ls-files", "--modified", "--others", "--exclude-standard")
    for name in changed.splitlines():
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
    history: History, path: Path, target: str, defaults: bool, interactive: bool
) -> None:
    import copier

    try:
        with copier_git_env(history):
            copier.run_update(
                dst_path=path,
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
    except ValueError as error:
        raise UsageError(str(error), hint="Fix that answer in .copier-answers.yml.") from error
    except copier.errors.CopierError as error:
        raise NewapiError(f"Copier could not update the project: {error}") from error


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
            table.add_row(escape(name), change)
        parts.append(table)
        if any(change.startswith("conflict") for _, change in result.preview):
            parts.append(Text("It would leave conflicts to resolve in the files marked so."))
        parts.append(Text("Pretend mode: nothing was written."))
    elif result.conflicts:
        table = Table(title="Conflicts to resolve before committing", title_justify="left")
        table.add_column("file")
        table.add_column("kind")
        for name, kind in result.conflicts:
            table.add_row(name, kind)
        parts.append(table)
        parts.append(
            Text.from_markup(
                "[red]The update left conflicts.[/red] Resolve them (search for "
                "`<<<<<<< before updating`), then review with `git diff` and commit."
            )
        )
    else:
        parts.append(Text("Updated with no conflicts. Review with `git diff`, then commit."))
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
    elif status.latest is None:
        lines.append("[yellow]The template has no release tags:[/yellow] nothing to compare.")
    else:
        lines.append("[green]Up to date.[/green]")
    return Text.from_markup("\n".join(lines))
