"""Show each step of a command as it happens, with its timing."""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape


class ProgressConsole(Console):
    """A console whose output is best-effort: when its reader goes away (`newapi create x
    | head -1`), the command carries on silently to the end. Rich's default stops the
    program there and then, which left a project rendered but neither installed nor
    committed, and said nothing."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        # And keep the interpreter's last flush from complaining about the pipe.
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.file.fileno())


class Steps:
    """Prints `✓ step (0.42 s)` lines, with a spinner while a step runs."""

    def __init__(self, console: Console) -> None:
        self.console = console

    @contextmanager
    def step(self, label: str, *, spinner: bool = True) -> Iterator[None]:
        """Run one step; `spinner=False` when the step prompts (a spinner would garble it)."""
        started = time.perf_counter()
        label = escape(label)  # labels carry user input (a --to ref, a path): never markup
        try:
            if spinner:
                with self.console.status(f"{label}…"):
                    yield
            else:
                self.console.print(f"[bold]{label}[/bold]")
                yield
        except BaseException:
            self.console.print(f"[red]✗[/red] {label}")
            raise
        elapsed = time.perf_counter() - started
        self.console.print(f"[green]✓[/green] {label} [dim]({elapsed:.2f} s)[/dim]")

    def skipped(self, label: str, reason: str) -> None:
        self.console.print(f"[yellow]-[/yellow] {label} [dim](skipped: {reason})[/dim]")

    def warn(self, message: str) -> None:
        self.console.print(f"[yellow]![/yellow] {message}")
