"""Fixtures for store tests: a real SQLite file in tmp_path, a fake clock, sample items."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ManualClock
from zen_tui.models import Issue, Item, Message, PullRequest, Reaction
from zen_tui.store import Store
from zen_tui.store.codec import encode_item, sort_key


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "zen-tui.db"


@pytest.fixture
def store(db_path: Path, clock: ManualClock) -> Iterator[Store]:
    s = Store.open(db_path, clock=clock)
    yield s
    s.close()


def make_pr(n: int = 1, updated_at: str = "2024-05-01T10:00:00Z", **kw: object) -> PullRequest:
    fields: dict[str, object] = {
        "id": f"gh:octo/app#{n}",
        "account": "gh",
        "service": "github",
        "key": f"octo/app#{n}",
        "title": f"PR {n}",
        "url": f"https://github.com/octo/app/pull/{n}",
        "updated_at": updated_at,
        "repo": "octo/app",
        "number": n,
        "author": "alice",
        "draft": True,
        "review_decision": None,
        "requested_reviewers": ("bob", "carol"),
        "check_status": "pending",
        "mergeable": None,
        "labels": ("bug", "p1"),
        "assignees": (),
        "body": "line one\nline two, unicode: é ✓",
    }
    fields.update(kw)
    return PullRequest(**fields)  # type: ignore[arg-type]


def make_issue(key: str = "PROJ-7", updated_at: str = "2024-05-01T10:00:00.000+0000") -> Issue:
    return Issue(
        id=f"jira1:{key}",
        account="jira1",
        service="jira",
        key=key,
        title=f"Issue {key}",
        url=f"https://example.atlassian.net/browse/{key}",
        updated_at=updated_at,
        status="In Progress",
        assignee=None,
        priority="High",
        labels=("backend",),
        project="PROJ",
    )


def make_message(ts: str = "1512085950.000216") -> Message:
    return Message(
        id=f"slack1:C123:{ts}",
        account="slack1",
        service="slack",
        key=f"C123:{ts}",
        title="deploy is red",
        url=f"https://example.slack.com/archives/C123/p{ts.replace('.', '')}",
        updated_at="2024-05-01T09:00:00+00:00",
        channel="#ops",
        channel_id="C123",
        author="U42",
        text="deploy is red\nsee logs",
        ts=ts,
        thread_ts=None,
        reply_count=3,
        reactions=(Reaction("eyes", 2, me=True), Reaction("+1", 1)),
        mentions_me=True,
    )


def write_old_row(path: Path, section_id: str, item: Item, fetched_at: float) -> None:
    """A section row as an older schema's zen-tui wrote it (the v1 columns, which every
    version has): today's writes read tables an old file does not have yet."""
    db = sqlite3.connect(path)
    with db:
        db.execute(
            "INSERT INTO items (section_id, item_id, sort_key, fetched_at, data)"
            " VALUES (?, ?, ?, ?, ?)",
            (section_id, item.id, sort_key(item.updated_at), fetched_at, encode_item(item)),
        )
        db.execute(
            "INSERT INTO sections (section_id, fetched_at) VALUES (?, ?)", (section_id, fetched_at)
        )
    db.close()
