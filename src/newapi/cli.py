"""The `newapi` command line: parse arguments, call the core, map errors to exit codes."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from newapi import __version__

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="newapi",
    help="Generate production-shaped FastAPI services.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _console(name: str) -> Console:
    """The `out` or `err` console, made on first use: importing Rich's console takes longer
    than the rest of `newapi --version`, and `--help` imports it only when it prints."""
    console: Console | None = globals().get(name)
    if console is None:
        from newapi._progress import ProgressConsole

        console = ProgressConsole(stderr=name == "err")
        globals()[name] = console
    return console


def __getattr__(name: str) -> Console:
    # `cli.out` and `cli.err` from outside (tests pin their width) make them too.
    if name in {"out", "err"}:
        return _console(name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


_CALLER_REPOSITORY = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
)


@contextmanager
def _exit_on_error(debug: bool) -> Iterator[None]:
    """The one place where newapi's errors become a red line and an exit code."""
    from rich.markup import escape

    from newapi._errors import NewapiError

    # Set when newapi runs from a git hook, `git rebase --exec` or `git submodule foreach`:
    # every git call (the initial commit, update's checks, Copier's clones) would act on the
    # caller's repository instead of the project's.
    for variable in _CALLER_REPOSITORY:
        os.environ.pop(variable, None)
    for stream in (sys.stdout, sys.stderr):
        # A pipe on Windows is cp1252, which has no ✓, ✗, → or …: print "?", never crash.
        encoding = getattr(stream, "encoding", None) or "utf-8"
        if isinstance(stream, io.TextIOWrapper) and not _encodes(encoding, "✓✗→…"):
            stream.reconfigure(errors="replace")
    try:
        _require_working_directory()
        with _terminated_as_interrupted():
            yield
    except NewapiError as error:
        err = _console("err")
        if debug:
            err.print_exception()
        # The message is printed as typed (user text may hold "[...]"), and stays one line
        # whatever the width: pipes and CI logs get 80 columns, where Rich would break it.
        message, hint = escape(error.message), escape(error.hint or "")
        err.print(f"[bold red]Error:[/bold red] {message}", highlight=False, soft_wrap=True)
        if hint:
            err.print(f"[dim]{hint}[/dim]", highlight=False, soft_wrap=True)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        _console("err").print("[bold red]Interrupted.[/bold red]")
        raise typer.Exit(130) from None


def _require_working_directory() -> None:
    from newapi._errors import UsageError

    try:
        Path.cwd()
    except FileNotFoundError:
        raise UsageError(
            "The current folder no longer exists (it was deleted or moved).",
            hint="cd to an existing folder and run the command again.",
        ) from None


@contextmanager
def _terminated_as_interrupted() -> Iterator[None]:
    """SIGTERM and SIGHUP (a CI timeout, a closed terminal) stop newapi as Ctrl-C does:
    through the same clean-up, so no half-written project or staging folder is left."""
    import signal

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    hangup = getattr(signal, "SIGHUP", None)  # not on Windows
    handled = [signal.SIGTERM] + ([hangup] if hangup is not None else [])
    previous = {signum: signal.getsignal(signum) for signum in handled}
    try:
        for signum in handled:
            signal.signal(signum, interrupt)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        yield
        return
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _encodes(encoding: str, text: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"newapi {__version__}")
        raise typer.Exit


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """Generate production-shaped FastAPI services."""


Debug = Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")]


@app.command()
def create(
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="Human name of the project; also its folder name."),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Folder to create the project in (default: ./NAME)."),
    ] = None,
    project_slug: Annotated[
        str | None, typer.Option(help="Distribution name (default: derived from NAME).")
    ] = None,
    description: Annotated[str | None, typer.Option(help="One-line description.")] = None,
    author_name: Annotated[str | None, typer.Option(help="Author name.")] = None,
    author_email: Annotated[str | None, typer.Option(help="Author e-mail.")] = None,
    python_version: Annotated[
        str | None,
        typer.Option(
            help="Python version of the project (default: this interpreter's, or the "
            "nearest of 3.11-3.13)."
        ),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(
            help="Database: postgresql or sqlite (one machine, a file); default: postgresql."
        ),
    ] = None,
    auth: Annotated[
        str | None, typer.Option(help="Authentication: jwt or none; default: jwt.")
    ] = None,
    redis: Annotated[
        bool | None,
        typer.Option(
            "--redis/--no-redis",
            help="Redis cache (a cached GET /stats/todos, Redis in /health); default: no.",
        ),
    ] = None,
    deploy: Annotated[
        list[str] | None,
        typer.Option(
            help="Deploy target, repeatable: fly, railway; `none` for neither; default: both."
        ),
    ] = None,
    ci: Annotated[
        str | None, typer.Option(help="CI workflow: github or none; default: github.")
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", help="Set any answer: KEY=VALUE (repeatable)."),
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Take defaults for unanswered questions; never ask.")
    ] = False,
    git: Annotated[bool, typer.Option("--git/--no-git", help="Run git init and commit.")] = True,
    install: Annotated[
        bool, typer.Option("--install/--no-install", help="Run uv lock and uv sync.")
    ] = True,
    template: Annotated[
        str | None,
        typer.Option(help="Template source (path, git URL); default: the bundled template."),
    ] = None,
    vcs_ref: Annotated[
        str | None, typer.Option(help="Git ref of the template to use and record.")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into an existing non-empty folder: replace the template's files, "
            "keep every other file (and .env).",
        ),
    ] = False,
    debug: Debug = False,
) -> None:
    """Create a new FastAPI service in ./NAME."""
    with _exit_on_error(debug):
        from newapi._answers import collect_answers
        from newapi._create import CreateRequest, create_project, next_steps
        from newapi._errors import InvalidAnswerError
        from newapi._progress import Steps

        if output is None and ("/" in name or "\\" in name or Path(name).is_absolute()):
            # Checked before the destination: `newapi create /etc` must name this rule,
            # not report that /etc is not empty.
            raise InvalidAnswerError(
                f"The project name {name!r} is a path: the project name must start with a "
                'letter and use only ASCII letters, digits, spaces, ".", "_" and "-": type a '
                'name such as "Todo Service".',
                hint="Choose where the project goes with --output DIR.",
            )
        flags: dict[str, Any] = {
            "project_slug": project_slug,
            "description": description,
            "author_name": author_name,
            "author_email": author_email,
            "python_version": python_version,
            "database": database,
            "auth": auth,
            "redis": redis,
            "deploy": deploy,
            "ci": ci,
        }
        request = CreateRequest(
            destination=output if output is not None else Path(name),
            answers=collect_answers(name, flags, data or []),
            defaults=defaults,
            interactive=not defaults and sys.stdin.isatty(),
            git=git,
            install=install,
            template=template,
            vcs_ref=vcs_ref,
            force=force,
        )
        out = _console("out")
        result = create_project(request, Steps(out))
        out.print(next_steps(result, out.width), soft_wrap=True)


@app.command()
def options(debug: Debug = False) -> None:
    """List every template question with its choices and default."""
    with _exit_on_error(debug):
        from newapi._answers import options_table

        _console("out").print(options_table())


ProjectPath = Annotated[
    Path,
    typer.Argument(
        metavar="PATH", help="The generated project's folder (default: the current one)."
    ),
]


@app.command()
def update(
    path: ProjectPath = Path(),
    to: Annotated[
        str | None, typer.Option("--to", help="Template version (git ref) to move to.")
    ] = None,
    pretend: Annotated[
        bool, typer.Option("--pretend", help="Show what would change; write nothing.")
    ] = False,
    defaults: Annotated[
        bool,
        typer.Option("--defaults", help="Keep earlier answers; take defaults for new questions."),
    ] = False,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            help="Change an answer: KEY=VALUE (repeatable), e.g. --data redis=true.",
        ),
    ] = None,
    debug: Debug = False,
) -> None:
    """Pull template changes into a generated project; report every conflict, exit 1 if any."""
    with _exit_on_error(debug):
        from newapi._answers import parse_data
        from newapi._progress import Steps
        from newapi._update import update_project, update_report

        result = update_project(
            path,
            Steps(_console("out")),
            to=to,
            pretend=pretend,
            defaults=defaults,
            interactive=not defaults and sys.stdin.isatty(),
            answers=parse_data(data or []),
        )
        _console("out").print(update_report(result))
        if result.conflicts:
            raise typer.Exit(1)


@app.command()
def check(
    path: ProjectPath = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    debug: Debug = False,
) -> None:
    """Compare a project's template version with the newest; exit 1 when it is behind."""
    with _exit_on_error(debug):
        from newapi._update import check_project, status_report

        status = check_project(path)
        if as_json:
            import json

            print(json.dumps(status.as_json(), indent=2))
        else:
            _console("out").print(status_report(status))
        if status.behind:
            raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    app()


__all__: list[str] = ["app", "main"]
