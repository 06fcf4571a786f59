"""Write template/uv.lock.jinja: the uv.lock every generated project starts with.

`nox -s lock` (or `python scripts/lock_template.py`) renders the template for every answer
that changes the dependencies (python_version x database x auth x redis), runs `uv lock`
in each project and merges the lock files into one Jinja template: a package entry that
only some answers need is wrapped in a condition on those answers. The result is checked
by rendering it back for every combination: each must equal the lock uv wrote.

Each run starts from the current template lock, so uv keeps its versions and resolves only
what changed in pyproject.toml.jinja; `--upgrade` resolves everything afresh (the newest
releases). The generated projects then install exactly what our tests ran against, and
`newapi create` needs no resolution (no index requests) at all.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import jinja2
from packaging.version import Version
from rich.console import Console

from newapi._create import CreateRequest, create_project, find_uv
from newapi._progress import Steps
from newapi._template import questions

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT = REPO_ROOT / "template" / "uv.lock.jinja"
# The answers that change pyproject.toml's dependencies, in the order conditions name them.
DIMENSIONS = ("python_version", "database", "auth", "redis")
SLUG = "newapi-lock-template"  # a name no dependency has, replaced by {{ project_slug }}
ENTRY = re.compile(r"\n(?=\[\[package\]\]\n)")
NAME = re.compile(r'^name = "([^"]+)"$', re.MULTILINE)
VERSION = re.compile(r'^version = "([^"]+)"$', re.MULTILINE)
JINJA_MARKERS = re.compile(r"\{\{|\{%|\{#|%\}|#\}|\}\}")

Combination = tuple[object, ...]  # values of DIMENSIONS, as the template sees them (str, bool)


@dataclass(frozen=True)
class Lock:
    """One combination's uv.lock, cut into its header and package entries."""

    combination: Combination
    text: str  # the file as uv wrote it
    header: str
    entries: list[str]  # in uv's order, each ending with the blank line that follows it
    root: str  # the project's own entry, its name replaced by {{ project_slug }}


def choices() -> dict[str, list[object]]:
    known: dict[str, list[object]] = {q.name: list(q.choices) for q in questions()}
    return {
        "python_version": known["python_version"],
        "database": known["database"],
        "auth": known["auth"],
        "redis": [False, True],
    }


def combinations() -> list[Combination]:
    values = choices()
    return list(itertools.product(*(values[d] for d in DIMENSIONS)))


def lock_combination(combination: Combination, workdir: Path, upgrade: bool) -> Lock:
    answers = dict(zip(DIMENSIONS, combination, strict=True))
    project = workdir / "-".join(str(v) for v in combination) / SLUG
    request = CreateRequest(
        destination=project,
        answers={"project_name": "Lock Template", "project_slug": SLUG, **answers},
        defaults=True,
        git=False,
        install=False,
    )
    create_project(request, Steps(Console(file=io.StringIO())))
    lock = project / "uv.lock"
    if upgrade:  # else uv keeps the versions of the lock the template rendered
        lock.unlink(missing_ok=True)
    uv = find_uv()
    assert uv is not None, "uv is not installed"
    command = [uv, "lock", "--quiet", "--python", str(answers["python_version"])]
    if upgrade:
        command.append("--upgrade")
    subprocess.run(
        command, cwd=project, check=True, env=os.environ | {"UV_PYTHON_DOWNLOADS": "never"}
    )
    return parse(combination, lock.read_text(encoding="utf-8"))


def parse(combination: Combination, text: str) -> Lock:
    if JINJA_MARKERS.search(text):
        msg = f"{combination}: the lock holds Jinja markers; it cannot become a template as is"
        raise SystemExit(msg)
    header, entries = split(text)
    roots = [e for e in entries if 'source = { virtual = "." }' in e]
    assert len(roots) == 1, combination
    assert f'name = "{SLUG}"' in roots[0], combination
    root = roots[0].replace(f'name = "{SLUG}"', 'name = "{{ project_slug }}"')
    return Lock(combination, text, header, [e for e in entries if e is not roots[0]], root)


def split(text: str) -> tuple[str, list[str]]:
    """The header and the package entries, each ending with one newline.

    The file is the header, then each entry after a blank line: `join(header, entries)`.
    """
    header, *entries = ENTRY.split(text)
    return header, entries


def join(header: str, entries: Iterable[str]) -> str:
    return header + "".join("\n" + entry for entry in entries)


def entry_key(entry: str) -> tuple[str, Version]:
    name = NAME.search(entry)
    version = VERSION.search(entry)
    assert name, entry[:200]
    assert version, entry[:200]
    return name.group(1), Version(version.group(1))


def literal(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value).lower()


def condition(members: set[Combination], universe: Sequence[Combination]) -> str:
    """A Jinja test true for exactly `members` among `universe` ("" when it is all of them)."""
    if set(universe) <= members:
        return ""
    return _condition(sorted(members, key=universe.index), list(universe), 0)


def _condition(members: list[Combination], universe: list[Combination], dim: int) -> str:
    if set(universe) <= set(members):
        return ""
    values = list(dict.fromkeys(c[dim] for c in universe))
    taken = [v for v in values if any(c[dim] == v for c in members)]
    parts = []
    for value in taken:
        inner = _condition(
            [c for c in members if c[dim] == value],
            [c for c in universe if c[dim] == value],
            dim + 1,
        )
        parts.append((value, inner))
    # Values whose sub-condition is the same fold into one `in [...]` (or a bare test).
    grouped: dict[str, list[object]] = {}
    for value, inner in parts:
        grouped.setdefault(inner, []).append(value)
    terms = []
    for inner, group in grouped.items():
        test = "" if len(group) == len(values) else _test(DIMENSIONS[dim], group)
        both = " and ".join(t for t in (test, f"({inner})" if " or " in inner else inner) if t)
        terms.append(both)
    return " or ".join(terms) if len(terms) > 1 else terms[0]


def _test(name: str, group: list[object]) -> str:
    if name == "redis":
        return "redis" if group == [True] else "not redis"
    if len(group) == 1:
        return f"{name} == {literal(group[0])}"
    return f"{name} in [{', '.join(literal(v) for v in group)}]"


def guarded(text: str, test: str) -> str:
    return text if not test else f"{{% if {test} %}}{text}{{% endif %}}"


def merge(locks: Sequence[Lock]) -> str:
    """The template: each piece of text wrapped in a test for the combinations it belongs to.

    No whitespace control inside: every entry carries the blank line before it, so a
    false test leaves nothing behind.
    """
    universe = [lock.combination for lock in locks]
    out = [
        "{#- Generated by `nox -s lock` (scripts/lock_template.py) from the uv.lock of a\n"
        + "    project generated with each python_version, database, auth and redis. -#}\n"
    ]
    roots: dict[str, set[Combination]] = {}
    headers: dict[str, set[Combination]] = {}
    entries: dict[str, set[Combination]] = {}
    for lock in locks:
        roots.setdefault("\n" + lock.root, set()).add(lock.combination)
        headers.setdefault(lock.header, set()).add(lock.combination)
        for entry in lock.entries:
            entries.setdefault("\n" + entry, set()).add(lock.combination)
    out.append("{% set root_package %}")
    out += [guarded(text, condition(members, universe)) for text, members in roots.items()]
    out.append("{% endset -%}\n")
    out += [guarded(text, condition(members, universe)) for text, members in headers.items()]
    releases: dict[tuple[str, Version], dict[str, set[Combination]]] = {}
    for entry, members in entries.items():
        releases.setdefault(entry_key(entry), {})[entry] = members
    previous = ""
    for (name, _), variants in sorted(releases.items()):
        if name != previous:
            out.append(root_slot(previous, name))
        out += [guarded(text, condition(members, universe)) for text, members in lines(variants)]
        previous = name
    out.append(root_slot(previous, None))
    return "".join(out)


def lines(variants: dict[str, set[Combination]]) -> list[tuple[str, set[Combination]]]:
    """One release's entry, as runs of lines and the combinations whose lock has them.

    The entries of one release differ by the wheels that requires-python rules out (the
    cp311 wheels for python_version 3.12, say): when every variant is the longest one less
    some lines, those lines alone get a condition. Otherwise each variant keeps its own.
    """
    longest = max(variants, key=len).splitlines(keepends=True)
    members: list[set[Combination]] = [set() for _ in longest]
    for text, combos in variants.items():
        at = 0
        for line in text.splitlines(keepends=True):
            while at < len(longest) and longest[at] != line:
                at += 1
            if at == len(longest):
                return list(variants.items())  # not a subsequence of the longest
            members[at] |= combos
            at += 1
    runs: list[tuple[str, set[Combination]]] = []
    for line, combos in zip(longest, members, strict=True):
        if runs and runs[-1][1] == combos:
            runs[-1] = (runs[-1][0] + line, combos)
        else:
            runs.append((line, combos))
    return runs


def root_slot(after: str, before: str | None) -> str:
    """The project's own entry, where uv sorts it: by name, between `after` and `before`."""
    test = f"{after!r} < project_slug"
    if before is not None:
        test += f" < {before!r}"
    return f"{{% if {test} %}}{{{{ root_package }}}}{{% endif %}}"


def check(template_text: str, locks: Iterable[Lock]) -> None:
    """Render the template back for every combination: it must give uv's own lock."""
    environment = jinja2.Environment(keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(template_text)
    for lock in locks:
        answers = dict(zip(DIMENSIONS, lock.combination, strict=True))
        for slug in (SLUG, "a", "zzz-service", "myservice"):
            rendered = template.render(project_slug=slug, **answers)
            expected = relabel(lock.text, slug)
            if rendered != expected:
                msg = (
                    f"{lock.combination} (slug {slug}): the merged template does not give uv's lock"
                )
                raise SystemExit(msg)


def relabel(text: str, slug: str) -> str:
    """uv's lock for SLUG as it reads for `slug`: the project's entry renamed and re-sorted."""
    header, entries = split(text)
    renamed = [e.replace(f'name = "{SLUG}"', f'name = "{slug}"') for e in entries]
    return join(header, sorted(renamed, key=entry_key))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="resolve every package afresh")
    parser.add_argument("--jobs", type=int, default=6, help="uv lock runs at once")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="newapi-lock-"))
    try:
        with ThreadPoolExecutor(args.jobs) as pool:
            locks = list(
                pool.map(lambda c: lock_combination(c, workdir, args.upgrade), combinations())
            )
        merged = merge(locks)
        check(merged, locks)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    OUTPUT.write_text(merged, encoding="utf-8")
    packages = len({entry_key(e)[0] for lock in locks for e in lock.entries})
    print(f"Wrote {OUTPUT.relative_to(REPO_ROOT)}: {len(locks)} combinations, {packages} packages")


if __name__ == "__main__":
    main()
