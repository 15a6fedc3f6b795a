"""Saving a section's query (`s` on the dashboard) into the user's config file, in place.

Only the value on the query's own line changes: comments, order, spacing and every other line
stay as the user wrote them. The result is parsed again and must differ from the old file in
that one value only, else nothing is written (`CannotSave` says what to do instead). The file
is replaced in one step (a temporary file beside it, renamed over it), keeping its mode.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from zen_tui import toml_input

_SECTIONS_HEADER = re.compile(r"^\s*\[\[\s*sections\s*\]\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")
QUERY_KEYS = ("query", "jql", "channels")


class CannotSave(Exception):
    """The query could not be written; `str()` says why and what to do instead."""


def save_section_query(path: Path, pane: str, index: int, query: str) -> str:
    """Write `query` as the `index`-th (0-based) `pane` section's query; the key written."""
    try:
        text = path.read_text(encoding="utf-8")
        data = toml_input.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CannotSave(f"cannot read {path}: {exc}") from None
    sections = data.get("sections")
    if not isinstance(sections, list):
        raise CannotSave(f"{path} has no [[sections]] tables")
    mine = [n for n, s in enumerate(sections) if isinstance(s, dict) and s.get("pane") == pane]
    if index >= len(mine):
        raise CannotSave(f"{path} has no {pane} section number {index + 1} any more")
    target = mine[index]
    key = next((k for k in QUERY_KEYS if k in sections[target]), None)
    if key is None:
        raise CannotSave(f"that section in {path} has no query, jql or channels line")
    value: Any = _channels(query) if key == "channels" else query
    new_text = _replaced(text, target, key, value, path)
    _check(data, new_text, target, key, value, path)
    _write_atomically(path, new_text)
    return key


def _channels(query: str) -> list[str]:
    return [c.strip() for c in query.split(",") if c.strip()]


def _replaced(text: str, target: int, key: str, value: Any, path: Path) -> str:
    lines = text.splitlines(keepends=True)
    headers = [n for n, line in enumerate(lines) if _SECTIONS_HEADER.match(line)]
    if target >= len(headers):
        raise CannotSave(_by_hand(path, "its sections are not all [[sections]] tables"))
    start = headers[target] + 1
    end = next((n for n in range(start, len(lines)) if _ANY_HEADER.match(lines[n])), len(lines))
    pattern = re.compile(
        rf"^(\s*{key}\s*=\s*)"
        r"(\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|\[[^\]\n]*\])"
        r"([ \t]*(?:#[^\n]*)?)(\r?\n?)$"
    )
    for n in range(start, end):
        match = pattern.match(lines[n])
        if match:
            head, _old, tail, newline = match.groups()
            lines[n] = f"{head}{_toml(value)}{tail}{newline}"
            return "".join(lines)
    raise CannotSave(_by_hand(path, f"its {key} is not a one-line value"))


def _toml(value: Any) -> str:
    """A TOML basic string (JSON's escapes are TOML's), or an inline array of them."""
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _check(
    old: dict[str, Any], new_text: str, target: int, key: str, value: Any, path: Path
) -> None:
    """The new file must parse, and differ from the old one in that value only."""
    try:
        new = toml_input.loads(new_text)
    except tomllib.TOMLDecodeError:
        raise CannotSave(_by_hand(path, "the edit would not parse")) from None
    wanted = copy.deepcopy(old)
    wanted["sections"][target][key] = value
    if new != wanted:
        raise CannotSave(_by_hand(path, "the edit would change more than the query"))


def _by_hand(path: Path, why: str) -> str:
    return f"not saved to {path} ({why}); the query is kept for this session, edit the file by hand"


def _write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CannotSave(f"cannot write {path}: {exc}") from None
