"""GitHub search's date qualifiers (`updated:>=2026-11-27T04:00:00Z`, `created:2026-01-01..*`)
and the `sort:` qualifier, as the real search understands them.

GitHub compares at one-second resolution, and a date without a time means the whole UTC day,
so `updated:>2026-01-01` starts on Jan 2 and `updated:<=2026-01-01` takes all of Jan 1.
Delta polls (`updated:>=<newest updated_at seen>`) rely on `>=` including that second.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

DAY = 86400.0
SORT_KEYS = ("updated", "created", "comments")


class BadDate(ValueError):
    """A date qualifier GitHub would refuse; the handler answers 422."""


def span(text: str) -> tuple[float, float]:
    """[start, end) in epoch seconds that one date or date-time names."""
    raw = text.strip().strip('"')
    try:
        if "T" not in raw and len(raw) == 10:
            day = datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
            return day, day + DAY
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadDate(f"invalid date {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    start = float(int(when.timestamp()))
    return start, start + 1.0


def date_filter(value: str) -> Callable[[float], bool]:
    """A test on a timestamp for `>=X`, `>X`, `<=X`, `<X`, `X`, `A..B` (`*` = open end)."""
    low, high = bounds(value)
    return lambda t: low <= t < high


def bounds(value: str) -> tuple[float, float]:
    """The half-open range [low, high) of timestamps a date qualifier's value selects."""
    inf = float("inf")
    for op in (">=", "<=", ">", "<"):
        if value.startswith(op):
            start, end = span(value[len(op) :])
            return {">=": (start, inf), ">": (end, inf), "<=": (-inf, end), "<": (-inf, start)}[op]
    if ".." in value:
        low_text, _, high_text = (part.strip() for part in value.partition(".."))
        low = -inf if low_text == "*" else span(low_text)[0]
        return low, inf if high_text == "*" else span(high_text)[1]
    return span(value)


def sort_qualifier(query: str) -> tuple[str, bool] | None:
    """(key, descending) from a `sort:updated-desc` term in `q`, if any names a known key."""
    for term in query.split():
        if term.lower().startswith("sort:"):
            key, _, direction = term[5:].lower().partition("-")
            if key in SORT_KEYS:
                return key, direction != "asc"
    return None
