"""Where the template lives, where projects record it came from, and what it asks."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import yaml

from newapi import __version__
from newapi._errors import TemplateError

_PACKAGED = Path(__file__).with_name("_template")
SOURCE_CHECKOUT = Path(__file__).resolve().parents[2]
HISTORY_BUNDLE = "template-history.bundle"
# Where `newapi update` finds template versions offline (another bundle or git repository).
HISTORY_ENV = "NEWAPI_TEMPLATE_HISTORY"
_FALLBACK_SOURCE_URL = "https://github.com/newapi-dev/newapi.git"

SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")


def template_root() -> Path:
    """The folder holding `copier.yml` and `template/`: bundled in the wheel, or this checkout."""
    for root in (_PACKAGED, SOURCE_CHECKOUT):
        if (root / "copier.yml").is_file() and (root / "template").is_dir():
            return root
    raise TemplateError(
        "The newapi template is missing from this installation.",
        hint="Reinstall newapi (pip install --force-reinstall newapi).",
    )


@contextmanager
def renderable_template() -> Iterator[Path]:
    """Yield a plain folder Copier can render from without git.

    The wheel's bundled copy is used as it is. A source checkout is a git repository,
    which Copier would clone at its latest tag; a snapshot of the working files renders
    exactly what the developer sees instead.
    """
    root = template_root()
    if root == _PACKAGED:
        yield root
        return
    with TemporaryDirectory(prefix="newapi-template-") as tmp:
        snapshot = Path(tmp)
        shutil.copy2(root / "copier.yml", snapshot / "copier.yml")
        shutil.copytree(
            root / "template",
            snapshot / "template",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", ".mypy_cache"),
            copy_function=_link_or_copy,
        )
        yield snapshot


def bundled_history() -> Path | None:
    """The template's tagged history that ships with this newapi, if any.

    A wheel carries it as a git bundle; a source checkout is itself the history.
    `NEWAPI_TEMPLATE_HISTORY` points at another bundle or repository.
    """
    override = os.environ.get(HISTORY_ENV)
    if override:
        return Path(override)
    if (_PACKAGED / HISTORY_BUNDLE).is_file():
        return _PACKAGED / HISTORY_BUNDLE
    if (SOURCE_CHECKOUT / ".git").exists() and (SOURCE_CHECKOUT / "copier.yml").is_file():
        return SOURCE_CHECKOUT
    return None


def _link_or_copy(source: str, destination: str) -> None:
    """Hard-link when the filesystem allows (the snapshot is only read), else copy."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def canonical_source() -> str:
    """The git URL generated projects record, so `copier update` can reach new versions."""
    try:
        urls = metadata.metadata("newapi").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return _FALLBACK_SOURCE_URL
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "source":
            return str(url).strip()
    return _FALLBACK_SOURCE_URL


def release_ref() -> str:
    """The template's git tag that matches this CLI version."""
    return f"v{__version__}"


def running_python_version() -> str:
    """The running interpreter's `major.minor`."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def default_python_version() -> str:
    """The running interpreter's version, or the nearest one the template supports."""
    running = running_python_version()
    if running in SUPPORTED_PYTHONS:
        return running
    return SUPPORTED_PYTHONS[0] if running < SUPPORTED_PYTHONS[0] else SUPPORTED_PYTHONS[-1]


@dataclass(frozen=True)
class Question:
    """One question of copier.yml, as `newapi options` shows it."""

    name: str
    help: str
    choices: tuple[str, ...]
    default: Any
    multiselect: bool
    type: str = "str"

    @property
    def derived(self) -> bool:
        """True when the default is computed from other answers."""
        return isinstance(self.default, str) and "{{" in self.default


@cache
def questions() -> tuple[Question, ...]:
    """Every question in copier.yml, in order (settings that start with `_` are skipped)."""
    config = yaml.safe_load((template_root() / "copier.yml").read_text(encoding="utf-8"))
    found = []
    for name, spec in config.items():
        if name.startswith("_"):
            continue
        choices = spec.get("choices") or {}
        values = tuple(choices.values()) if isinstance(choices, dict) else tuple(choices)
        found.append(
            Question(
                name=name,
                help=spec.get("help", ""),
                choices=tuple(str(v) for v in values),
                default=spec.get("default"),
                multiselect=bool(spec.get("multiselect", False)),
                type=str(spec.get("type", "str")),
            )
        )
    return tuple(found)
