"""Jira simulator state: users, projects, workflow, issues, and their v3 JSON shapes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from zen_tui.simulator.jira import adf

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
    # The fields its screen requires (a "Resolve Issue" screen asks for the resolution):
    # POST .../transitions must set them in `fields`, and bulk transitions never offer it.
    screen: tuple[str, ...] = ()
    # The fields its screen shows without requiring them (`required: false` in its field
    # metadata): a comment box the user may leave empty.
    optional: tuple[str, ...] = ()
    # The fields a workflow rule (a validator: Jira's "Field required", an app's "Comment
    # required") wants though the screen does not say so: checked once the screen's own
    # fields pass, as screens.rule_refusal answers.
    rules: tuple[str, ...] = ()

    @property
    def on_screen(self) -> tuple[str, ...]:
        """Every field its screen lists, required or not."""
        return self.screen + self.optional

    @property
    def has_screen(self) -> bool:
        return bool(self.on_screen)


WORKFLOW = (
    Transition("11", "Start Progress", "3", frozenset({"10000"})),
    Transition("21", "Request Review", "10001", frozenset({"3"})),
    Transition("31", "Done", "10002", frozenset({"3", "10001"})),
    Transition("41", "Back to In Progress", "3", frozenset({"10001"})),
    Transition("51", "Stop Progress", "10000", frozenset({"3"})),
    Transition("61", "Reopen", "10000", frozenset({"10002"})),
    Transition("71", "Resolve", "10002", frozenset({"3", "10001"}), ("resolution",)),
    # back from review with a date to pick it up by: a required field with no values to pick
    Transition("81", "Defer", "10000", frozenset({"10001"}), ("duedate",)),
    # back from review saying why: its screen requires a comment, which Jira takes through
    # `update` ({"comment": [{"add": {"body": ...}}]}), never through `fields`
    Transition("91", "Request Changes", "3", frozenset({"10001"}), ("comment",)),
    # back from review, turned down: its screen shows the comment as optional, yet a workflow
    # rule refuses the move without one (nothing in the transition's metadata says so)
    Transition(
        "101", "Reject", "10000", frozenset({"10001"}), optional=("comment",), rules=("comment",)
    ),
)
PRIORITIES = {"1": "Highest", "2": "High", "3": "Medium", "4": "Low", "5": "Lowest"}
# issue type id -> (name, subtask, hierarchy level)
ISSUE_TYPES = {
    "10000": ("Epic", False, 1),
    "10001": ("Task", False, 0),
    "10002": ("Bug", False, 0),
    "10003": ("Story", False, 0),
    "10004": ("Subtask", True, -1),
}
# link type id -> (name, inward, outward)
LINK_TYPES = {
    "10000": ("Blocks", "is blocked by", "blocks"),
    "10001": ("Cloners", "is cloned by", "clones"),
    "10002": ("Duplicate", "is duplicated by", "duplicates"),
    "10003": ("Relates", "relates to", "relates to"),
}
RESOLUTIONS = {"10000": "Done", "10001": "Won't Do", "10002": "Fixed", "10003": "Duplicate"}
SPRINT_FIELD = "customfield_10020"
FLAGGED_FIELD = "customfield_10021"
IMPEDIMENT = {"id": "10019", "value": "Impediment"}  # the Flagged field's only option
PROJECTS = {"ZEN": "Zen Core", "OPS": "Operations", "WEB": "Web App", "API": "Public API"}


@dataclass(frozen=True)
class Sprint:
    id: int
    name: str
    state: str  # closed | active | future
    project: str


# Two sprints per project: the last one closed, the current one active.
SPRINTS = {
    sid: Sprint(sid, f"{key} Sprint {n}", "closed" if n == 1 else "active", key)
    for index, key in enumerate(PROJECTS)
    for n, sid in ((1, 2 * index + 1), (2, 2 * index + 2))
}
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
class JiraWorklog:
    id: int
    author: str
    seconds: int
    started: float
    comment: dict[str, Any] | None
    created: float


@dataclass
class JiraHistory:
    id: int
    author: str
    created: float
    items: list[tuple[str, Any, Any]]  # (field, fromString, toString)


@dataclass
class JiraLink:
    id: int
    type_id: str
    # POST issueLink's inwardIssue and outwardIssue: "inward <outward phrase> outward",
    # e.g. Blocks: inward blocks outward, and outward "is blocked by" inward.
    inward: str
    outward: str


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
    issuetype: str = "10001"
    parent: str | None = None  # parent issue key (subtasks, issues under an epic)
    sprint: int | None = None
    duedate: str | None = None  # yyyy-MM-dd
    resolution: str | None = None
    resolved: float | None = None
    worklogs: list[JiraWorklog] = field(default_factory=list)
    remote_links: list[dict[str, Any]] = field(default_factory=list)
    links: list[JiraLink] = field(default_factory=list)
    history: list[JiraHistory] = field(default_factory=list)
    flagged: bool = False
    watchers: list[str] = field(default_factory=list)  # account ids added explicitly
    text_cache: tuple[str, str] | None = field(default=None, repr=False, compare=False)

    def transitions(self, screenless: bool = False) -> list[Transition]:
        """The transitions open now; `screenless`, only those with no screen and no rule
        wanting a field (what a bulk transition, or a colleague's move in the background,
        can take)."""
        return [
            t
            for t in WORKFLOW
            if self.status in t.sources and not (screenless and (t.has_screen or t.rules))
        ]

    def watching(self) -> set[str]:
        """Who watches it: the reporter and every commenter (Jira's auto-watch defaults), and
        anyone added to `watchers`."""
        return {self.reporter, *(c.author for c in self.comments), *self.watchers}

    @property
    def is_subtask(self) -> bool:
        return ISSUE_TYPES[self.issuetype][1]


def jira_time(ts: float) -> str:
    """Jira's timestamp format: 2021-01-17T12:34:00.000+0000."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def account_id(rng: random.Random) -> str:
    return "5b10" + "".join(rng.choice("0123456789abcdef") for _ in range(20))


class Renderer:
    """Builds v3 JSON (or v2, where rich text is plain strings) for one site base URL."""

    def __init__(
        self,
        base: str,
        users: dict[str, JiraUser],
        issues: dict[str, JiraIssue] | None = None,
        version: str = "3",
    ) -> None:
        self.base = base
        self.version = version
        self.api = f"{base}/rest/api/{version}"
        self.users = users
        self.issues = issues or {}

    def text(self, doc: dict[str, Any] | None) -> Any:
        """A rich-text value: ADF in v3, its plain text in v2 (null stays null)."""
        if doc is None or self.version == "3":
            return doc
        return adf.to_text(doc)

    def avatar_url(self, account: str, size: str) -> str:
        """A user's avatar at `size` ("16x16", ...)."""
        return f"{self.base}/avatar/{account}?s={size[:2]}"

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
                s: self.avatar_url(u.account_id, s) for s in ("48x48", "24x24", "16x16", "32x32")
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

    def issuetype(self, type_id: str) -> dict[str, Any]:
        name, subtask, level = ISSUE_TYPES[type_id]
        return {
            "self": f"{self.api}/issuetype/{type_id}",
            "id": type_id,
            "description": f"A {name.lower()}.",
            "iconUrl": f"{self.base}/images/icons/issuetypes/{name.lower()}.svg",
            "name": name,
            "untranslatedName": name,
            "subtask": subtask,
            "avatarId": 10300 + int(type_id) % 100,
            "hierarchyLevel": level,
        }

    def priority(self, priority_id: str) -> dict[str, Any]:
        return {
            "self": f"{self.api}/priority/{priority_id}",
            "id": priority_id,
            "name": PRIORITIES[priority_id],
            "iconUrl": f"{self.base}/images/icons/priorities/{priority_id}.svg",
        }

    def project(self, key: str) -> dict[str, Any]:
        return {
            "self": f"{self.api}/project/{key}",
            "key": key,
            "id": str(10000 + list(PROJECTS).index(key)),
            "name": PROJECTS[key],
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": {
                s: f"{self.base}/project-avatar/{key}?s={s[:2]}"
                for s in ("48x48", "24x24", "16x16", "32x32")
            },
        }

    def link_type(self, type_id: str) -> dict[str, Any]:
        name, inward, outward = LINK_TYPES[type_id]
        return {
            "id": type_id,
            "name": name,
            "inward": inward,
            "outward": outward,
            "self": f"{self.api}/issueLinkType/{type_id}",
        }

    def transition(self, t: Transition, with_fields: bool = False) -> dict[str, Any]:
        """One transition; with `expand=transitions.fields`, its screen's fields too."""
        body: dict[str, Any] = {
            "id": t.id,
            "name": t.name,
            "to": self.status(t.to),
            "hasScreen": t.has_screen,
            "isGlobal": False,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }
        if with_fields:
            body["fields"] = {f: self.screen_field(f, f in t.screen) for f in t.on_screen}
        return body

    def screen_field(self, field_id: str, required: bool = True) -> dict[str, Any]:
        """A transition screen's field (FieldMetadata): the resolution, with its values, the
        due date, a date typed in (no allowedValues, as Jira leaves them out then), or the
        comment, added (its operations hold no "set": it goes through `update`)."""
        common = {
            "required": required,
            "key": field_id,
            "hasDefaultValue": False,
            "operations": ["set"],
        }
        if field_id == "duedate":
            return {**common, "schema": {"type": "date", "system": "duedate"}, "name": "Due date"}
        if field_id == "comment":  # as Jira Cloud's field metadata shows it (editmeta alike)
            return {
                **common,
                "schema": {"type": "comments-page", "system": "comment"},
                "name": "Comment",
                "operations": ["add", "edit", "remove"],
            }
        return {
            **common,
            "schema": {"type": "resolution", "system": "resolution"},
            "name": "Resolution",
            "allowedValues": [self.resolution(r) for r in RESOLUTIONS],
        }

    def comment(self, issue: JiraIssue, c: JiraComment) -> dict[str, Any]:
        author = self.user(c.author)
        return {
            "self": f"{self.api}/issue/{issue.id}/comment/{c.id}",
            "id": str(c.id),
            "author": author,
            "body": self.text(c.body),
            "updateAuthor": author,
            "created": jira_time(c.created),
            "updated": jira_time(c.updated),
            "jsdPublic": True,
        }

    def worklog(self, issue: JiraIssue, w: JiraWorklog) -> dict[str, Any]:
        author = self.user(w.author)
        body = {
            "self": f"{self.api}/issue/{issue.id}/worklog/{w.id}",
            "author": author,
            "updateAuthor": author,
            "created": jira_time(w.created),
            "updated": jira_time(w.created),
            "started": jira_time(w.started),
            "timeSpent": duration(w.seconds),
            "timeSpentSeconds": w.seconds,
            "id": str(w.id),
            "issueId": str(issue.id),
        }
        if w.comment is not None:
            body["comment"] = self.text(w.comment)
        return body

    def worklogs(self, issue: JiraIssue) -> dict[str, Any]:
        logs = [self.worklog(issue, w) for w in issue.worklogs]
        return {"startAt": 0, "maxResults": len(logs), "total": len(logs), "worklogs": logs}

    def history(self, h: JiraHistory) -> dict[str, Any]:
        return {
            "id": str(h.id),
            "author": self.user(h.author),
            "created": jira_time(h.created),
            # The contract types these as strings, so an empty side is left out, not null.
            "items": [
                {
                    "field": f,
                    "fieldtype": "jira",
                    "fieldId": f,
                    **({} if a is None else {"fromString": str(a)}),
                    **({} if b is None else {"toString": str(b)}),
                }
                for f, a, b in h.items
            ],
        }

    def issue_ref(self, key: str) -> dict[str, Any]:
        """The short form of another issue inside issuelinks, subtasks and parent."""
        other = self.issues.get(key)
        if other is None:
            return {"key": key}
        return {
            "id": str(other.id),
            "key": other.key,
            "self": f"{self.api}/issue/{other.id}",
            "fields": {
                "summary": other.summary,
                "status": self.status(other.status),
                "priority": self.priority(other.priority),
                "issuetype": self.issuetype(other.issuetype),
            },
        }

    def issue_link(self, issue: JiraIssue, link: JiraLink) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": str(link.id),
            "self": f"{self.api}/issueLink/{link.id}",
            "type": self.link_type(link.type_id),
        }
        # Seen from the outward issue ("A blocks B"), B is the outward issue, and vice versa.
        if link.outward == issue.key:
            body["inwardIssue"] = self.issue_ref(link.inward)
        else:
            body["outwardIssue"] = self.issue_ref(link.outward)
        return body

    def resolution(self, resolution_id: str | None) -> dict[str, Any] | None:
        if resolution_id is None:
            return None
        return {
            "self": f"{self.api}/resolution/{resolution_id}",
            "id": resolution_id,
            "description": "Work on this issue is complete.",
            "name": RESOLUTIONS[resolution_id],
        }

    def impediment(self) -> dict[str, Any]:
        return {"self": f"{self.api}/customFieldOption/{IMPEDIMENT['id']}", **IMPEDIMENT}

    def sprint(self, sprint_id: int | None) -> list[dict[str, Any]] | None:
        if sprint_id is None:
            return None
        s = SPRINTS[sprint_id]
        board = 1 + list(PROJECTS).index(s.project)
        return [{"id": s.id, "name": s.name, "state": s.state, "boardId": board, "goal": ""}]

    def fields(self, issue: JiraIssue, wanted: set[str] | None, comment_cap: int) -> dict[str, Any]:
        comments = issue.comments[-comment_cap:] if comment_cap else issue.comments
        spent = sum(w.seconds for w in issue.worklogs) or None
        subtasks = [
            k for k, other in self.issues.items() if other.parent == issue.key and other.is_subtask
        ]
        all_fields: dict[str, Any] = {
            "summary": issue.summary,
            "description": self.text(issue.description),
            "status": self.status(issue.status),
            "assignee": self.user(issue.assignee),
            "reporter": self.user(issue.reporter),
            "creator": self.user(issue.reporter),
            "priority": self.priority(issue.priority),
            "labels": list(issue.labels),
            "created": jira_time(issue.created),
            "updated": jira_time(issue.updated),
            "project": self.project(issue.project),
            "issuetype": self.issuetype(issue.issuetype),
            "comment": {
                "comments": [self.comment(issue, c) for c in comments],
                "self": f"{self.api}/issue/{issue.id}/comment",
                "maxResults": len(comments),
                "total": len(issue.comments),
                "startAt": 0,
            },
            "resolution": self.resolution(issue.resolution),
            "resolutiondate": jira_time(issue.resolved) if issue.resolved else None,
            "duedate": issue.duedate,
            "attachment": [],
            "issuelinks": [self.issue_link(issue, link) for link in issue.links],
            "subtasks": [self.issue_ref(k) for k in subtasks],
            "components": [],
            "fixVersions": [],
            "versions": [],
            "environment": None,
            "security": None,
            "lastViewed": None,
            "timeestimate": None,
            "timeoriginalestimate": None,
            "timespent": spent,
            "aggregatetimespent": spent,
            "timetracking": {"timeSpent": duration(spent), "timeSpentSeconds": spent}
            if spent
            else {},
            "worklog": self.worklogs(issue),
            "watches": {
                "self": f"{self.api}/issue/{issue.key}/watchers",
                "watchCount": len(issue.watching()),
                "isWatching": False,
            },
            "votes": {
                "self": f"{self.api}/issue/{issue.key}/votes",
                "votes": 0,
                "hasVoted": False,
            },
            "statuscategorychangedate": jira_time(issue.updated),
            SPRINT_FIELD: self.sprint(issue.sprint),
            FLAGGED_FIELD: [self.impediment()] if issue.flagged else None,
        }
        if issue.parent is not None:
            all_fields["parent"] = self.issue_ref(issue.parent)
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


def duration(seconds: int | None) -> str:
    """Jira's short duration text: 1w 2d 3h 4m (5-day weeks, 8-hour days)."""
    left, parts = seconds or 0, []
    for unit, size in (("w", 5 * 8 * 3600), ("d", 8 * 3600), ("h", 3600), ("m", 60)):
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    return " ".join(parts) or "0m"


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
        wanted = ({"parent"} | set(Renderer("", {}).fields(_PROBE, None, 0))) - excluded
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
        _seed_extras(issue, n)
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


def _seed_extras(issue: JiraIssue, n: int) -> None:
    """Type, sprint and resolution derived from the issue's number: no extra random draws,
    so a seed gives the same issues it always did."""
    issue.issuetype = ("10001", "10002", "10003", "10001", "10002")[n % 5]
    index = list(PROJECTS).index(issue.project)
    issue.sprint = (None, 2 * index + 1, 2 * index + 2)[n % 3]
    if n % 7 == 3:  # a pasted link, an emoji and a status lozenge: nodes without text children
        url = f"https://github.com/acme/api/pull/{n + 1}"
        issue.description["content"].append(adf.related(url, "IN REVIEW"))
    if STATUSES[issue.status][2] == "done":
        issue.resolution, issue.resolved = "10000", issue.updated
