"""Checked reading of a parsed TOML document: typed getters that raise one `ConfigError`
naming the file, the key path, the bad value and what is allowed; unknown keys get a
"did you mean". Generic: zen_tui.config describes zen-tui's own keys with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from zen_tui.redaction import redact

DURATION_HELP = 'a number of seconds or a string like "250ms", "30s", "5m", "1h"'

# Patterns, compiled (and kept) by re the first time one is used: most configs name no
# variable and write no duration as text, and never compile them.
_ENV = r"^[A-Za-z_][A-Za-z0-9_]*$"
_DURATION_PART = r"(\d+(?:\.\d+)?)(ms|s|m|h)"
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class ConfigError(Exception):
    """A bad config; `str()` is the one line shown to the user."""

    def __init__(
        self,
        problem: str,
        *,
        file: Path | str | None = None,
        key: str | None = None,
        value: Any = None,
        allowed: str = "",
    ) -> None:
        self.file = str(file) if file is not None else None
        self.key = key
        # A token pasted into the wrong key must not travel on in the exception.
        self.value = value if redact(show(value)) == show(value) else "***"
        self.problem = problem
        self.allowed = allowed
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = f"config error in {self.file}" if self.file else "config error"
        what = f"{self.key} = {redact(show(self.value))}: " if self.key else ""
        fix = f"; {self.allowed}" if self.allowed else ""
        return f"{where}: {what}{self.problem}{fix}"


def show(value: Any) -> str:
    """A value as the user wrote it in TOML, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 60 else "a list"
    return str(value)


def parse_duration(value: Any) -> float:
    """Seconds from 30, 0.25, "250ms", "30s", "5m", "1h" or "1m30s"; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        parts = re.findall(_DURATION_PART, text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError("not a duration")
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    else:
        raise ValueError("not a duration")
    if seconds < 0 or seconds != seconds:  # negative or NaN
        raise ValueError("negative duration")
    return seconds


T = TypeVar("T")
S = TypeVar("S", bound=str)


class Table:
    """One TOML table being read: typed getters, then `done()` rejects unknown keys."""

    def __init__(self, data: Any, key: str, file: Path | None) -> None:
        self.file = file
        self.key = key
        if not isinstance(data, dict):
            table = f"[[{key.split('[')[0]}]]" if key.endswith("]") else f"[{key}]"
            raise self.error(key, data, "expected a table", f"write it as a {table} table")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def path(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def error(self, key: str, value: Any, problem: str, allowed: str = "") -> ConfigError:
        return ConfigError(problem, file=self.file, key=key, value=value, allowed=allowed)

    def get(self, name: str, check: Callable[[Any, str], T], default: T) -> T:
        self.used.add(name)
        if name not in self.data:
            return default
        return check(self.data[name], self.path(name))

    def table(self, name: str) -> Table:
        self.used.add(name)
        return Table(self.data.get(name, {}), self.path(name), self.file)

    def done(self, extra_known: Iterable[str] = ()) -> None:
        known = sorted(self.used | set(extra_known))
        for name in self.data:
            if name not in known:
                raise self.unknown(name, known)

    def unknown(self, name: str, known: list[str]) -> ConfigError:
        import difflib  # only to word a mistake: a good config never needs it

        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f'did you mean "{close[0]}"? ' if close else ""
        allowed = f"{hint}allowed keys here: {', '.join(known)}" if known else "remove it"
        return self.error(self.path(name), self.data[name], "unknown key", allowed)

    # -- checks: each takes (value, key path) and returns the typed value -------------------

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, value, "expected a non-empty string", 'write it as key = "text"')
        return value.strip()

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, value, "expected true or false")
        return value

    def integer(self, low: int, high: int | None = None) -> Callable[[Any, str], int]:
        span = f"from {low} to {high}" if high is not None else f"{low} or more"

        def check(value: Any, key: str) -> int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.error(key, value, "expected a whole number", f"use an integer {span}")
            if value < low or (high is not None and value > high):
                raise self.error(key, value, "out of range", f"use an integer {span}")
            return value

        return check

    def number(
        self, low: float, high: float | None = None, *, open_low: bool = False
    ) -> Callable[[Any, str], float]:
        span = f"{'above' if open_low else 'at least'} {low}" + (
            f" and at most {high}" if high is not None else ""
        )

        def check(value: Any, key: str) -> float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error(key, value, "expected a number", f"use a number {span}")
            too_low = value <= low if open_low else value < low
            if too_low or (high is not None and value > high):
                raise self.error(key, value, "out of range", f"use a number {span}")
            return float(value)

        return check

    def duration(self, *, positive: bool = False) -> Callable[[Any, str], float]:
        def check(value: Any, key: str) -> float:
            try:
                seconds = parse_duration(value)
            except ValueError:
                raise self.error(
                    key, value, "not a valid duration", f"use {DURATION_HELP}"
                ) from None
            if positive and seconds <= 0:
                raise self.error(key, value, "must be longer than zero", f"use {DURATION_HELP}")
            return seconds

        return check

    def choice(self, options: Iterable[S]) -> Callable[[Any, str], S]:
        allowed = tuple(options)

        def check(value: Any, key: str) -> S:
            for option in allowed:  # the option itself: typed as the caller's literals
                if value == option:
                    return option
            import difflib  # only to word a mistake: a good config never needs it

            close = difflib.get_close_matches(str(value), allowed, n=1)
            hint = f'did you mean "{close[0]}"? ' if close else ""
            raise self.error(key, value, "not allowed", f"{hint}use one of: {', '.join(allowed)}")

        return check

    def env_name(self, value: Any, key: str) -> str:
        name = self.string(value, key)
        if redact(name) != name:
            raise self.error(
                key,
                value,
                "looks like a token, not the name of an environment variable",
                "export the token as e.g. ZEN_GH_TOKEN and write that name here",
            )
        if not re.match(_ENV, name):
            raise self.error(
                key,
                value,
                "not an environment variable name",
                "use letters, digits and _ (e.g. ZEN_GH_TOKEN); never the token itself",
            )
        return name

    def string_list(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(key, value, "expected a list of strings", 'e.g. ["#dev", "#ops"]')
        return tuple(v.strip() for v in value)
