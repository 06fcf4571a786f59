"""How `newapi create` installs a project: the options it gives `uv sync`."""

from __future__ import annotations

import pytest

from newapi._create import sync_options


def test_bytecode_is_left_to_python_when_it_caches_it() -> None:
    assert sync_options({"PATH": "/usr/bin"}) == []


@pytest.mark.parametrize("value", ["1", "x"])
def test_bytecode_is_compiled_at_install_when_python_will_not_cache_it(value: str) -> None:
    assert sync_options({"PYTHONDONTWRITEBYTECODE": value}) == ["--compile-bytecode"]


def test_an_empty_setting_is_unset() -> None:
    # Python reads PYTHONDONTWRITEBYTECODE="" as unset too.
    assert sync_options({"PYTHONDONTWRITEBYTECODE": ""}) == []
