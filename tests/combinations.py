"""The option combinations we support, as data (ids read like `auth:none-deploy:fly-ci:github`)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

AUTH = ("jwt", "none")
DEPLOY: tuple[tuple[str, ...], ...] = ((), ("fly",), ("railway",), ("fly", "railway"))
CI = ("github", "none")


def combination_id(answers: dict[str, Any]) -> str:
    parts = []
    for key, value in answers.items():
        shown = "+".join(value) or "none" if isinstance(value, list) else str(value)
        parts.append(f"{key}:{shown}")
    return "-".join(parts)


ALL_COMBINATIONS: list[dict[str, Any]] = [
    {"auth": auth, "deploy": list(deploy), "ci": ci}
    for auth, deploy, ci in itertools.product(AUTH, DEPLOY, CI)
]

# The set whose projects are installed and whose own test suites run (every value at least once).
RUN_COMBINATIONS: list[dict[str, Any]] = [
    {"auth": "jwt", "deploy": ["fly", "railway"], "ci": "github"},
    {"auth": "none", "deploy": [], "ci": "none"},
]


def params(combinations: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(c, id=combination_id(c)) for c in combinations]
