"""The template's released versions: from the recorded source, or from the copy in the wheel.

Every update and check works on one local git repository of the template's history:
the recorded source itself when it is a local path, a fresh mirror of it when it is a
reachable URL, or, with no network, the history bundled in newapi's wheel (or this
source checkout). Copier is then pointed at that repository with git's `insteadOf`, so
the URL recorded in the project stays the canonical one.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from newapi._errors import NewapiError
from newapi._template import bundled_history, canonical_source

# Copier's shorthands for hosted repositories: `copier copy gh:owner/repo` records them.
_SHORTHANDS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
_REACH_TIMEOUT = 20  # seconds for `git ls-remote` before treating the source as offline
_DESCRIBE = re.compile(r"^(?P<tag>.+?)(?:-(?P<ahead>\d+)-g[0-9a-f]+)?$")


@dataclass(frozen=True)
class History:
    """A local repository holding the template's tags, and where it came from."""

    source: str  # the URL or path recorded in the project
    repo: Path  # a local git repository with the same history
    offline: bool  # True when `repo` is newapi's bundled copy, not the source itself

    def tags(self) -> list[str]:
        """Release tags, oldest first (tags that are not versions are ignored)."""
        listed = _git(self.repo, "tag", "--list").split()
        versions = [(parse_version(t), t) for t in listed]
        return [tag for version, tag in sorted((v, t) for v, t in versions if v is not None)]

    def latest(self) -> str | None:
        tags = self.tags()
        return tags[-1] if tags else None

    def has_ref(self, ref: str) -> bool:
        """True when `ref` (a tag, branch or commit) names a commit of the template."""
        return _try_git(self.repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")

    def changelog(self, ref: str) -> str:
        try:
            return _git(self.repo, "show", f"{ref}:CHANGELOG.md")
        except NewapiError:
            return ""

    def git_config_env(self) -> dict[str, str]:
        """Variables that make git (and so Copier) fetch `source` from `repo`, whether git
        is given the recorded spelling or the URL Copier makes of it (`gh:` expanded)."""
        if Path(self.source).exists():
            return {}
        index = int(os.environ.get("GIT_CONFIG_COUNT", "0"))
        spellings = dict.fromkeys([self.source, git_url(self.source)])
        env: dict[str, str] = {}
        for offset, spelling in enumerate(spellings):
            env[f"GIT_CONFIG_KEY_{index + offset}"] = f"url.{self.repo}.insteadOf"
            env[f"GIT_CONFIG_VALUE_{index + offset}"] = spelling
        env["GIT_CONFIG_COUNT"] = str(index + len(spellings))
        return env


def git_url(source: str) -> str:
    """`source` as Copier hands it to git: `gh:owner/repo` is
    https://github.com/owner/repo.git, and a `git+` prefix goes."""
    for shorthand, base in _SHORTHANDS.items():
        if source.startswith(shorthand):
            url = base + source.removeprefix(shorthand)
            return url if url.endswith(".git") else f"{url}.git"
    return source.removeprefix("git+")


@contextmanager
def copier_git_env(history: History) -> Iterator[None]:
    """Let Copier's git calls reach `history.source` through `history.repo`.

    Copier runs git through plumbum, which keeps its own copy of the environment.
    """
    extra = history.git_config_env()
    if not extra:
        yield
        return
    from plumbum import local

    with local.env(**extra):
        yield


def parse_version(ref: str | None) -> Version | None:
    """`v1.2.0` → 1.2.0; `v1.2.0-3-gabc123` (3 commits after v1.2.0) → 1.2.0.post3."""
    if not ref:
        return None
    match = _DESCRIBE.match(ref.strip())
    if match is None:
        return None
    try:
        version = Version(match["tag"])
    except InvalidVersion:
        return None
    if match["ahead"]:
        return Version(f"{version.base_version}.post{match['ahead']}")
    return version


@contextmanager
def open_history(source: str) -> Iterator[History]:
    """A local repository of `source`'s history, for as long as the context lasts."""
    if Path(source).is_dir():
        yield History(source=source, repo=Path(source), offline=False)
        return
    with tempfile.TemporaryDirectory(prefix="newapi-history-") as tmp:
        mirror = Path(tmp) / "template.git"
        url = git_url(source)
        if _reachable(url) and _try_git(None, "clone", "-q", "--mirror", url, str(mirror)):
            yield History(source=source, repo=mirror, offline=False)
            return
        if url != git_url(canonical_source()):
            # newapi's bundled history is newapi's template's: no stand-in for another one.
            raise NewapiError(
                f"The template source {source} (`_src_path` in .copier-answers.yml) cannot be "
                "reached.",
                hint="Check the network and that path or URL, then run the command again.",
            )
        bundle = bundled_history()
        if bundle is None:
            raise NewapiError(
                f"The template source {source} cannot be reached, and this newapi has no "
                "bundled template history to update from.",
                hint="Connect to the network, or install a newapi release (its wheel "
                "carries the template's history).",
            )
        if bundle.is_dir():  # a repository (a source checkout): use it as it is
            yield History(source=source, repo=bundle, offline=True)
            return
        _git(None, "clone", "-q", "--mirror", str(bundle), str(mirror))
        yield History(source=source, repo=mirror, offline=True)


def _reachable(source: str) -> bool:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true")
    _git(None, "--version")  # a clear error when git is missing
    try:
        probe = subprocess.run(
            ["git", "ls-remote", "--tags", source],
            capture_output=True,
            env=env,
            timeout=_REACH_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


def _try_git(cwd: Path | None, *args: str) -> bool:
    try:
        _git(cwd, *args)
    except NewapiError:
        return False
    return True


def _git(cwd: Path | None, *args: str) -> str:
    try:
        completed = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as error:
        raise NewapiError(
            "git is not installed (not on PATH): template versions and updates need it.",
            hint="Install git, then run the command again.",
        ) from error
    if completed.returncode != 0:
        raise NewapiError(f"`git {' '.join(args)}` failed: {completed.stderr.strip()}")
    return completed.stdout
