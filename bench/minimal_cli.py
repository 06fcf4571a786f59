"""The floor for any Typer CLI: two commands, a --version option, Rich help.

`newapi --help` is compared with `python bench/minimal_cli.py --help`.
"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(name="minimal", help="A minimal Typer app.", rich_markup_mode="rich")


def _version(value: bool) -> None:
    if value:
        typer.echo("minimal 0.0.0")
        raise typer.Exit


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """A minimal Typer app."""


@app.command()
def hello(name: Annotated[str, typer.Argument(help="Who to greet.")]) -> None:
    """Say hello."""
    typer.echo(f"Hello {name}")


@app.command()
def goodbye(name: Annotated[str, typer.Argument(help="Who to see off.")]) -> None:
    """Say goodbye."""
    typer.echo(f"Goodbye {name}")


if __name__ == "__main__":
    app()
