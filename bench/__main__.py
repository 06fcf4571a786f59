"""`python -m bench`: run the benchmarks, print the table, write BENCHMARKS.md."""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from rich.console import Console

from bench import create, matrix, serving, startup, suite, zero_to_green
from bench._core import ROOT, BenchError, Config, Results
from bench._report import machine, print_table, write_markdown

SUITES: dict[str, ModuleType] = {
    "startup": startup,
    "create": create,
    "zero": zero_to_green,
    "suite": suite,
    "serving": serving,
    "matrix": matrix,
}
Runner = Callable[[Config, Results], None]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        type=_suite_names,
        default=list(SUITES),
        help=f"comma-separated subset of: {','.join(SUITES)} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer runs, shorter loads")
    parser.add_argument("--tests", type=int, default=300, help="API tests in the suite benchmark")
    parser.add_argument(
        "--duration", type=float, help="seconds per load run (default 10, 3 with --quick)"
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server for the suite and serving benchmarks "
        "(default: an embedded PostgreSQL, as the generated project uses)",
    )
    parser.add_argument(
        "--output", type=Path, default=ROOT / "BENCHMARKS.md", help="where to write the results"
    )
    return parser.parse_args(argv)


def _suite_names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SUITES))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {','.join(SUITES)}; got {text!r}")
    return names


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    console = Console()
    results = Results()
    machine_facts = machine()  # the load average before the benchmarks add to it
    with tempfile.TemporaryDirectory(prefix="newapi-bench-") as workdir:
        config = Config(
            quick=args.quick,
            workdir=Path(workdir),
            tests=args.tests,
            duration=args.duration or (3.0 if args.quick else 10.0),
            database_url=args.database_url,
        )
        for name in args.only:
            started = time.perf_counter()
            console.print(f"[bold]{name}[/bold]: running…")
            try:
                runner: Runner = SUITES[name].run
                runner(config, results)
            except BenchError as error:
                console.print(f"[red]{name} failed:[/red] {error}")
                results.failed.append(name)
                results.notes.append(f"{name}: failed: {str(error).splitlines()[0]}")
            console.print(f"{name}: done in {time.perf_counter() - started:.0f} s")
    print_table(results, console)
    method = [SUITES[name].METHOD for name in args.only]
    invocation = "nox -s bench" + ("" if not argv else " -- " + shlex.join(argv))
    write_markdown(
        args.output, results, invocation=invocation, method=method, machine_facts=machine_facts
    )
    console.print(f"Wrote {args.output}")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
