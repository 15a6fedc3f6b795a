"""The config file's last parse, kept as JSON so that a run whose config text is unchanged
does not load the TOML parser.

Why: importing tomllib compiles its regular expressions at import time; on the headless path
(where msgspec has already loaded the typing, datetime and contextlib tomllib would) that is
about 11 M instructions, 5% of `zen-tui list prs --json`, while the config hardly ever changes.
The cache file (<cache folder>/config-parse.json, see paths.cache_dir) holds
{"format", "parser", "source", "parsed", "facts", "code"}: the whole text of the config, what
tomllib made of it, and what the checked settings say that a store-only command needs
(config.headless_facts: the accounts, the sections, the names of the environment variables
they read), made by the code stamped in `code`. It answers only for the same text, byte for
byte, read by the same Python (`parser`: tomllib is part of it) and kept by the same code
(`code_stamp`: the facts are that code's); anything else (missing, corrupt, foreign, another
version) is a miss, and the config is parsed as if there were no cache. `list`, `health` and
`outbox` read the facts instead of the settings, without loading msgspec (cli._quick).

Kept only when it can be given back exactly: a parse JSON cannot hold (TOML dates and times)
or does not give back the same (a "-nan" loses its sign) is not kept, nor a text with
something shaped like a token in it (zen_tui.redaction): the config holds none by design, so
such a text is a mistake, not to be copied. The caller keeps only a config that passed its
checks. Every failure here (an unreadable, unwritable or full disk) is silent: the cache can
only save time, never change what a run does or says.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from zen_tui import paths

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from typing import Any

FILE_NAME = "config-parse.json"
FORMAT = 2
# The parser is the Python's own tomllib: another Python (even a patch release) may read the
# same text otherwise, so its cache entry is not this one's.
PARSER = f"{sys.implementation.name} {sys.version}"


def cache_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where the parse is kept, None when no cache folder can be found (no home on Linux)."""
    try:
        return paths.cache_dir(environ) / FILE_NAME
    except (RuntimeError, OSError):  # paths.HomeNotFound; platformdirs' own failures
        return None


def lookup(file: Path | None, text: str) -> dict[str, Any] | None:
    """The parse of `text` kept in `file`, None on any miss."""
    entry = _entry(file, text)
    parsed = None if entry is None else entry.get("parsed")
    try:
        return parsed if isinstance(parsed, dict) and _toml_types(parsed) else None
    except RecursionError:
        return None


def lookup_facts(file: Path | None, text: str) -> dict[str, Any] | None:
    """The headless facts kept with the parse of `text`, made by this code; None on any miss."""
    entry = _entry(file, text)
    facts = None if entry is None else entry.get("facts")
    return facts if isinstance(facts, dict) else None


def _entry(file: Path | None, text: str) -> dict[str, Any] | None:
    """The entry kept in `file` for `text` by this code, format and parser; None on any miss
    (kept by other code, the facts may not be this code's: the config is parsed again, and
    the entry replaced)."""
    if file is None:
        return None
    try:
        with open(file, encoding="utf-8") as cached:
            import json  # here: `act` reads no other JSON, and loads none with no cache file

            entry = json.load(cached)
    except (OSError, ValueError, RecursionError):  # missing, unreadable, not JSON, too deep
        return None
    if not (
        isinstance(entry, dict)
        and entry.get("format") == FORMAT
        and entry.get("parser") == PARSER
        and entry.get("source") == text
        and entry.get("code") == code_stamp()
    ):
        return None
    return entry


# The modules whose code makes the facts (the settings, the models their item fields come
# from, the store's item envelope): facts kept by another version of any of them are not
# this code's.
_FACT_MAKERS = ("config.py", "config_schema.py", "models.py", "__init__.py", "store/codec.py")


def code_stamp() -> str:
    """This zen-tui's code, as far as the facts go: each fact maker's size and change time
    (a stat each, no read: this runs on every store-only command)."""
    here = os.path.dirname(__file__)
    stamp = []
    for name in _FACT_MAKERS:
        try:
            done = os.stat(os.path.join(here, name))
        except OSError:
            return ""
        stamp.append(f"{name}:{done.st_size}:{done.st_mtime_ns}")
    return " ".join(stamp)


def _toml_types(value: Any) -> bool:
    """Only what tomllib makes that JSON holds: a damaged file's null is no parse of ours."""
    if isinstance(value, dict):
        return all(_toml_types(v) for v in value.values())
    if isinstance(value, list):
        return all(_toml_types(v) for v in value)
    return isinstance(value, str | int | float)  # bool is an int


def store(
    file: Path | None, text: str, parsed: dict[str, Any], facts: dict[str, Any] | None = None
) -> None:
    """Keep `parsed` as the parse of `text` in `file`, if JSON gives it back exactly, with the
    settings' `facts` (plain JSON values, none secret) for the store-only commands."""
    if file is None or _holds_a_secret(text):
        return
    import json

    entry = {"format": FORMAT, "parser": PARSER, "source": text, "parsed": parsed}
    entry |= {"facts": facts, "code": code_stamp()}
    try:
        payload = json.dumps(entry, ensure_ascii=False)
        if not same(json.loads(payload)["parsed"], parsed):
            return
        _write(file, payload)
    except (OSError, ValueError, TypeError, RecursionError):
        return  # not JSON (dates), too big an int or too deep to copy, or no room: no cache


def same(a: Any, b: Any) -> bool:
    """`a` and `b` are the same parse: the same types (1 is not 1.0, nor True), the same keys
    in the same order, floats equal to the bit (-0.0, inf, nan and its sign)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float):
        both_nan = math.isnan(a) and math.isnan(b)
        return (a == b or both_nan) and math.copysign(1.0, a) == math.copysign(1.0, b)
    return bool(a == b)


def _holds_a_secret(text: str) -> bool:
    from zen_tui.redaction import redact  # loaded already: config_reader masks values with it

    return redact(text) != text


def _write(file: Path, payload: str) -> None:
    """Replace `file` by `payload` whole (a reader sees the old file or the new), private."""
    import _thread  # threading's get_ident, without loading threading on the headless path

    file.parent.mkdir(parents=True, exist_ok=True, mode=paths.PRIVATE_DIR)
    tmp = file.with_name(f".{file.name}.{os.getpid()}.{_thread.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)  # left by a killed run that had this pid
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, paths.PRIVATE_FILE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(payload)
        os.replace(tmp, file)
    finally:
        tmp.unlink(missing_ok=True)
