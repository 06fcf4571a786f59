"""The service's name, version and description, read from pyproject.toml (one source)."""

import tomllib
from functools import cache
from pathlib import Path
from typing import NamedTuple

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


class About(NamedTuple):
    name: str
    version: str
    description: str


@cache
def about(pyproject: Path = PYPROJECT) -> About:
    """Read `[project]`; a copy of the code without its pyproject.toml still starts."""
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    except (OSError, KeyError):
        return About(name="app", version="0.0.0", description="")
    return About(
        name=project["name"],
        version=project["version"],
        description=project.get("description", ""),
    )
