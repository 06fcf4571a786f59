"""`newapi create`: validate, render atomically, install, commit."""

from __future__ import annotations

import base64
import fnmatch
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, NoReturn

import yaml
from rich.console import RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from newapi._bytecode import compile_suite_imports
from newapi._errors import (
    DestinationError,
    Interrupted,
    InvalidAnswerError,
    NeedsAnswersError,
    StepError,
    TemplateError,
)
from newapi._history import copier_git_env, open_history
from newapi._progress import Steps
from newapi._template import (
    canonical_source,
    default_python_version,
    questions,
    release_ref,
    renderable_template,
)

ANSWERS_FILE = ".copier-answers.yml"


def user_defaults() -> dict[str, Any]:
    """Defaults newapi knows better than copier.yml: this machine's Python version."""
    return {"python_version": default_python_version()}


LOCAL_FILES = frozenset({".env"})  # a user's secrets: never replaced, even with --force


@dataclass(frozen=True)
class CreateRequest:
    """Everything `newapi create` was asked to do."""

    destination: Path
    answers: Mapping[str, Any]
    defaults: bool = False
    interactive: bool = False
    git: bool = True
    install: bool = True
    template: str | None = None
    vcs_ref: str | None = None
    force: bool = False


@dataclass
class CreateResult:
    destination: Path
    files: int
    installed: bool = False
    committed: bool = False
    # In a repository before newapi's own `git init` (a monorepo): newapi commits nothing.
    in_enclosing_repository: bool = False


def create_project(request: CreateRequest, steps: Steps) -> CreateResult:
    """Create a project as `request` says, reporting each step on `steps`."""
    destination = request.destination.absolute()
    answers = dict(request.answers)

    with steps.step("Check the destination and answers"):
        check_destination(destination, force=request.force)
        if not request.defaults and not request.interactive:
            missing = unanswered(answers)
            if missing:
                raise NeedsAnswersError(
                    "newapi needs answers for " + ", ".join(missing) + " but there is no "
                    "terminal to ask them on.",
                    hint="Pass --defaults to take the defaults, or give each answer as a flag.",
                )

    try:
        with steps.step(
            "Validate answers and render the template", spinner=not request.interactive
        ):
            # Without a terminal every question is answered by now but derived ones (the
            # slug), whose defaults come from the other answers.
            files = render(request, destination, answers, defaults=not request.interactive)
    except KeyboardInterrupt:
        raise Interrupted("Interrupted while rendering: nothing was left half-written.") from None
    result = CreateResult(destination=destination, files=files)
    try:
        _finish(request, result, answers, steps)
    except KeyboardInterrupt:
        raise Interrupted(
            f"Interrupted: the project is rendered in {destination}, but not every step ran.",
            hint=_finish_hint(request, result),
        ) from None
    return result


def _finish_hint(request: CreateRequest, result: CreateResult) -> str:
    commands = ["uv sync"] if request.install and not result.installed else []
    if request.git and not result.committed and not result.in_enclosing_repository:
        commands.append("git init && git add -A && git commit -m 'Initial commit from newapi'")
    if not commands:
        return "Nothing is left to do: the interrupted step was optional."
    return f"To finish: cd {shlex.quote(str(result.destination))} && {' && '.join(commands)}"


def _finish(
    request: CreateRequest, result: CreateResult, answers: Mapping[str, Any], steps: Steps
) -> None:
    """The steps after the render: install (uv lock + uv sync), then git init and commit."""
    destination = result.destination
    # Asked now: after `git init` below, the project is a work tree of its own.
    result.in_enclosing_repository = request.git and inside_work_tree(destination)
    uv = find_uv() if request.install else None
    if request.install and uv is None:
        steps.warn("uv is not installed: skipped installing. Install uv, then run `uv sync`.")
    elif request.install and (workspace := enclosing_uv_workspace(destination)) is not None:
        # uv would lock and install the project there: into the workspace's own uv.lock
        # (re-resolved) and .venv, files newapi was not asked to touch.
        steps.warn(
            f"{destination} is a member of the uv workspace in {workspace}: skipped installing "
            f"(uv would re-resolve {workspace / 'uv.lock'}). Run `uv sync` in {workspace} "
            "(the project's own uv.lock is then unused), or add the folder to `exclude` under "
            "[tool.uv.workspace] there and run `uv sync` in the project."
        )
    elif uv is not None:
        with steps.step("Install dependencies (uv lock + uv sync)"):
            install(destination, uv, git=request.git)
        result.installed = True
        with steps.step("Compile what the tests import to bytecode"):
            compile_suite_imports(destination, _uv_env(destination))
    else:
        steps.skipped("Install dependencies", "--no-install; run `uv sync` in the project")

    if not request.git:
        steps.skipped("Initialise git", "--no-git")
    elif shutil.which("git") is None:
        steps.warn("git is not on PATH: skipped `git init`. Run `git init` in the project later.")
    elif result.in_enclosing_repository:
        # --force into a repository, or a folder of one (a monorepo): `git add -A` would
        # commit the user's own changes and untracked files; `git init` would nest a repo.
        steps.skipped(
            "Initialise git", "already in a git repository; review with `git status`, then commit"
        )
    else:
        with steps.step("Initialise git and commit"):
            commit(destination, answers)
        result.committed = True


def check_destination(destination: Path, *, force: bool = False) -> None:
    """Refuse a destination whose files could be overwritten or mixed with ours."""
    try:
        _check_destination(destination, force=force)
    except OSError as error:  # a name or path too long for the file system, a loop of links
        raise DestinationError(
            f"Cannot use {destination}: {error.strerror or error}.",
            hint="Choose a shorter name, or another folder with --output.",
        ) from error


def _check_destination(destination: Path, *, force: bool) -> None:
    if destination.is_symlink() and not destination.exists():
        raise DestinationError(
            f"{destination} is a link to {destination.readlink()}, which does not exist.",
            hint="Remove the link, or create the folder it points to.",
        )
    if destination.exists() and not destination.is_dir():
        raise DestinationError(
            f"{destination} exists and is not a directory.",
            hint="Choose another project name, or another folder with --output.",
        )
    if not force and destination.is_dir() and any(destination.iterdir()):
        raise DestinationError(
            f"{destination} already exists and is not empty; newapi never overwrites files.",
            hint="Choose another project name or folder (--output), empty it, or pass --force "
            "to write the template's files into it (other files are left alone).",
        )
    parent = _nearest_existing(destination.parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DestinationError(
            f"Cannot write in {parent}.",
            hint="Choose a folder you can write to with --output.",
        )


def unanswered(answers: Mapping[str, Any]) -> list[str]:
    """Questions that would need a prompt: not answered and not derived from other answers."""
    return [q.name for q in questions() if q.name not in answers and not q.derived]


def _unavailable_template(request: CreateRequest, detail: str) -> TemplateError:
    where = request.template or canonical_source()
    ref = f" at {request.vcs_ref!r}" if request.vcs_ref else ""
    return TemplateError(
        f"Could not get the template {where}{ref}: {detail}",
        hint="Check --vcs-ref (a tag, branch or commit of the template) and --template.",
    )


def render(
    request: CreateRequest, destination: Path, answers: dict[str, Any], *, defaults: bool
) -> int:
    """Render into a temporary sibling, then move it into place: all or nothing."""
    import copier  # imported here: it is slow to import and only `create` needs it
    import jinja2
    from plumbum.commands.processes import ProcessExecutionError

    # Stage next to the nearest existing folder, so a failed render creates no folders at all.
    stage_in = _nearest_existing(destination.parent)
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".newapi", dir=stage_in)
        )
    except OSError as error:  # a name too long once the staging prefix is added
        raise DestinationError(
            f"Cannot write next to {destination}: {error.strerror or error}.",
            hint="Choose a shorter name, or another folder with --output.",
        ) from error
    try:
        try:
            if request.template is None and request.vcs_ref is None:
                with renderable_template() as source:
                    copier.run_copy(
                        str(source),
                        staging,
                        data=answers,
                        user_defaults=user_defaults(),
                        defaults=defaults,
                        quiet=True,
                        unsafe=False,
                    )
                record_source(staging, canonical_source(), release_ref())
            else:
                # Another source or version: through its history (offline, the bundled one).
                origin = request.template or canonical_source()
                with open_history(origin) as history, copier_git_env(history):
                    copier.run_copy(
                        origin,
                        staging,
                        data=answers,
                        user_defaults=user_defaults(),
                        defaults=defaults,
                        vcs_ref=request.vcs_ref,
                        quiet=True,
                        unsafe=False,
                    )
        except ProcessExecutionError as error:
            # Copier's git (through plumbum) failed: most often a --vcs-ref the source lacks.
            lines = (error.stderr or "").strip().splitlines() or str(error).splitlines()
            raise _unavailable_template(request, lines[-1]) from error
        except ValueError as error:
            if str(error).startswith("Unknown revision"):  # Copier's word for a missing ref
                raise _unavailable_template(request, str(error)) from error
            raise InvalidAnswerError(
                str(error), hint="Fix that answer (see `newapi options`) and run again."
            ) from error
        except copier.errors.CopierError as error:
            raise TemplateError(f"Copier could not render the template: {error}") from error
        except jinja2.TemplateError as error:
            raise TemplateError(
                f"The template is broken: {error}",
                hint="Report this to the template's authors; nothing was written.",
            ) from error
        except OSError as error:  # a full disk, a folder that became read-only
            raise TemplateError(
                f"Could not write the project: {error.strerror or error} "
                f"({error.filename or stage_in}).",
                hint="Nothing was left behind; free some space or choose another --output.",
            ) from error
        write_env(staging)
        files = sum(1 for p in staging.rglob("*") if p.is_file())
        if destination.is_dir() and any(destination.iterdir()):
            if not request.force:
                # Empty when checked, filled while Copier rendered (another `newapi create`,
                # the user): without --force, its files are never merged over.
                _refuse_filled_meanwhile(destination)
            check_merge(staging, destination)  # before moving a single file
            merge_into(staging, destination)
            shutil.rmtree(staging)
            return files
        if destination.is_dir():  # empty: the current folder, a mount point, a link's target
            fill_empty_folder(staging, destination)
            shutil.rmtree(staging)
            return files
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            staging.rename(destination)  # fails, rather than merges, if it is filled now
        except OSError as error:
            _refuse_filled_meanwhile(destination, error)
        destination.chmod(0o777 & ~_umask())  # mkdtemp made it private; give it normal rights
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return files


def fill_empty_folder(rendered: Path, destination: Path) -> None:
    """Move the rendered files into an existing empty folder, which stays itself: it may be
    the shell's current folder, a mount point or a link's target, with rights and an owner
    of its own. If it fills up meanwhile, what was moved is taken back out."""
    moved: list[Path] = []
    try:
        for entry in sorted(rendered.iterdir()):
            target = destination / entry.name
            if target.exists() or target.is_symlink():
                _refuse_filled_meanwhile(destination)
            shutil.move(entry, target)  # a rename, or a copy on another file system
            moved.append(target)
    except BaseException:
        for target in moved:
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
        raise


def _refuse_filled_meanwhile(destination: Path, cause: OSError | None = None) -> NoReturn:
    raise DestinationError(
        f"{destination} was created or filled while newapi rendered the project; "
        "newapi never overwrites files, so nothing was written.",
        hint="Is another `newapi create` writing there? Choose another folder (--output).",
    ) from cause


def check_merge(rendered: Path, destination: Path) -> None:
    """Refuse a --force merge that would write through a link or swap a file for a folder.

    Checked for every path before anything moves, so a refused merge changes nothing.
    """
    for source in sorted(rendered.rglob("*")):
        relative = source.relative_to(rendered)
        target = destination / relative
        for part in [*reversed(relative.parents[:-1]), relative]:
            if (destination / part).is_symlink():
                raise DestinationError(
                    f"{destination / part} is a symbolic link; --force would write through "
                    "it, outside the project.",
                    hint="Remove the link, or create the project in an empty folder.",
                )
        if target.exists() and source.is_dir() != target.is_dir():
            kind = "a folder" if target.is_dir() else "a file"
            raise DestinationError(
                f"{target} is {kind}, where the template has "
                f"{'a folder' if source.is_dir() else 'a file'}; nothing was changed.",
                hint="Move it away, or create the project in an empty folder.",
            )


def merge_into(rendered: Path, destination: Path) -> None:
    """Write the rendered files over `destination` (--force): never delete, keep `.env`."""
    for source in sorted(rendered.rglob("*")):
        target = destination / source.relative_to(rendered)
        if source.is_dir():
            target.mkdir(exist_ok=True)
        elif source.name in LOCAL_FILES and target.exists():
            continue
        else:
            # A rename, or a copy when the destination is a mount point (a Docker volume):
            # the staging folder is in its parent, on another file system.
            shutil.move(source, target)


def record_source(project: Path, source: str, ref: str) -> None:
    """Point the answers file at the canonical template repository and release tag.

    The bundled template is rendered from a local folder; recording the repository
    instead lets a plain `copier update` find the newer versions later.
    """
    answers_path = project / ANSWERS_FILE
    text = answers_path.read_text(encoding="utf-8")
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    data = yaml.safe_load(text)
    data["_src_path"] = source
    data["_commit"] = ref
    body = yaml.safe_dump(dict(sorted(data.items())), allow_unicode=True, sort_keys=False)
    answers_path.write_text(header + body, encoding="utf-8")


def fresh_secrets() -> dict[str, str]:
    """The secrets a new project's `.env` may get, its own: SECRET_KEY (JWT auth), and
    WEBHOOK_SECRET in the Standard Webhooks form the service checks (`whsec_` and the
    base64 of 32 bytes)."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "WEBHOOK_SECRET": "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
    }


def write_env(project: Path) -> None:
    """Create the git-ignored `.env` from `.env.example`, with fresh secrets for the
    settings it lists: a project without sign-in lists no SECRET_KEY, and gets none."""
    example = project / ".env.example"
    env = project / ".env"
    if env.exists() or not example.is_file():
        return
    fresh = fresh_secrets()
    out = []
    for line in example.read_text(encoding="utf-8").splitlines():
        name, separator, _ = line.lstrip("# ").partition("=")
        out.append(f"{name}={fresh.pop(name)}" if separator and name in fresh else line)
    env.write_text("\n".join(out) + "\n", encoding="utf-8")
    env.chmod(0o600)


def find_uv() -> str | None:
    """The uv installed with newapi (the `uv` package), else the one on PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def install(project: Path, uv: str, *, git: bool = True) -> None:
    env = _uv_env(project)
    finish = "uv sync"
    if git:  # the commit step comes after this one: it has not run either
        finish += " && git init && git add -A && git commit -m 'Initial commit from newapi'"
    hint = (
        f"The project is in {project}, not installed. Fix the problem above, then: "
        f"cd {shlex.quote(str(project))} && {finish}"
    )
    wanted = (project / ".python-version").read_text(encoding="utf-8").strip()
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if wanted != running:
        hint = (
            f"The project asks for Python {wanted} and newapi runs on {running}: uv must find "
            f"Python {wanted} or download it (not when UV_PYTHON_DOWNLOADS=never). Install it, or "
            f"create the project again with --python-version {running}. " + hint
        )
    for command in ([uv, "lock"], [uv, "sync"]):
        _run(command, project, env=env, hint=hint)


def enclosing_uv_workspace(project: Path) -> Path | None:
    """The root of the uv workspace `project` is a member of, if any.

    As uv finds it: the nearest folder above with a `[tool.uv.workspace]` table, whose
    `members` globs match the project and whose `exclude` globs do not.
    """
    for root in project.parents:
        try:
            pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        workspace = pyproject.get("tool", {}).get("uv", {}).get("workspace")
        if not isinstance(workspace, dict):
            continue
        parts = project.relative_to(root).parts

        def matches(patterns: object, parts: tuple[str, ...] = parts) -> bool:
            return isinstance(patterns, list) and any(
                _glob_matches(parts, PurePosixPath(str(pattern)).parts) for pattern in patterns
            )

        member = matches(workspace.get("members")) and not matches(workspace.get("exclude"))
        return root if member else None  # uv looks no further than the first workspace
    return None


def _glob_matches(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """Glob matching per path segment (`*` stays within one, `**` spans any number)."""
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_glob_matches(parts[start:], rest) for start in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], head) and _glob_matches(parts[1:], rest)


def _uv_env(project: Path) -> dict[str, str]:
    """Point uv at this interpreter when it is the version the project asked for.

    uv then needs no download and no search (several interpreter managers confuse it).
    """
    env = dict(os.environ)
    # newapi's own environment (a venv, nox's UV_PROJECT_ENVIRONMENT) is not the project's.
    env.pop("VIRTUAL_ENV", None)
    env.pop("UV_PROJECT_ENVIRONMENT", None)
    wanted = (project / ".python-version").read_text(encoding="utf-8").strip()
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if "UV_PYTHON" not in env and wanted == running:
        env["UV_PYTHON"] = getattr(sys, "_base_executable", sys.executable)
    return env


def commit(project: Path, answers: Mapping[str, Any]) -> None:
    env = dict(os.environ)
    if not _git_identity_configured(project):
        # No global identity: commit as the author the user named in their answers.
        name = str(answers.get("author_name") or "newapi")
        email = str(answers.get("author_email") or "newapi@localhost")
        env |= {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }
    hint = f"Commit the project yourself: cd {project} && git init && git add -A && git commit"
    _run(["git", "init", "-q"], project, env=env, hint=hint)
    _run(["git", "add", "-A"], project, env=env, hint=hint)
    _run(
        ["git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "Initial commit from newapi"],
        project,
        env=env,
        # The project is complete: only the commit is missing (a global hook refused it?).
        hint=f"The project is complete; commit it yourself: cd {project} && git commit -m "
        "'Initial commit from newapi' (if one of your git hooks refused it, fix what it "
        "reports, or add --no-verify).",
    )


def inside_work_tree(project: Path) -> bool:
    """Whether `project` is in a git work tree (its own repository or an enclosing one)."""
    if shutil.which("git") is None:
        return False
    probe = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0 and probe.stdout.strip() == "true"


def _git_identity_configured(project: Path) -> bool:
    probe = subprocess.run(
        ["git", "config", "user.email"], cwd=project, capture_output=True, text=True, check=False
    )
    return probe.returncode == 0 and bool(probe.stdout.strip())


def _run(command: Sequence[str], cwd: Path, *, env: Mapping[str, str], hint: str) -> None:
    completed = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip().splitlines()
        detail = "\n".join(output[-15:])
        name = Path(command[0]).name
        raise StepError(
            f"`{name} {' '.join(command[1:])}` failed (exit {completed.returncode}):\n{detail}",
            hint=hint,
        )


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def next_steps(result: CreateResult, width: int) -> RenderableType:
    """The closing panel: where the project is and the commands to use it. Commands are
    copied and pasted: on a console too narrow for them, no frame, and no line breaks in
    them other than the terminal's own."""
    try:
        where = result.destination.relative_to(Path.cwd())
    except ValueError:
        where = result.destination
    lines = [f"[bold]Created[/bold] {escape(str(where))} ({result.files} files)", ""]
    lines.append(f"  cd {escape(shlex.quote(str(where)))}")
    # The uv newapi installed, by its path when it is not on PATH (newapi run by its own
    # path from a virtual environment that is not active).
    uv = "uv" if shutil.which("uv") else shlex.quote(find_uv() or "uv")
    if not result.installed:
        lines.append(f"  {uv} sync                      # install dependencies")
    lines.append(f"  {uv} run python -m app         # serve on http://127.0.0.1:8000")
    answers_file = result.destination / ".copier-answers.yml"
    recorded = (
        yaml.safe_load(answers_file.read_text(encoding="utf-8")) if answers_file.is_file() else {}
    )
    database = "SQLite" if (recorded or {}).get("database") == "sqlite" else "a real PostgreSQL"
    lines.append(f"  {uv} run pytest                # run the tests on {database}")
    text = Text.from_markup("\n".join(lines))
    if max(map(len, text.plain.splitlines())) + 4 > width:
        return Text.assemble(Text("Next steps:", style="bold"), "\n", text)
    return Panel(text, title="Next steps", expand=False)
