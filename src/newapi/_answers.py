"""Turn CLI flags and `--data KEY=VALUE` pairs into Copier answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml
from rich.table import Table

from newapi import _template
from newapi._errors import UsageError
from newapi._template import Question, default_python_version, questions


def collect_answers(name: str, flags: Mapping[str, Any], data: Iterable[str]) -> dict[str, Any]:
    """Answers from NAME, the question flags that were given, then `--data` (which wins)."""
    by_name = {q.name: q for q in questions()}
    answers: dict[str, Any] = {"project_name": name}
    for key, value in flags.items():
        if value is None:
            continue
        if by_name[key].multiselect:
            value = [] if list(value) == ["none"] else list(value)
        answers[key] = value
    return answers | parse_data(data)


def parse_data(data: Iterable[str]) -> dict[str, Any]:
    """`--data KEY=VALUE` pairs as answers, each checked against the template's questions."""
    by_name = {q.name: q for q in questions()}
    answers: dict[str, Any] = {}
    for pair in data:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(
                f"--data {pair!r} is not KEY=VALUE.", hint="Write it like --data auth=none."
            )
        if key not in by_name:
            raise UsageError(
                f"--data {key}: the template has no question named {key!r}.",
                hint="See `newapi options` for the question names.",
            )
        answers[key] = _parse_value(by_name[key], raw)
    return answers


_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _parse_value(question: Question, raw: str) -> Any:
    if question.type == "bool":
        return _parse_bool(question, raw)
    if not question.multiselect:
        return raw
    try:
        value = yaml.safe_load(raw) if raw.strip() else []
    except yaml.YAMLError:
        value = None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise UsageError(
            f"--data {question.name}={raw!r} is not a list.",
            hint=f"Write it like --data '{question.name}=[a, b]' or --data '{question.name}=[]'.",
        )
    return value


def _parse_bool(question: Question, raw: str) -> bool:
    """`true`/`false` (also yes/no, on/off, 1/0, any case), refused otherwise.

    Copier would cast these strings itself, but an unknown word would fail deep inside
    it; parsing here gives a clear message first.
    """
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise UsageError(
        f"--data {question.name}={raw!r} is not true or false.",
        hint=f"Write it like --data {question.name}=true or --data {question.name}=false.",
    )


def options_table() -> Table:
    """Every question, its choices and default, as `newapi options` prints them."""
    table = Table(
        title="Template questions (newapi create flags: --python-version 3.12, --no-redis; "
        "or --data KEY=VALUE)"
    )
    table.add_column("question", style="bold")
    table.add_column("choices")
    table.add_column("default")
    table.add_column("help")
    for q in questions():
        if q.name == "python_version":
            default, running = default_python_version(), _template.running_python_version()
            # On a Python the template does not support (3.14), the nearest one it does.
            default += " (this interpreter)" if default == running else f" (nearest to {running})"
        elif q.derived:
            default = "(derived from the name)"
        elif q.multiselect:
            default = ", ".join(q.default or []) or "(none)"
        elif q.type == "bool":
            default = str(bool(q.default)).lower()
        else:
            default = "" if q.default is None else str(q.default)
        choices = ("any of: " if q.multiselect else "") + ", ".join(q.choices) if q.choices else ""
        if q.type == "bool":
            choices = "true, false"
        table.add_row(q.name, choices or "(free text)", default, q.help)
    return table
