"""Jira simulator state: users, projects, workflow, issues, and their v3 JSON shapes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import adf

# status id -> (name, category id, category key, colour, category name)
STATUSES = {
    "10000": ("To Do", 2, "new", "blue-gray", "To Do"),
    "3": ("In Progress", 4, "indeterminate", "yellow", "In Progress"),
    "10001": ("In Review", 4, "indeterminate", "yellow", "In Progress"),
    "10002": ("Done", 3, "done", "green", "Done"),
}


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    to: str  # status id
    sources: frozenset[str]


WORKFLOW = (
    Transition("11", "Start Progress", "3", frozenset({"10000"})),
    Transition("21", "Request Review", "10001", frozenset({"3"})),
    Transition("31", "Done", "10002", frozenset({"3", "10001"})),
    Transition("41", "Back to In Progress", "3", frozenset({"10001"})),
    Transition("51", "Stop Progress", "10000", frozenset({"3"})),
    Transition("61", "Reopen", "10000", frozenset({"10002"})),
)
PRIORITIES = {"1": "Highest", "2": "High", "3": "Medium", "4": "Low", "5": "Lowest"}
PROJECTS = {"ZEN": "Zen Core", "OPS": "Operations", "WEB": "Web App", "API": "Public API"}
LABELS = ("backend", "frontend", "flaky", "customer", "tech-debt", "security", "perf")
_NOUNS = (
    "login flow",
    "search index",
    "billing job",
    "webhook relay",
    "cache layer",
    "export CSV",
    "dark mode",
    "rate limiter",
    "audit log",
    "onboarding email",
)
_VERBS = ("Fix", "Refactor", "Investigate", "Add tests for", "Speed up", "Document", "Remove")
_NAMES = (
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Ken Thompson",
    "Radia Perlman",
    "Donald Knuth",
)


@dataclass
class JiraUser:
    account_id: str
    display_name: str
    email: str


@dataclass
class JiraComment:
    id: int
    author: str
    body: dict[str, Any]
    created: float
    updated: float


@dataclass
class JiraIssue:
    id: int
    key: str
    project: str
    summary: str
    description: dict[str, Any]
    status: str
    assignee: str | None
    reporter: str
    priority: str
    labels: list[str]
    created: float
    updated: float
    comments: list[JiraComment] = field(default_factory=list)
    text_cache: tuple[str, str] | None = field(default=None, repr=False, compare=False)

    def transitions(self) -> list[Transition]:
        return [t for t in WORKFLOW if self.status in t.sources]


def jira_time(ts: float) -> str:
    """Jira's timestamp format: 2021-01-17T12:34:00.000+0000."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def account_id(rng: random.Random) -> str:
    return "5b10" + "".join(rng.choice("0123456789abcdef") for _ in range(20))


class Renderer:
    """Builds v3 JSON for one site base URL (`self` links)."""

    def __init__(self, base: str, users: dict[str, JiraUser]) -> None:
        self.base = base
        self.api = f"{base}/rest/api/3"
        self.users = users

    def user(self, account: str | None, *, full: bool = False) -> dict[str, Any] | None:
        if account is None or account not in self.users:
            return None
        u = self.users[account]
        body: dict[str, Any] = {
            "self": f"{self.api}/user?accountId={u.account_id}",
            "accountId": u.account_id,
            "accountType": "atlassian",
            "emailAddress": u.email,
            "avatarUrls": {
                s: f"{self.base}/avatar/{u.account_id}?s={s[:2]}"
                for s in ("48x48", "24x24", "16x16", "32x32")
            },
            "displayName": u.display_name,
            "active": True,
            "timeZone": "UTC",
        }
        if full:
            body.update(
                locale="en_US",
                key="",  # deprecated (GDPR), still present and empty
                name="",
                groups={"size": 1, "items": []},
                applicationRoles={"size": 1, "items": []},
                expand="groups,applicationRoles",
            )
        return body

    def status(self, status_id: str) -> dict[str, Any]:
        name, cat_id, cat_key, colour, cat_name = STATUSES[status_id]
        return {
            "self": f"{self.api}/status/{status_id}",
            "description": "",
            "iconUrl": f"{self.base}/images/icons/statuses/{cat_key}.png",
            "name": name,
            "id": status_id,
            "statusCategory": {
                "self": f"{self.api}/statuscategory/{cat_id}",
                "id": cat_id,
                "key": cat_key,
                "colorName": colour,
                "name": cat_name,
            },
        }

    def transition(self, t: Transition) -> dict[str, Any]:
        return {
            "id": t.id,
            "name": t.name,
            "to": self.status(t.to),
            "hasScreen": False,
            "isGlobal": False,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }

    def comment(self, issue: JiraIssue, c: JiraComment) -> dict[str, Any]:
        author = self.user(c.author)
        return {
            "self": f"{self.api}/issue/{issue.id}/comment/{c.id}",
            "id": str(c.id),
            "author": author,
            "body": c.body,
            "updateAuthor": author,
            "created": jira_time(c.created),
            "updated": jira_time(c.updated),
            "jsdPublic": True,
        }

    def fields(self, issue: JiraIssue, wanted: set[str] | None, comment_cap: int) -> dict[str, Any]:
        comments = issue.comments[-comment_cap:] if comment_cap else issue.comments
        all_fields: dict[str, Any] = {
            "summary": issue.summary,
            "description": issue.description,
            "status": self.status(issue.status),
            "assignee": self.user(issue.assignee),
            "reporter": self.user(issue.reporter),
            "priority": {
                "self": f"{self.api}/priority/{issue.priority}",
                "id": issue.priority,
                "name": PRIORITIES[issue.priority],
                "iconUrl": f"{self.base}/images/icons/priorities/{issue.priority}.svg",
            },
            "labels": list(issue.labels),
            "created": jira_time(issue.created),
            "updated": jira_time(issue.updated),
            "project": {
                "self": f"{self.api}/project/{issue.project}",
                "key": issue.project,
                "id": str(10000 + list(PROJECTS).index(issue.project)),
                "name": PROJECTS[issue.project],
                "projectTypeKey": "software",
            },
            "issuetype": {
                "self": f"{self.api}/issuetype/10001",
                "id": "10001",
                "name": "Task",
                "subtask": False,
                "hierarchyLevel": 0,
            },
            "comment": {
                "comments": [self.comment(issue, c) for c in comments],
                "self": f"{self.api}/issue/{issue.id}/comment",
                "maxResults": len(comments),
                "total": len(issue.comments),
                "startAt": 0,
            },
        }
        if wanted is None:
            return all_fields
        return {k: v for k, v in all_fields.items() if k in wanted}

    def issue(
        self, issue: JiraIssue, wanted: set[str] | None, *, comment_cap: int = 0
    ) -> dict[str, Any]:
        return {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog",
            "id": str(issue.id),
            "self": f"{self.api}/issue/{issue.id}",
            "key": issue.key,
            "fields": self.fields(issue, wanted, comment_cap),
        }


def select_fields(raw: list[str] | None, *, default_all: bool) -> set[str] | None:
    """The `fields` parameter as a set of field names; None means every field."""
    names = [n.strip() for item in raw or [] for n in item.split(",") if n.strip()]
    if not names:
        return None if default_all else set()
    wanted: set[str] | None = set()
    excluded = {n[1:] for n in names if n.startswith("-")}
    for name in names:
        if name in ("*all", "*navigable"):
            wanted = None
        elif not name.startswith("-") and wanted is not None:
            wanted.add(name)
    if wanted is None:
        wanted = set(Renderer("", {}).fields(_PROBE, None, 0)) - excluded
    return wanted - excluded


_PROBE = JiraIssue(0, "ZEN-0", "ZEN", "", adf.from_text(""), "10000", None, "", "3", [], 0, 0)


def seed_issues(
    rng: random.Random, count: int, users: list[str], me: str, now: float
) -> list[JiraIssue]:
    """`count` issues spread over PROJECTS; about a quarter assigned to `me`."""
    issues, counters = [], dict.fromkeys(PROJECTS, 0)
    comment_id = 10000
    for n in range(count):
        project = rng.choice(list(PROJECTS))
        counters[project] += 1
        created = now - rng.uniform(3600, 90 * 86400)
        updated = rng.uniform(created, now - 60)
        roll = rng.random()
        assignee = me if roll < 0.25 else None if roll < 0.4 else rng.choice(users)
        summary = f"{rng.choice(_VERBS)} {rng.choice(_NOUNS)}"
        text = f"{summary}.\nSeen in {rng.choice(PROJECTS[project].split())} since last week."
        issue = JiraIssue(
            10000 + n,
            f"{project}-{counters[project]}",
            project,
            summary,
            adf.from_text(text),
            rng.choice(list(STATUSES)),
            assignee,
            rng.choice([*users, me]),
            rng.choice(list(PRIORITIES)),
            rng.sample(LABELS, rng.randint(0, 2)),
            created,
            updated,
        )
        for _ in range(rng.randint(0, 2)):
            comment_id += 1
            who = rng.choice(users)
            line = rng.choice(["Looking into it.", "Can we pair on this?", "Blocked on review."])
            when = rng.uniform(created, updated)
            issue.comments.append(JiraComment(comment_id, who, adf.from_text(line), when, when))
        issues.append(issue)
    return issues


def colleague_names() -> tuple[str, ...]:
    return _NAMES
