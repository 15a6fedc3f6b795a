"""A moved repository's rows and links follow it (store/moves.py), and the webhook that says
so is read right (sync/webhook_processor.moved_repository)."""

from __future__ import annotations

import pytest

from zen_tui.models import PullRequest
from zen_tui.store import Store
from zen_tui.sync.webhook_processor import moved_repository

from .conftest import make_pr


def test_rows_and_links_of_the_repository_take_its_new_name(store: Store) -> None:
    old = make_pr(1)
    other = make_pr(2, id="gh:octo/app-old#2", key="octo/app-old#2", repo="octo/app-old")
    store.save_section("prs", [old, other], 10.0)
    store.link_add("slack:C1:1.0", old.id, url=old.url)
    store.link_add(old.id, "jira:API-1")

    assert store.repo_moved("gh", "Octo/App", "octo/app-v2") == 1  # names are case-blind

    [untouched, moved] = sorted(store.load_section("prs")[0], key=lambda i: i.key)
    assert untouched == other  # another repository whose name starts the same
    assert isinstance(moved, PullRequest)
    assert (moved.id, moved.key, moved.repo) == ("gh:octo/app-v2#1", "octo/app-v2#1", "octo/app-v2")
    assert moved.url == "https://github.com/octo/app-v2/pull/1"
    assert moved.title == old.title
    links = store.links_of([moved.id])[moved.id]
    assert {link.other_id for link in links} == {"slack:C1:1.0", "jira:API-1"}
    [back] = store.links_of(["slack:C1:1.0"])["slack:C1:1.0"]
    assert back.url == "https://github.com/octo/app-v2/pull/1"
    assert old.id not in store.links_of()


def test_a_row_a_poll_already_stored_under_the_new_name_wins(store: Store) -> None:
    polled = make_pr(1, id="gh:octo/app-v2#1", key="octo/app-v2#1", title="from the poll")
    store.save_section("prs", [make_pr(1), polled], 10.0)
    store.link_add("slack:C1:1.0", "gh:octo/app#1")
    store.link_add("slack:C1:1.0", "gh:octo/app-v2#1")
    store.repo_moved("gh", "octo/app", "octo/app-v2")
    [kept] = store.load_section("prs")[0]
    assert (kept.id, kept.title) == ("gh:octo/app-v2#1", "from the poll")
    assert [link.other_id for link in store.links_of(["slack:C1:1.0"])["slack:C1:1.0"]] == [
        "gh:octo/app-v2#1"
    ]


def test_moved_items_renames_what_a_section_shows_as_the_store_renames_its_rows() -> None:
    """The engine renames the rows a section shows in memory with this (sync/engine.py)."""
    from zen_tui.store.moves import moved_items

    other = make_pr(2, id="gh:octo/app-old#2", key="octo/app-old#2", repo="octo/app-old")
    polled = make_pr(3, id="gh:octo/app-v2#3", key="octo/app-v2#3", title="from the poll")
    shown = [make_pr(1), other, make_pr(3), polled]
    assert moved_items([other], "gh", "octo/app", "octo/app-v2") is None  # nothing to rename
    moved = moved_items(shown, "gh", "Octo/App", "octo/app-v2")
    assert moved is not None
    assert [i.id for i in moved] == ["gh:octo/app-v2#1", other.id, "gh:octo/app-v2#3"]
    assert moved[2] is polled  # a copy already under the new name wins, as in the store


@pytest.mark.parametrize(
    ("action", "changes", "expected"),
    [
        ("renamed", {"repository": {"name": {"from": "app"}}}, ("octo/app", "octo/app-v2")),
        (
            "transferred",
            {"owner": {"from": {"user": {"login": "ada"}}}},
            ("ada/app-v2", "octo/app-v2"),
        ),
        (
            "transferred",
            {"owner": {"from": {"organization": {"login": "acme"}}}},
            ("acme/app-v2", "octo/app-v2"),
        ),
        ("renamed", {"repository": {}}, None),
        ("edited", {"description": {"from": "x"}}, None),
        ("renamed", "garbage", None),
    ],
)
def test_the_repository_webhook_names_the_old_and_the_new_repository(
    action: str, changes: object, expected: tuple[str, str] | None
) -> None:
    payload = {"action": action, "changes": changes, "repository": {"full_name": "octo/app-v2"}}
    assert moved_repository("github", "repository", payload) == expected
    assert moved_repository("github", "issues", payload) is None
    assert moved_repository("jira", "repository", payload) is None


def test_moves_are_remembered_per_account_for_copies_from_before_them(store: Store) -> None:
    assert store.repo_moves("gh") == []
    store.repo_moved("gh", "octo/app", "octo/app-v2")
    store.repo_moved("gh", "octo/app-v2", "umbrella/app-v2")
    store.repo_moved("other", "x/y", "x/z")
    moves = store.repo_moves("gh")
    assert [(o, n) for o, n, _ in moves] == [
        ("octo/app", "octo/app-v2"),
        ("octo/app-v2", "umbrella/app-v2"),
    ]
    assert moves[0][2] <= moves[1][2]
    store.set_setting("repo-moves:gh", "not json")  # a damaged record is no moves, not a crash
    assert store.repo_moves("gh") == []
