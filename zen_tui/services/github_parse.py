"""GitHub JSON -> normalised items (search results, notifications, webhook payloads)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from zen_tui.models import Issue, Item, PullRequest
from zen_tui.services.fields import Reader
from zen_tui.services.markers import strip_html

_REPO_URL = re.compile(r"/repos/([^/]+)/([^/]+)(?:/(?:issues|pulls)/(\d+))?/?$")
_KEY = re.compile(r"^([^/\s]+)/([^/#\s]+)#(\d+)$")


def split_key(key: str) -> tuple[str, str, int]:
    """'owner/repo#12' -> ('owner', 'repo', 12); ValueError saying what a key looks like."""
    match = _KEY.match(key)
    if not match:
        raise ValueError(f"not a GitHub item key: {key!r} (expected 'owner/repo#12')")
    return match.group(1), match.group(2), int(match.group(3))


def repo_of(r: Reader, url: str) -> tuple[str, int | None]:
    """'https://api.github.com/repos/o/r[/pulls/12]' -> ('o/r', 12 | None)."""
    match = _REPO_URL.search(url)
    if not match:
        raise r.fail(f"unexpected repository URL {url!r}")
    number = int(match.group(3)) if match.group(3) else None
    return f"{match.group(1)}/{match.group(2)}", number


def _names(r: Reader, obj: dict[str, Any], key: str, field: str) -> tuple[str, ...]:
    return tuple(r.text(entry, field) for entry in r.opt_arr(obj, key))


def _teams(r: Reader, obj: dict[str, Any], org: str) -> tuple[str, ...]:
    """Requested teams as 'org/slug', the way GitHub mentions a team (and the GraphQL rows
    show it), so a webhook's copy of a PR names the same reviewers as the listing's."""
    return tuple(f"{org}/{slug}" for slug in _names(r, obj, "requested_teams", "slug"))


def _login(r: Reader, obj: dict[str, Any], key: str) -> str | None:
    user = r.opt_obj(obj, key)
    return None if user is None else r.text(user, "login")


def _assignee(r: Reader, issue: dict[str, Any]) -> str | None:
    """The issue's first assignee, from `assignees`: REST API version 2026-03-10 removed the
    singular `assignee` (GitHub's breaking changes), which 2022-11-28 still sends (the same
    login) and which an answer without `assignees` (a webhook's older payload) falls back to."""
    if "assignees" not in issue:
        return _login(r, issue, "assignee")
    logins = _names(r, issue, "assignees", "login")
    return logins[0] if logins else None


def writer(r: Reader, obj: dict[str, Any]) -> str:
    """Who wrote a comment or review: GitHub answers `user: null` once that account is
    deleted, and its pages call such a writer "ghost" (as the GraphQL rows do)."""
    return _login(r, obj, "user") or "ghost"


def _identity(account: str, repo: str, number: int) -> dict[str, Any]:
    """The fields that name an issue or PR, the same whichever endpoint it came from."""
    key = f"{repo}#{number}"
    return {
        "id": f"{account}:{key}",
        "account": account,
        "service": "github",
        "key": key,
        "repo": repo,
        "number": number,
    }


def parse_issue_like(r: Reader, account: str, raw: Any, repo: str | None = None) -> Item:
    """A search result / issue / pull-request object -> PullRequest or Issue."""
    if repo is None:
        repo, _ = repo_of(r, r.text(raw, "repository_url"))
    number = r.integer(raw, "number")
    common: dict[str, Any] = {
        **_identity(account, repo, number),
        "title": r.text(raw, "title"),
        "url": r.text(raw, "html_url"),
        "updated_at": r.text(raw, "updated_at"),
        "labels": _names(r, raw, "labels", "name"),
        "body": strip_html(r.opt_text(raw, "body") or ""),
    }
    pr = r.opt_obj(raw, "pull_request")
    if pr is None and "head" not in raw:
        return Issue(**common, status=r.text(raw, "state"), assignee=_assignee(r, raw))
    merged = bool((pr and r.opt_text(pr, "merged_at")) or r.opt_text(raw, "merged_at"))
    return PullRequest(
        **common,
        author=_login(r, raw, "user") or "",
        state="merged" if merged else r.text(raw, "state"),
        draft=bool(r.opt_bool(raw, "draft")),
        assignees=_names(r, raw, "assignees", "login"),
        requested_reviewers=_names(r, raw, "requested_reviewers", "login")
        + _teams(r, raw, repo.split("/", 1)[0]),
        mergeable=r.opt_bool(raw, "mergeable"),
        branch=_head_ref(r, raw),
    )


def _head_ref(r: Reader, raw: dict[str, Any]) -> str:
    """A pull request object's head branch; a search result has none ("")."""
    head = r.opt_obj(raw, "head")
    return (r.opt_text(head, "ref") if head else None) or ""


def parse_thread(r: Reader, account: str, raw: Any) -> tuple[str, Item] | None:
    """A notification thread -> (thread id, item); None for subjects that are not issues/PRs."""
    subject = r.obj(raw, "subject")
    kind = r.text(subject, "type")
    url = r.opt_text(subject, "url")
    if kind not in ("PullRequest", "Issue") or url is None:
        return None
    repo, number = repo_of(r, url)
    if number is None:
        return None
    site = urlsplit(r.text(r.obj(raw, "repository"), "html_url"))  # the web host, not the API's
    kind_path = "pull" if kind == "PullRequest" else "issues"
    html = f"{site.scheme}://{site.netloc}/{repo}/{kind_path}/{number}"
    common: dict[str, Any] = {
        **_identity(account, repo, number),
        "title": r.text(subject, "title"),
        "url": html,
        "updated_at": r.text(raw, "updated_at"),
    }
    thread_id = r.opt_scalar(raw, "id") or ""
    unread = r.opt_bool(raw, "unread")
    common |= {"thread_id": thread_id or None, "unread": bool(unread)}
    if kind == "PullRequest":
        return thread_id, PullRequest(**common)
    return thread_id, Issue(**common, status="unread" if unread else "read")


# `issues` actions after which the issue is no longer at its URL (a transfer gives it a new
# number in another repository, which the next listing shows if it still matches).
GONE_ACTIONS = frozenset({"deleted", "transferred"})


def webhook_items(r: Reader, account: str, event: str, payload: dict[str, Any]) -> list[Item]:
    """pull_request / pull_request_review / issues / issue_comment payload -> the item."""
    repo_obj = r.opt_obj(payload, "repository")
    repo = r.text(repo_obj, "full_name") if repo_obj else None
    if event in ("pull_request", "pull_request_review"):
        return [parse_issue_like(r, account, r.obj(payload, "pull_request"), repo)]
    if event == "issues" and payload.get("action") in GONE_ACTIONS:
        return []  # no longer in this repository: the processor removes the row
    if event in ("issues", "issue_comment"):
        return [parse_issue_like(r, account, r.obj(payload, "issue"), repo)]
    return []
