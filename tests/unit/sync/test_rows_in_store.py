"""The rows the engine holds (and the dashboard shows) leave each item's web URL and each
PR's and issue's description in the store (models.as_row): the store keeps them, whoever
writes a row back, and the preview, whatever acts on an item and `zen-tui list --json` read
them from there.

Real SQLite files; scripted client answers."""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
import pytest

from tests.unit.sync.test_engine import SECTION, FakeClient, Result, engine, issue, poll
from zen_tui.models import Issue, as_row, body_of, is_row
from zen_tui.store import Store
from zen_tui.store.codec import CodecError, encode_item
from zen_tui.sync.backend import SectionUpdated


def described(n: int, body: str, updated: str = "2026-01-01T00:00:00Z") -> Issue:
    return msgspec.structs.replace(issue(n, updated), body=body, url=f"https://x/{body}")


async def test_the_rows_held_leave_url_and_body_and_full_item_reads_them_back(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "zen-tui.db")
    store.save_section(SECTION.id, [described(n, f"body {n}") for n in range(3)], 10.0)
    eng = engine(store, FakeClient())
    rows = eng.load_local()[SECTION.id].items
    assert [(row.url, row.body) for row in rows if isinstance(row, Issue)] == [(None, None)] * 3
    assert [eng.full_item(row) for row in rows] == [described(n, f"body {n}") for n in range(3)]
    await eng.stop()


async def test_a_live_answer_is_published_as_rows_and_stored_whole(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "zen-tui.db")
    eng = engine(store, FakeClient(answers=[Result([described(1, "from the listing")], 10.0)]))
    await poll(eng)
    snapshot = eng.snapshot(SECTION.id)
    assert snapshot is not None and all(is_row(row) for row in snapshot.items)
    assert list(store.iter_section(SECTION.id)) == [described(1, "from the listing")]
    await eng.stop()


async def test_an_edited_body_is_noticed_published_and_read_back(tmp_path: Path) -> None:
    """GitHub and Jira move `updated_at` on every edit: a poll whose only change is the body
    publishes the section again, and the store, the preview's read and `list` have the new
    body."""
    store = Store.open(tmp_path / "zen-tui.db")
    client = FakeClient(answers=[Result([described(1, "old text")], 10.0)])
    eng = engine(store, client)
    updates: list[SectionUpdated] = []
    eng.bus.subscribe(lambda e: updates.append(e) if isinstance(e, SectionUpdated) else None)
    await poll(eng)
    client.answers = [Result([described(1, "new text", "2026-01-02T00:00:00Z")], 20.0)]
    await poll(eng)
    assert len(updates) == 2
    row = updates[-1].snapshot.items[0]
    assert is_row(row) and body_of(eng.full_item(row)) == "new text"
    assert [body_of(i) for i in store.iter_section(SECTION.id)] == ["new text"]
    await eng.stop()


async def test_details_are_asked_for_the_item_with_its_body(tmp_path: Path) -> None:
    """A GitHub issue's preview body is the listing's: the client gets the whole item."""
    store = Store.open(tmp_path / "zen-tui.db")
    store.save_section(SECTION.id, [described(1, "the description")], 10.0)
    client = FakeClient()
    asked: list[str] = []

    async def details(item: Issue) -> object:
        from zen_tui.models import ItemDetail

        asked.append(body_of(item))
        return ItemDetail(item.id, body=body_of(item))

    client.details = details  # type: ignore[attr-defined]
    eng = engine(store, client)
    row = eng.load_local()[SECTION.id].items[0]
    detail = await eng.details(row)
    assert asked == ["the description"] and detail.body == "the description"
    await eng.stop()


def test_a_row_is_never_encoded() -> None:
    with pytest.raises(CodecError, match="the row of j:P-1"):
        encode_item(as_row(described(1, "text")))


@pytest.mark.parametrize("seed", range(20))
def test_writing_rows_back_never_changes_a_stored_url_or_body_randomised(
    tmp_path: Path, seed: int
) -> None:
    """Random interleavings of whole items and rows (a newer version, an older one, the
    same one seen later) written through save_section and upsert_items: each stored URL and
    body is always the one of the last whole copy the store took, never null, never a
    row's."""
    rng = random.Random(seed)
    store = Store.open(tmp_path / f"s{seed}.db")
    expected: dict[str, str] = {}
    versions: dict[str, int] = {}
    for step in range(60):
        at = 10.0 + step  # each write later than the last: the same version then wins
        n = rng.randrange(4)
        version = rng.randint(1, 5)
        updated = f"2026-01-0{version}T00:00:00Z"
        whole = described(n, f"body {step}", updated)
        item = as_row(whole) if rng.random() < 0.5 else whole
        if rng.random() < 0.3:
            store.save_section(SECTION.id, [item], at)
            expected = {k: v for k, v in expected.items() if k == item.id}
            versions = {k: v for k, v in versions.items() if k == item.id}
        else:
            store.upsert_items(SECTION.id, [item], at)
        taken = version >= versions.get(item.id, 0)
        if taken:
            versions[item.id] = version
            if item is whole:
                expected[item.id] = whole.body or ""
            else:
                expected.setdefault(item.id, "")  # a row never stored before: no body known
        stored = {i.id: i for i in store.iter_section(SECTION.id)}
        assert {k: body_of(i) for k, i in stored.items()} == expected, (seed, step)
        for i in stored.values():  # the URL and body of one whole copy ("": none known)
            assert i.url == (f"https://x/{i.body}" if i.body else ""), (seed, step)
    store.close()


async def test_list_json_prints_what_the_rows_left_in_the_store(tmp_path: Path) -> None:
    """`zen-tui list --json` reads the store: after the engine showed the section as rows
    (and wrote one back, a newer copy's row), it prints each item's URL and description."""
    import io
    import json
    import time

    from zen_tui.commands.list_items import stored_shown, write_json

    store = Store.open(tmp_path / "zen-tui.db")
    client = FakeClient(answers=[Result([described(1, "first"), described(2, "second")], 10.0)])
    eng = engine(store, client)
    await poll(eng)
    snapshot = eng.snapshot(SECTION.id)
    assert snapshot is not None and all(map(is_row, snapshot.items))
    newer = msgspec.structs.replace(snapshot.items[0], updated_at="2026-01-05T00:00:00Z")
    store.upsert_items(SECTION.id, [newer], 20.0)  # a row written back (as _propagate does)
    out = io.StringIO()
    write_json(out, "issues", [stored_shown(msgspec.to_builtins(SECTION), store)], time.time())
    items = json.loads(out.getvalue())["sections"][0]["items"]
    assert {(i["key"], i["body"], i["url"]) for i in items} == {
        ("P-1", "first", "https://x/first"),
        ("P-2", "second", "https://x/second"),
    }
    await eng.stop()
