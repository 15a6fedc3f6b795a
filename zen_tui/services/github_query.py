"""Building GitHub issue-search queries that mean what zen-tui intends under advanced search,
and joining the two searches a GitHub App's user token needs for a section of both kinds.

Advanced search is the default for every issue search since 2025-09-04 (GitHub changelog
2025-03-06, "API support for issues advanced search"; no `advanced_search` parameter is
needed). In it `AND` binds tighter than `OR`, so a term zen-tui adds to a query holding an `OR`
(`is:pr`, `updated:>=...`) would only bind the last alternative: the query goes in
parentheses. `repo:`, `org:` and `user:` may not be inside parentheses and are ORed with each
other anyway, so those stay outside (docs.github.com "Filtering and searching issues and pull
requests", "Building advanced filters for issues").

A GitHub App's user access token may not search issues and pull requests together: a query
without `is:issue` or `is:pull-request` is 422 (REST reference, "Search issues and pull
requests"). Such a section is searched twice, once per kind, and the answers merged.
"""

from __future__ import annotations

import re

import msgspec

from zen_tui.gateway.errors import ApiError
from zen_tui.models import FetchResult
from zen_tui.services.base import merge_cache

# The longest search `q` GitHub takes (REST reference "Search", "Limitations on query
# length"); a longer one is 422 Validation Failed.
MAX_QUERY = 256
_OWNERSHIP = re.compile(r"-?(repo|org|user):", re.IGNORECASE)
# The qualifier GitHub names for each kind, as its note on App user tokens spells them.
KIND_QUALIFIER = {"issue": "is:issue", "pr": "is:pull-request"}
_KIND_VALUES = {"issue": "issue", "pr": "pr", "pull-request": "pr"}


def words(query: str) -> list[str]:
    """The query split on spaces and parentheses; a double-quoted part stays in its word."""
    out: list[str] = []
    word, quoted = "", False
    for ch in query:
        if ch == '"':
            quoted = not quoted
        if not quoted and (ch.isspace() or ch in "()"):
            if word:
                out.append(word)
            word = ""
            if ch in "()":
                out.append(ch)
            continue
        word += ch
    if word:
        out.append(word)
    return out


def with_terms(query: str, before: tuple[str, ...] = (), after: tuple[str, ...] = ()) -> str:
    """`before AND query AND after`, still that under advanced search when `query` has an OR."""
    parts = words(query)
    if "OR" not in parts:
        return " ".join([*before, query, *after]).strip()
    top = _top_level(parts)
    owners = [parts[n] for n in top if _OWNERSHIP.match(parts[n])]
    rest = [w for n, w in enumerate(parts) if not (n in top and _OWNERSHIP.match(w))]
    inner = " ".join(rest).replace("( ", "(").replace(" )", ")")
    return " ".join([*before, *owners, f"({inner})", *after])


def _top_level(parts: list[str]) -> list[int]:
    """The indexes of the words outside any parentheses."""
    depth, out = 0, []
    for n, word in enumerate(parts):
        if word == "(":
            depth += 1
        elif word == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(n)
    return out


def kinds_named(query: str, keys: tuple[str, ...] = ("is", "type")) -> set[str]:
    """Which kinds ("issue", "pr") the query keeps to by a positive top-level `is:`/`type:`
    (`keys`: which of the two count; GitHub's rule for App tokens names `is:` only)."""
    found = set()
    parts = words(query)
    for word in (parts[n] for n in _top_level(parts)):
        key, _, value = word.lower().partition(":")
        if key in keys and value in _KIND_VALUES:
            found.add(_KIND_VALUES[value])
    return found


def mixed_kinds_refused(err: Exception | None) -> bool:
    """GitHub's 422 for a search mixing issues and PRs under a GitHub App user token: its
    message names both qualifiers it wants ("Query must include 'is:issue' or
    'is:pull-request'", as clients report it)."""
    if not isinstance(err, ApiError) or err.status != 422:
        return False
    text = err.message or ""
    return "is:issue" in text and "is:pull-request" in text


def too_long(err: Exception | None) -> bool:
    """GitHub's 422 for a search `q` longer than it takes ("The search is longer than 256
    characters.", as clients record it)."""
    if not isinstance(err, ApiError) or err.status != 422:
        return False
    return "search is longer than" in (err.message or "")


def length_refusal(query: str, said: str = "", *, sent: bool = True) -> str:
    """Why a search `q` past GitHub's longest (MAX_QUERY) gets nothing, and what fixes it: its
    refusal (`said`; else its limit, when zen-tui asks nothing it would refuse), how long the
    query was with zen-tui's own terms (a pane's `is:pr`, a sort), and where to shorten it."""
    said = (said or f"The search is longer than {MAX_QUERY} characters").rstrip(".")
    how = "sent" if sent else "not sent"
    return (
        f"{said} ({len(query)} characters {how}, with zen-tui's own terms): "
        "shorten the section's query (config)"
    )


def changed_since(result: FetchResult, cursor: str) -> FetchResult:
    """What a search for the rows updated since `cursor` answers, from the whole search sorted
    newest update first: its rows from the cursor on. All of those were read (complete) once
    a row older than the cursor was."""
    items = [i for i in result.items if (i.updated_at or "") >= cursor]
    return msgspec.structs.replace(
        result,
        items=items,
        fetched={i.id: result.fetched[i.id] for i in items if i.id in result.fetched},
        complete=result.complete or len(items) < len(result.items),
        cursor=max((i.updated_at for i in items if i.updated_at), default=None) or cursor,
    )


def merge_kinds(results: list[FetchResult], limit: int, cursor: str | None) -> FetchResult:
    """One section's answer from its per-kind searches, newest update first as each was.
    As old as its oldest half; partial, stale or incomplete if either half was."""
    items = sorted(
        {i.id: i for r in reversed(results) for i in r.items}.values(),
        key=lambda i: i.updated_at or "",
        reverse=True,
    )
    kept = items[:limit]
    fetched: dict[str, float] = {}
    for result in results:  # a row both searches found: the first's, as its item is
        for item in result.items:
            fetched.setdefault(item.id, result.fetched_at_of(item.id))
    oldest = min(r.fetched_at for r in results)
    return FetchResult(
        items=kept,
        fetched_at=oldest,
        fetched={i.id: fetched[i.id] for i in kept if fetched.get(i.id, oldest) > oldest},
        cache=merge_cache([r.cache for r in results]),
        stale_error=next((r.stale_error for r in results if r.stale_error), None),
        complete=all(r.complete for r in results) and len(items) <= limit,
        partial=any(r.partial for r in results),
        cursor=max((i.updated_at for i in kept if i.updated_at), default=None) or cursor,
        poll_interval=None,
        skipped=sum(r.skipped for r in results),
    )


def half_missing(result: FetchResult, err: Exception) -> FetchResult:
    """One kind's rows when the other kind's search failed: partial (a row not seen is no
    evidence it left), with that search's error as the reason."""
    return msgspec.structs.replace(
        result, stale_error=result.stale_error or err, complete=False, partial=True
    )
