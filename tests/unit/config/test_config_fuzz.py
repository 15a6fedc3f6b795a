"""Any wrong value at any key of the example config gives a ConfigError naming that key,
never another exception."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest

import zen_tui
from zen_tui.config import ConfigError, parse_settings

EXAMPLE = tomllib.loads(
    (Path(zen_tui.__file__).parent / "example-config.toml").read_text(encoding="utf-8")
)
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
WRONG_VALUES: list[Any] = ["x", "", -1, 0, 1.5, True, [], [1, "x"], {"a": 1}]


def leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list) and node and isinstance(node[0], dict):
        for index, value in enumerate(node):
            yield from leaves(value, (*path, index))
    else:
        yield path


def dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, str) and not BARE_KEY.match(part):
            part = f'"{part}"'  # as TOML writes it: repos."acme/web"
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def replaced(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = deepcopy(EXAMPLE)
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return doc


LEAVES = list(leaves(EXAMPLE))


def test_the_example_has_many_leaves() -> None:
    assert len(LEAVES) > 50


@pytest.mark.parametrize("path", LEAVES, ids=dotted)
def test_wrong_values_only_raise_config_error(path: tuple[Any, ...], tmp_path: Path) -> None:
    for value in WRONG_VALUES:
        try:
            parse_settings(replaced(path, value), file=tmp_path / "c.toml", data_dir=tmp_path)
        except ConfigError as exc:
            assert str(exc).startswith(f"config error in {tmp_path / 'c.toml'}: ")
            # The message points at this key, or at its table (a cross-check), or, for an
            # account, at a section that refers to it.
            places = [dotted(path), dotted(path[:-1])]
            if path[0] == "accounts":
                places.append("sections[")
            assert any(place and place in str(exc) for place in places), str(exc)
