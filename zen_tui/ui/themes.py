"""Themes from TOML files: the bundled `zen_tui/themes/` folder plus the user's own folders.

A file's keys map onto `textual.theme.Theme`. A broken file never stops the app: it is
skipped and reported as a one-line problem naming the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from zen_tui import toml_input

# Inside the package, so a wheel (`pip install .`) ships them (package-data in pyproject).
BUNDLED_DIR = Path(__file__).resolve().parents[1] / "themes"
DEFAULT_THEME = "zen-dark"

_COLORS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_FLOATS = ("luminosity_spread", "text_alpha")
_ALLOWED = {"name", "dark", "variables", *_COLORS, *_FLOATS}


def load_theme_dirs(dirs: Iterable[Path]) -> tuple[list[Theme], list[str]]:
    """Every `*.toml` theme in `dirs` (later folders win on a name clash), and the problems."""
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = load_theme(path)
            except ThemeError as exc:
                problems.append(str(exc))
            else:
                themes[theme.name] = theme
    return list(themes.values()), problems


class ThemeError(ValueError):
    pass


def load_theme(path: Path) -> Theme:
    try:
        data = toml_input.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ThemeError(f"theme {path}: cannot read it ({exc}); fix the TOML syntax") from None
    return theme_from_dict(data, str(path))


def theme_from_dict(data: dict[str, Any], where: str) -> Theme:
    def fail(problem: str) -> ThemeError:
        return ThemeError(f"theme {where}: {problem}")

    unknown = sorted(set(data) - _ALLOWED)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}; allowed: {', '.join(sorted(_ALLOWED))}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail('missing "name" (a string, e.g. name = "my-theme")')
    if not isinstance(data.get("primary"), str):
        raise fail('missing "primary" colour (e.g. primary = "#7aa2f7")')
    for key in _COLORS:
        if key in data:
            _check_colour(data[key], key, fail)
    for key in _FLOATS:
        if key in data and not isinstance(data[key], int | float):
            raise fail(f'"{key}" must be a number, not {data[key]!r}')
    if "dark" in data and not isinstance(data["dark"], bool):
        raise fail('"dark" must be true or false')
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise fail('"variables" must be a table of strings')
    kwargs = {k: v for k, v in data.items() if k != "variables"}
    return Theme(**kwargs, variables=dict(variables))


def _check_colour(value: object, key: str, fail: Any) -> None:
    if not isinstance(value, str):
        raise fail(f'"{key}" must be a colour string like "#ff9e64", not {value!r}')
    try:
        Color.parse(value)
    except ColorParseError:
        raise fail(f'"{key}" = {value!r} is not a colour; use "#rrggbb" or a name') from None
