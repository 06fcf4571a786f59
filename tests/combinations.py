"""The option combinations we support, as data (ids read like
`db:sqlite-auth:none-redis:off-deploy:fly-ci:github`, so `--combination
db:sqlite-auth:none-redis:off` or `-k` pick them). Imports nothing beyond the standard
library at module level: noxfile.py reads RUN_COMBINATIONS from here."""

from __future__ import annotations

import itertools
from typing import Any

AUTH = ("jwt", "none")
DATABASE = ("postgresql", "sqlite")
REDIS = (False, True)
DEPLOY: tuple[tuple[str, ...], ...] = ((), ("fly",), ("railway",), ("fly", "railway"))
CI = ("github", "none")


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return "+".join(value) or "none"
    return str(value)


# The label each answer has in an id, in id order (the database is written `db`).
ID_LABELS = {"database": "db", "auth": "auth", "redis": "redis", "deploy": "deploy", "ci": "ci"}


def combination_id(answers: dict[str, Any]) -> str:
    known = [f"{ID_LABELS[k]}:{_shown(answers[k])}" for k in ID_LABELS if k in answers]
    other = [f"{k}:{_shown(v)}" for k, v in answers.items() if k not in ID_LABELS]
    return "-".join(known + other)


def combination(
    auth: str, database: str, redis: bool, deploy: tuple[str, ...] | list[str], ci: str
) -> dict[str, Any]:
    """One set of answers, keys in the order the ids show them."""
    return {"database": database, "auth": auth, "redis": redis, "deploy": list(deploy), "ci": ci}


# Every supported combination: the full product (64), rendered and checked by the fast tier.
ALL_COMBINATIONS: list[dict[str, Any]] = [
    combination(*answers) for answers in itertools.product(AUTH, DATABASE, REDIS, DEPLOY, CI)
]

# The options that change Python code; deploy and ci add only YAML, TOML and JSON files.
CODE_COMBINATIONS: list[dict[str, Any]] = [
    combination(auth, database, redis, ("fly", "railway"), "github")
    for auth, database, redis in itertools.product(AUTH, DATABASE, REDIS)
]

# The set whose projects are installed and whose own test suites run: every option
# value at least once, the defaults first (the CI matrix lists these ids, in this order).
RUN_COMBINATIONS: list[dict[str, Any]] = [
    combination("jwt", "postgresql", False, ("fly", "railway"), "github"),  # the defaults
    combination("none", "sqlite", False, (), "none"),
    combination("jwt", "postgresql", True, ("fly", "railway"), "github"),
    combination("jwt", "sqlite", True, ("railway",), "github"),
]


def params(combinations: list[dict[str, Any]]) -> list[Any]:
    import pytest

    return [pytest.param(c, id=combination_id(c)) for c in combinations]


# What the generated CI sets for its Schemathesis run (tests/test_deploy_files.py holds
# ci.yml to it; the slow tier runs every project's fuzz tests with it).
CI_FUZZ_ENV = {"FUZZ_PHASES": "examples,coverage,fuzzing", "FUZZ_EXAMPLES": "100"}
