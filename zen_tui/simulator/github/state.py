"""The simulated GitHub's state: users, repos, PRs/issues, comments, reviews, notifications.

Plain data plus the operations handlers apply; rendering to JSON lives in github_render.py.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zen_tui.simulator.github.dates import date_filter
from zen_tui.simulator.github.files import FileChange, files_for, long_patch, many_files
from zen_tui.simulator.github.query import Term, compile_tree, parse

ME = "me"
COLLEAGUES = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "niaj",
    "olivia",
    "peggy",
    "rupert",
    "sybil",
    "trent",
    "victor",
    "walter",
]
REPO_NAMES = ["api", "web", "infra", "docs", "mobile", "billing", "search", "auth", "cli", "etl"]
LABELS = {
    "bug": "d73a4a",
    "enhancement": "a2eeef",
    "documentation": "0075ca",
    "good first issue": "7057ff",
    "needs review": "fbca04",
    "blocked": "b60205",
    "dependencies": "0366d6",
    "security": "ee0701",
}
TOPICS = [
    "fix flaky test in",
    "add retries to",
    "refactor",
    "speed up",
    "document",
    "remove dead code in",
    "upgrade dependencies of",
    "handle timeouts in",
    "add metrics to",
    "clean up logging in",
]
# Teams of the `acme` org (slug -> members); a request to a team reaches each member.
TEAMS = {"backend": [ME, "alice", "bob", "erin"], "frontend": ["carol", "dave", "grace"]}
AREAS = ["the sync loop", "the login page", "the cache", "webhooks", "the CLI", "search", "exports"]
DAY = 86400.0
# Per seeded repository, in turn: where its checks come from (see Repo.checks).
REPO_CHECKS = ("both", "actions", "both", "statuses")
# The merge methods, in GitHub's order (as its merge button lists them).
MERGE_METHODS: tuple[str, ...] = ("merge", "squash", "rebase")


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    created: float
    labels: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (id, color)
    items: dict[int, Item] = field(default_factory=dict)
    by_sha: dict[str, Item] = field(default_factory=dict)
    next_number: int = 1
    deleted: set[int] = field(default_factory=set)  # issue numbers deleted: 410 Gone, as GitHub
    # Where a commit's checks come from: "both" (a commit status and a check run), "actions"
    # (check runs only: GitHub Actions, most repositories) or "statuses" (an external CI).
    checks: str = "both"
    # The user lost access to it (made private, removed from the team): GitHub answers 404
    # for everything under it and leaves it out of search and the inbox, with no update.
    hidden: bool = False
    archived: bool = False  # read-only: out of `archived:false` searches, writes refused
    # Issues turned off in its settings (a fork's default): its issue endpoints answer 410.
    has_issues: bool = True
    # The merge methods its settings allow, in GitHub's order (merge, squash, rebase): the
    # repository's allow_merge_commit / allow_squash_merge / allow_rebase_merge.
    merge_methods: tuple[str, ...] = MERGE_METHODS
    # People who may review its PRs without write access (an outside contributor): their
    # reviews are listed, but `writersOnly` and the review decision leave them out.
    read_only: set[str] = field(default_factory=set)
    # Branch protection requires an approving review (every seeded repository's); without
    # it GitHub's `reviewDecision` is null.
    requires_review: bool = True

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def _merge_methods(text: str) -> tuple[str, ...]:
    wanted = {m.strip() for m in text.split(",") if m.strip()}
    unknown = wanted - set(MERGE_METHODS)
    if unknown or not wanted:
        what = f"unknown {', '.join(sorted(unknown))}" if unknown else "none given"
        raise ValueError(f"merge methods: {what}; use some of {', '.join(MERGE_METHODS)}")
    return tuple(m for m in MERGE_METHODS if m in wanted)


@dataclass
class Comment:
    id: int
    user: str
    body: str
    created: float
    updated: float


@dataclass
class Review:
    id: int
    user: str
    body: str
    state: str
    commit_id: str
    submitted: float


@dataclass
class Item:
    """A PR or an issue (they share numbering per repo, as on GitHub)."""

    id: int
    repo: Repo
    number: int
    is_pr: bool
    title: str
    body: str
    user: str
    created: float
    updated: float
    state: str = "open"
    closed: float | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)  # requested team reviewers (slugs)
    reviews: list[Review] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    draft: bool = False
    head_sha: str = ""
    head_ref: str = ""
    mergeable: bool | None = True
    computing_until: float = 0.0  # mergeable is null (being computed) until then
    merged: bool = False
    merged_at: float | None = None
    merged_by: str | None = None
    merge_sha: str | None = None
    check_state: str = "success"  # success | failure | pending
    # The changed files when seeded on purpose (a huge PR); else derived from the head sha.
    seeded_files: list[FileChange] | None = None

    @property
    def files(self) -> list[FileChange]:
        return self.seeded_files if self.seeded_files is not None else files_for(self.head_sha)

    def reviews_seen_by(self, viewer: str) -> list[Review]:
        """The reviews `viewer` is shown: the submitted ones and their own pending one, never
        another person's (GitHub docs, "Reviewing proposed changes in a pull request": before
        you submit your review, its comments "are pending and only visible to you")."""
        return [r for r in self.reviews if r.state != "PENDING" or r.user == viewer]

    @property
    def statuses(self) -> bool:
        """Whether the head commit has a commit status (the combined status's `statuses`)."""
        return self.repo.checks in ("both", "statuses")

    @property
    def check_runs(self) -> bool:
        """Whether the head commit has a check run (what GitHub Actions reports)."""
        return self.repo.checks in ("both", "actions")

    @property
    def ref(self) -> str:
        return f"{self.repo.full_name}#{self.number}"

    def involves(self, login: str) -> bool:
        return (
            self.user == login
            or login in self.assignees
            or f"@{login}" in self.body
            or any(c.user == login for c in self.comments)
        )


@dataclass
class Thread:
    id: str
    item: Item
    reason: str
    updated: float
    unread: bool = True
    last_read: float | None = None


def sha_for(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


class GitHubState:
    def __init__(self, rng: random.Random, clock: Callable[[], float]) -> None:
        self.rng = rng
        self.clock = clock
        self.users: dict[str, int] = {ME: 1}
        for index, login in enumerate(COLLEAGUES, start=2):
            self.users[login] = index
        self.repos: dict[int, Repo] = {}
        self.by_name: dict[str, Repo] = {}
        # A renamed or transferred repository's earlier names (lower case) -> its id: GitHub
        # redirects requests that use them (301 reads, 307 writes) until the name is reused.
        self.moved: dict[str, int] = {}
        self.items: list[Item] = []
        self.threads: dict[str, Thread] = {}
        # Logins whose accounts were deleted: GitHub's REST answers give what they wrote
        # (issues, PRs, comments, reviews) `user: null`, GraphQL `author: null`.
        self.deleted_users: frozenset[str] = frozenset()
        self.starred: set[int] = set()  # ids of the repositories the token's user starred
        self._ids = 1000
        self.version = 0  # bumped on every change; renderers and search cache by it
        self._search_cache: dict[tuple[str, str, bool, int], list[Item]] = {}
        self.notifications_changed = clock()

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    # ---- seeding ----
    def seed(self, count: int) -> None:
        now = self.clock()
        for index in range(max(3, min(len(REPO_NAMES), count // 100 or 3))):
            repo = Repo(1296269 + index, "acme", REPO_NAMES[index], now - 400 * DAY)
            for name, color in LABELS.items():
                repo.labels[name] = (self.next_id(), color)
            repo.checks = REPO_CHECKS[index % len(REPO_CHECKS)]
            self.repos[repo.id] = repo
            self.by_name[repo.full_name.lower()] = repo
        repos = list(self.repos.values())
        for index in range(count):
            self._seed_item(repos[index % len(repos)], index, now)
        self._seed_real_world_cases()
        self.notifications_changed = now

    def _seed_real_world_cases(self) -> None:
        """What real repositories have and a client must read right (no rng: the rest of the
        seed stays as it was): a PR whose approval comes after 30 other reviews (REST lists
        reviews 30 a page, oldest first), a PR where only a team is asked to review, a PR of
        3,050 files (the files listing stops at 3,000) and one with a 1,500-line patch."""
        open_prs = [i for i in self.items if i.is_pr and i.state == "open" and i.user != ME]
        if len(open_prs) < 2:
            return
        if len(open_prs) >= 4:
            open_prs[2].seeded_files = many_files(3050)
            open_prs[3].seeded_files = long_patch(1500)
        long_review, team_only = open_prs[0], open_prs[1]
        at = long_review.updated
        reviews = [("CHANGES_REQUESTED", "Please split this up.")]
        reviews += [("COMMENTED", f"Nit {n}.") for n in range(1, 31)] + [("APPROVED", "")]
        for step, (state, body) in enumerate(reviews):
            review = Review(self.next_id(), "alice", body, state, long_review.head_sha, at)
            review.submitted = at - (len(reviews) - step) * 60.0
            long_review.reviews.append(review)
        team_only.reviewers.clear()
        team_only.teams.append("backend")
        self._notify(team_only, "review_requested", team_only.updated)

    def _seed_item(self, repo: Repo, index: int, now: float) -> None:
        rng = self.rng
        is_pr = rng.random() < 0.55
        # The first items always involve me, so default sections are never empty.
        author = ME if index % 13 == 0 else rng.choice(COLLEAGUES)
        created = now - rng.uniform(0.5, 120) * DAY
        item = self._make(repo, author, self._title(), "", is_pr, created)
        item.updated = min(now, created + rng.uniform(0, 10) * DAY)
        if index % 7 == 1 or rng.random() < 0.05:
            item.body = f"Could you take a look, @{ME}?"
        if rng.random() < 0.25 or index % 11 == 2:
            item.assignees.append(ME if rng.random() < 0.5 or index % 11 == 2 else author)
        item.labels = rng.sample(list(repo.labels), rng.randint(0, 2))
        if is_pr:
            if author != ME and (index % 5 == 3 or rng.random() < 0.1):
                item.reviewers.append(ME)
            if rng.random() < 0.4:
                item.reviewers.append(rng.choice([u for u in COLLEAGUES if u != author]))
            item.draft = rng.random() < 0.1
            item.mergeable = rng.random() > 0.1
            item.check_state = rng.choice(["success", "success", "success", "failure", "pending"])
        if rng.random() < 0.2:
            item.state = "closed"
            item.closed = item.updated
        for _ in range(rng.choice((0, 0, 1, 2))):
            who = rng.choice(COLLEAGUES)
            at = rng.uniform(item.created, item.updated)
            item.comments.append(Comment(self.next_id(), who, "Looks reasonable.", at, at))
        if item.state == "open" and (ME in item.reviewers or f"@{ME}" in item.body):
            reason = "review_requested" if ME in item.reviewers else "mention"
            self._notify(item, reason, item.updated)

    def _title(self) -> str:
        return f"{self.rng.choice(TOPICS).capitalize()} {self.rng.choice(AREAS)}"

    def _make(
        self, repo: Repo, author: str, title: str, body: str, is_pr: bool, created: float
    ) -> Item:
        number = repo.next_number
        repo.next_number += 1
        item = Item(self.next_id(), repo, number, is_pr, title, body, author, created, created)
        if is_pr:
            item.head_ref = f"{author}/change-{number}"
            self._set_head(item, sha_for(repo.id, number, 0))
        repo.items[number] = item
        self.items.append(item)
        self.version += 1
        return item

    def delete_issue(self, item: Item) -> None:
        """Gone from its repository, search and the inbox; its number is never reused."""
        item.repo.items.pop(item.number, None)
        item.repo.deleted.add(item.number)
        self.items.remove(item)
        self.threads = {k: t for k, t in self.threads.items() if t.item is not item}
        self.notifications_changed = self.clock()
        self.version += 1

    def set_repo_access(
        self,
        names: str,
        *,
        hidden: bool | None = None,
        archived: bool | None = None,
        no_issues: bool | None = None,
    ) -> None:
        """`names` (comma-separated owner/name) become hidden / archived / without issues,
        every other repository not: nothing about their items changes (no `updated_at`, no
        webhook), as on GitHub."""
        wanted = {n.strip().lower() for n in names.split(",") if n.strip()}
        for repo in self.repos.values():
            if hidden is not None:
                repo.hidden = repo.full_name.lower() in wanted
            if archived is not None:
                repo.archived = repo.full_name.lower() in wanted
            if no_issues is not None:
                repo.has_issues = repo.full_name.lower() not in wanted
        self.notifications_changed = self.clock()
        self.version += 1

    def set_merge_methods(self, spec: str) -> None:
        """`spec`: `;`-separated entries, each `owner/name=methods` for one repository or
        bare `methods` for every repository not named; methods are comma-separated (merge,
        squash, rebase), e.g. `squash` or `merge,squash,rebase;acme/api=squash`. Raises
        ValueError, saying what is wrong, before anything changes."""
        default, named = MERGE_METHODS, {}
        for entry in [e.strip() for e in spec.split(";") if e.strip()] or [""]:
            name, sep, methods = entry.rpartition("=")
            allowed = _merge_methods(methods)
            if sep:
                named[name.strip().lower()] = allowed
            else:
                default = allowed
        for repo in self.repos.values():
            repo.merge_methods = named.get(repo.full_name.lower(), default)
        self.version += 1

    def set_deleted_users(self, logins: str) -> None:
        """`logins` (comma-separated) deleted their accounts; every other one is back. Nothing
        they wrote changes its `updated_at` or sends a webhook, as on GitHub."""
        self.deleted_users = frozenset(n.strip() for n in logins.split(",") if n.strip())
        self.version += 1

    def _set_head(self, item: Item, sha: str) -> None:
        item.repo.by_sha.pop(item.head_sha, None)
        item.head_sha = sha
        item.repo.by_sha[sha] = item

    # ---- queries ----
    def find_repo(self, params: dict[str, Any]) -> Repo | None:
        if "repo_id" in params:
            return self.repos.get(int(params["repo_id"]))
        return self.by_name.get(f"{params.get('owner')}/{params.get('repo')}".lower())

    def moved_repo(self, params: dict[str, Any]) -> Repo | None:
        """The repository an earlier name in the path (`owner`/`repo`) now belongs to."""
        if "owner" not in params or self.find_repo(params) is not None:
            return None
        ident = self.moved.get(f"{params['owner']}/{params.get('repo')}".lower())
        return None if ident is None else self.repos.get(ident)

    def search(self, query: str, sort: str = "updated", desc: bool = True) -> list[Item]:
        """Matching items, sorted; cached per state version (pollers repeat their queries)."""
        key = (query, sort, desc, self.version)
        hits = self._search_cache.get(key)
        if hits is None:
            if len(self._search_cache) > 64:
                self._search_cache.clear()
            hits = self._search_cache[key] = self._search(query, sort, desc)
        return hits

    def unsearchable(self, query: str) -> str | None:
        """Why GitHub refuses the whole search with a 422 rather than answer it empty: a
        `repo:`, `user:` or `org:` naming a repository or owner that does not exist (or that
        the user may not see) -> "repositories"; a person qualifier (`author:`, `assignee:`,
        `involves:`...) naming a login that does not exist -> "users". None: searchable.
        A negated qualifier (-repo:x, -author:y) is not checked: GitHub's answer to it is
        unconfirmed."""
        owners = {r.owner.lower() for r in self.repos.values()}
        logins = {u.lower() for u in self.users}
        why: str | None = None
        for found in parse(query).terms():
            key, value = found.key, found.value.lower()
            if found.negated or not value:
                continue
            if key == "repo" and (value not in self.by_name or self.by_name[value].hidden):
                return "repositories"
            if key in ("user", "org") and value not in owners:
                return "repositories"
            if key in PERSON_QUALIFIERS and _missing_login(value, logins):
                why = "users"
        return why

    def _search(self, query: str, sort: str, desc: bool) -> list[Item]:
        test = compile_tree(parse(query), _predicate)
        hits = [i for i in self.items if not i.repo.hidden and test(i)]
        keys: dict[str, Callable[[Item], tuple[float, int]]] = {
            "updated": lambda i: (i.updated, i.id),
            "created": lambda i: (i.created, i.id),
            "comments": lambda i: (len(i.comments), i.id),
        }
        hits.sort(key=keys[sort], reverse=desc)
        return hits

    def threads_for(
        self, show_all: bool, participating: bool, since: float | None, before: float | None
    ) -> list[Thread]:
        rows = [
            t
            for t in self.threads.values()
            if (show_all or t.unread)
            and not t.item.repo.hidden
            and (not participating or t.reason in ("mention", "review_requested", "author"))
            and (since is None or t.updated >= since)
            and (before is None or t.updated < before)
        ]
        rows.sort(key=lambda t: t.updated, reverse=True)
        return rows

    def settle_mergeable(self, item: Item) -> None:
        if item.mergeable is None and self.clock() >= item.computing_until:
            item.mergeable = True

    # ---- mutations ----
    def move_repo(self, repo: Repo, owner: str, name: str) -> str:
        """Rename and/or transfer `repo`; its old full name (returned) now redirects. A name
        in use by another repository is refused (ValueError, as GitHub's 422)."""
        old, new = repo.full_name, f"{owner}/{name}"
        taken = self.by_name.get(new.lower())
        if taken is not None and taken is not repo:
            raise ValueError(f"name already exists on this account: {new}")
        del self.by_name[old.lower()]
        repo.owner, repo.name = owner, name
        self.by_name[new.lower()] = repo
        self.moved.pop(new.lower(), None)  # the new name is now a repository of its own
        if old.lower() != new.lower():
            self.moved[old.lower()] = repo.id
        self.version += 1
        return old

    def touch(self, item: Item) -> None:
        item.updated = max(self.clock(), item.updated + 0.001)
        self.version += 1

    def new_item(self, repo: Repo, author: str, title: str, body: str, is_pr: bool) -> Item:
        item = self._make(repo, author, title, body, is_pr, self.clock())
        if is_pr:
            item.mergeable = None
            item.computing_until = self.clock() + 2.0
            item.check_state = "pending"
        return item

    def add_review(self, item: Item, user: str, body: str, state: str) -> Review:
        review = Review(self.next_id(), user, body, state, item.head_sha, self.clock())
        item.reviews.append(review)
        if state != "PENDING" and user in item.reviewers:
            item.reviewers.remove(user)
        self.touch(item)
        return review

    def set_reviewers(self, item: Item, logins: list[str], adding: bool) -> None:
        for login in logins:
            if adding and login not in item.reviewers:
                item.reviewers.append(login)
                if login == ME:
                    self._notify(item, "review_requested", self.clock())
            elif not adding and login in item.reviewers:
                item.reviewers.remove(login)
        self.touch(item)

    def set_team_reviewers(self, item: Item, slugs: list[str], adding: bool) -> None:
        for slug in slugs:
            if adding and slug not in item.teams:
                item.teams.append(slug)
                if ME in TEAMS[slug]:
                    self._notify(item, "review_requested", self.clock())
            elif not adding and slug in item.teams:
                item.teams.remove(slug)
        self.touch(item)

    def merge(self, item: Item, user: str) -> str:
        item.merged, item.state = True, "closed"
        item.merged_at = item.closed = self.clock()
        item.merged_by = user
        item.merge_sha = sha_for("merge", item.id, item.head_sha)
        self.touch(item)
        return item.merge_sha

    def update_issue(self, item: Item, changes: dict[str, Any]) -> set[str]:
        changed = set()
        state = changes.get("state")
        if state is not None and state != item.state:
            item.state = state
            item.closed = self.clock() if state == "closed" else None
            changed.add("state")
        for key in ("title", "body"):
            if isinstance(changes.get(key), str) and changes[key] != getattr(item, key):
                setattr(item, key, changes[key])
                changed.add(key)
        if changed:
            self.touch(item)
        return changed

    def add_labels(self, item: Item, names: list[str]) -> list[str]:
        added = []
        for name in names:
            existing = next((n for n in item.repo.labels if n.lower() == name.lower()), None)
            if existing is None:
                item.repo.labels[name] = (self.next_id(), "ededed")
                existing = name
            if existing not in item.labels:
                item.labels.append(existing)
                added.append(existing)
        if added:
            self.touch(item)
        return added

    def remove_label(self, item: Item, name: str) -> bool:
        match = next((n for n in item.labels if n.lower() == name.lower()), None)
        if match is None:
            return False
        item.labels.remove(match)
        self.touch(item)
        return True

    def set_assignees(self, item: Item, logins: list[str], adding: bool) -> list[str]:
        changed = []
        for login in logins:
            if adding and login not in item.assignees:
                item.assignees.append(login)
                changed.append(login)
            elif not adding and login in item.assignees:
                item.assignees.remove(login)
                changed.append(login)
        if changed:
            self.touch(item)
        return changed

    def add_comment(self, item: Item, user: str, body: str) -> Comment:
        now = self.clock()
        comment = Comment(self.next_id(), user, body, now, now)
        item.comments.append(comment)
        self.touch(item)
        if user != ME and (f"@{ME}" in body or item.involves(ME)):
            self._notify(item, "mention" if f"@{ME}" in body else "comment", now)
        return comment

    def finish_checks(self, item: Item, conclusion: str) -> None:
        """The head commit's checks finish: the PR itself (updated_at) does not change, as on
        GitHub, so only a read of the checks can tell."""
        item.check_state = conclusion
        self.version += 1

    def push(self, item: Item) -> None:
        """A new commit on the PR: head moves, mergeable is recomputed, checks restart."""
        self._set_head(item, sha_for(item.repo.id, item.number, self.clock(), self.next_id()))
        item.mergeable = None
        item.computing_until = self.clock() + 2.0
        item.check_state = "pending"
        self.touch(item)

    def _notify(self, item: Item, reason: str, at: float) -> None:
        key = str(item.id)
        thread = self.threads.get(key)
        if thread is None:
            self.threads[key] = Thread(key, item, reason, at)
        else:
            thread.reason, thread.updated, thread.unread = reason, at, True
        self.notifications_changed = max(self.notifications_changed, at)

    def mark_all_read(self, at: float) -> int:
        count = 0
        for thread in self.threads.values():
            if thread.unread and thread.updated <= at:
                thread.unread, thread.last_read = False, at
                count += 1
        self.notifications_changed = self.clock()
        return count

    def mark_thread(self, thread: Thread) -> None:
        thread.unread, thread.last_read = False, self.clock()
        self.notifications_changed = self.clock()

    def mark_thread_done(self, thread: Thread) -> None:
        """Done leaves the inbox; new activity on the item starts a fresh thread."""
        self.threads.pop(thread.id, None)
        self.notifications_changed = self.clock()


DATE_FIELDS: dict[str, Callable[[Item], float | None]] = {
    "updated": lambda i: i.updated,
    "created": lambda i: i.created,
    "closed": lambda i: i.closed,
    "merged": lambda i: i.merged_at,
}


def _who(value: str) -> str:
    return ME if value == "@me" else value


def as_caller(query: str, user: str) -> str:
    """The query with each `@me` qualifier value naming `user`, the caller: GitHub answers
    `review-requested:@me` with the requests of whoever's token asks."""
    return query if user == ME else re.sub(r"(?<=:)@me\b", user, query)


# Qualifiers that name a person: GitHub refuses a search naming a login that does not exist.
PERSON_QUALIFIERS = (
    "author",
    "assignee",
    "mentions",
    "commenter",
    "involves",
    "review-requested",
    "user-review-requested",
    "reviewed-by",
)


def _missing_login(value: str, logins: set[str]) -> bool:
    """`value` names a login the simulated GitHub does not have; `@me`, a wildcard, a bot or
    app (`app/x`) and a team (`org/team`) are not logins to check."""
    return value != "@me" and value != "*" and "/" not in value and value not in logins


def _predicate(term: Term) -> Callable[[Item], bool] | None:
    """One search term -> a filter; unknown qualifiers are ignored, as GitHub does."""
    if not term.key:
        word = term.value.lower()
        return lambda i: word in i.title.lower() or word in i.body.lower()
    if term.key == "no":
        return None if term.negated else MISSING.get(term.value.lower())
    pred = _qualifier(term.key, term.value)
    if pred is None:
        return None
    return (lambda i: not pred(i)) if term.negated else pred


def _qualifier(key: str, value: str) -> Callable[[Item], bool] | None:
    if key in DATE_FIELDS:  # raises BadDate for a date GitHub would refuse
        test, when = date_filter(value), DATE_FIELDS[key]
        return lambda i: (t := when(i)) is not None and test(t)
    v = value.lower()
    who = _who(value)
    table: dict[str, Callable[[Item], bool]] = {
        "is": lambda i: _is(i, v),
        # type:pr / type:issue; any other value is an issue type (type:Bug), which no
        # simulated issue has.
        "type": lambda i: _is(i, v) if v in ("pr", "pull-request", "issue") else False,
        "state": lambda i: i.state == v,
        "author": lambda i: i.user == who,
        "assignee": lambda i: who in i.assignees,
        "review-requested": lambda i: (
            i.is_pr and (who in i.reviewers or any(who in TEAMS[t] for t in i.teams))
        ),
        "team-review-requested": lambda i: i.is_pr and v.partition("/")[2] in i.teams,
        "user-review-requested": lambda i: i.is_pr and who in i.reviewers,
        "reviewed-by": lambda i: any(r.user == who for r in i.reviews),
        "mentions": lambda i: f"@{who}" in i.body,
        "commenter": lambda i: any(c.user == who for c in i.comments),
        "involves": lambda i: i.involves(who),
        "repo": lambda i: i.repo.full_name.lower() == v,
        "org": lambda i: i.repo.owner.lower() == v,
        "user": lambda i: i.repo.owner.lower() == v,
        # label:a,b is either label (GitHub's comma syntax); label:a label:b both.
        "label": lambda i: any(n.lower() in v.split(",") for n in i.labels),
        "draft": lambda i: i.is_pr and i.draft == (v == "true"),
        "archived": lambda i: i.repo.archived == (v == "true"),
    }
    return table.get(key)


# `no:` narrows to items missing that metadata (GitHub's docs, "Searching issues and pull
# requests", "Search by missing metadata": labels, milestones, assignees, projects). The docs
# add that a leading `-` "does not work" for these qualifiers; what GitHub does with `-no:label`
# is not documented, so the simulator ignores such a term. Simulated items never have a
# milestone (rendered `null`) or a project, so `no:milestone` and `no:project` match them all.
MISSING: dict[str, Callable[[Item], bool]] = {
    "label": lambda i: not i.labels,
    "assignee": lambda i: not i.assignees,
    "milestone": lambda _i: True,
    "project": lambda _i: True,
}


def _is(item: Item, value: str) -> bool:
    checks = {
        "pr": item.is_pr,
        "pull-request": item.is_pr,
        "issue": not item.is_pr,
        "open": item.state == "open",
        "closed": item.state == "closed",
        "merged": item.merged,
        "unmerged": item.is_pr and not item.merged,
        "draft": item.draft,
    }
    return checks.get(value, True)
