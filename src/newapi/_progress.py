"""Show each step of a command as it happens, with its timing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape


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
