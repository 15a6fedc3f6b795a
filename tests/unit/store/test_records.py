from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.helpers import ManualClock
from zen_tui.store import HttpCacheRow, Store, StoreError

GITHUB_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "ETag": 'W/"4f0c1b"',
    "Last-Modified": "Wed, 01 May 2024 10:00:00 GMT",
    "Link": '<https://api.github.com/repos/o/r/pulls?page=2>; rel="next"',
    "X-RateLimit-Remaining": "4999",
    "X-RateLimit-Reset": "1714560000",
    "Cache-Control": "private, max-age=60, s-maxage=60",
    "Vary": "Accept, Authorization, Cookie",
}


def test_http_rows_round_trip_exactly(store: Store) -> None:
    row = HttpCacheRow(
        key="gh GET https://api.github.com/repos/o/r/pulls?state=open",
        status=200,
        headers=GITHUB_HEADERS,
        body=b'[{"number": 1}]\x00\xff',
        etag='W/"4f0c1b"',
        last_modified="Wed, 01 May 2024 10:00:00 GMT",
        fetched_at=1714550000.25,
    )
    store.http_put(row)
    back = store.http_get(row.key)
    assert back == row
    assert list(back.headers) == list(GITHUB_HEADERS)  # order kept too


def test_http_put_replaces_and_missing_key_is_none(store: Store) -> None:
    store.http_put(HttpCacheRow("k", 200, {}, b"a", None, None, 1.0))
    store.http_put(HttpCacheRow("k", 200, {}, b"b", '"e"', None, 2.0))
    assert store.http_get("k") == HttpCacheRow("k", 200, {}, b"b", '"e"', None, 2.0)
    assert store.http_get("other") is None


def test_http_cache_has_no_place_for_request_headers(store: Store, db_path: Path) -> None:
    raw = sqlite3.connect(db_path)
    columns = {r[1] for r in raw.execute("PRAGMA table_info(http_cache)")}
    raw.close()
    assert columns == {"key", "status", "headers", "body", "etag", "last_modified", "fetched_at"}


def test_credential_headers_are_never_written_to_disk(store: Store, db_path: Path) -> None:
    secret = "ghp_SECRETTOKEN123"
    headers = {"ETag": '"x"', "Authorization": f"Bearer {secret}", "Set-Cookie": f"s={secret}"}
    store.http_put(HttpCacheRow("k", 200, headers, b"{}", '"x"', None, 1.0))
    assert store.http_get("k").headers == {"ETag": '"x"'}  # type: ignore[union-attr]
    store.close()
    for file in db_path.parent.iterdir():
        assert secret.encode() not in file.read_bytes(), file


def test_cursors(store: Store) -> None:
    assert store.get_cursor("gh", "since") is None
    store.set_cursor("gh", "since", "2024-05-01T00:00:00Z")
    store.set_cursor("jira1", "since", "2024-04-01 10:00")
    store.set_cursor("gh", "since", "2024-05-02T00:00:00Z")
    assert store.get_cursor("gh", "since") == "2024-05-02T00:00:00Z"
    assert store.get_cursor("jira1", "since") == "2024-04-01 10:00"
    assert store.get_cursor("gh", "other") is None


def test_settings(store: Store) -> None:
    assert store.get_setting("theme") is None
    store.set_setting("theme", "nord")
    store.set_setting("theme", "gruvbox")
    assert store.get_setting("theme") == "gruvbox"


def test_health_round_trip_and_replace(store: Store) -> None:
    assert store.load_health() == {}
    data = {"breaker": "closed", "tokens": 4.5, "retries": 2, "warnings": ["Sunset: x"]}
    store.save_health("gh", {"breaker": "open"}, 1.0)
    store.save_health("gh", data, 2.0)
    store.save_health("jira1", {}, 3.0)
    assert store.load_health() == {"gh": (data, 2.0), "jira1": ({}, 3.0)}


def test_webhooks_dedupe_by_delivery_id(store: Store) -> None:
    assert store.webhook_enqueue("github", "d-1", "pull_request", b'{"a":1}', 10.0) is True
    assert store.webhook_enqueue("github", "d-1", "pull_request", b'{"a":1}', 11.0) is False
    # Delivery ids are per service: the same id from Jira is a different delivery.
    assert store.webhook_enqueue("jira", "d-1", "jira:issue_updated", b"{}", 12.0) is True
    pending = store.webhook_pending()
    assert [(r.service, r.delivery_id, r.body, r.received_at) for r in pending] == [
        ("github", "d-1", b'{"a":1}', 10.0),
        ("jira", "d-1", b"{}", 12.0),
    ]


def test_webhooks_done_leave_the_queue_but_still_dedupe(store: Store) -> None:
    store.webhook_enqueue("slack", "e1", "message", b"1", 1.0)
    store.webhook_enqueue("slack", "e2", "message", b"2", 2.0)
    first = store.webhook_pending()[0]
    store.webhook_done(first.id)
    assert [r.delivery_id for r in store.webhook_pending()] == ["e2"]
    assert store.webhook_enqueue("slack", "e1", "message", b"1", 3.0) is False


def test_webhook_pending_respects_limit_in_arrival_order(store: Store) -> None:
    for n in range(5):
        store.webhook_enqueue("github", f"d{n}", "push", b"", float(n))
    assert [r.delivery_id for r in store.webhook_pending(limit=3)] == ["d0", "d1", "d2"]


def test_a_closed_store_says_so(store: Store) -> None:
    store.close()
    store.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="closed"):
        store.get_setting("theme")


def test_http_prune_drops_only_old_responses(store: Store) -> None:
    store.http_put(HttpCacheRow("old", 200, {}, b"", None, None, 10.0))
    store.http_put(HttpCacheRow("new", 200, {}, b"", None, None, 20.0))
    assert store.http_prune(fetched_before=15.0) == 1
    assert store.http_get("old") is None and store.http_get("new") is not None


def test_webhook_prune_forgets_only_old_processed_deliveries(
    store: Store, clock: ManualClock
) -> None:
    store.webhook_enqueue("github", "done-old", "push", b"", 1.0)
    store.webhook_enqueue("github", "pending", "push", b"", 2.0)
    clock.now = 100.0
    store.webhook_done(store.webhook_pending()[0].id)
    assert store.webhook_prune(done_before=50.0) == 0
    assert store.webhook_prune(done_before=101.0) == 1
    assert [r.delivery_id for r in store.webhook_pending()] == ["pending"]
    assert store.webhook_enqueue("github", "done-old", "push", b"", 3.0) is True  # forgotten
