"""The cached, narrowing filter answers exactly what a plain filter over every row answers.

Random item sets, random typing (characters, spaces, deletions, pastes, clearing) and, for the
list on screen, snapshots replacing the items between keystrokes: each step is checked against
the plain definition (every word of the casefolded text inside the item's haystack).
"""

from __future__ import annotations

import random

from textual.app import App, ComposeResult

from zen_tui.models import Issue, Item, Message, PullRequest
from zen_tui.ui.widgets.item_list import ItemList
from zen_tui.ui.widgets.row_filter import RowFilter, filter_rows, haystack

# Few, overlapping tokens so that queries keep matching some rows and not others; "Straße"
# and "STRASSE" casefold alike, "#" and "/" come from keys.
TOKENS = ("zen", "Zeno", "tui", "ze/tu", "bug", "Bugs", "Straße", "STRASSE", "ux", "ab", "a#1")
TYPED = "zenZtuibugsSTRAßEux/#1 "


def plain(items: tuple[Item, ...], text: str) -> list[Item]:
    """The definition: items whose haystack holds every word of the casefolded text."""
    words = text.casefold().split()
    return [i for i in items if all(w in haystack(i) for w in words)]


def random_items(rng: random.Random, count: int, tag: str) -> tuple[Item, ...]:
    def some(k: int) -> str:
        return " ".join(rng.choice(TOKENS) for _ in range(rng.randint(0, k)))

    items: list[Item] = []
    for n in range(count):
        common = {
            "id": f"{tag}{n}",
            "account": "a",
            "key": f"{rng.choice(TOKENS)}#{n}",
            "title": some(3),
            "url": "",
            "updated_at": "2026-01-01T00:00:00Z",
            "unread": rng.choice((None, True, False)),
        }
        kind = rng.randrange(3)
        labels = tuple(rng.choice(TOKENS) for _ in range(rng.randint(0, 2)))
        if kind == 0:
            items.append(
                PullRequest(service="github", author=some(1), state="open", labels=labels, **common)
            )
        elif kind == 1:
            items.append(Issue(service="jira", status=some(1), assignee=None, **common))
        else:
            items.append(Message(service="slack", author=some(1), channel=some(1), **common))
    return tuple(items)


def next_text(rng: random.Random, text: str) -> str:
    """One edit as a person makes it: mostly typing and deleting at the end."""
    roll = rng.random()
    if roll < 0.55:
        return text + rng.choice(TYPED)
    if roll < 0.85:
        return text[:-1]
    if roll < 0.92:
        return text + rng.choice(TOKENS)  # a paste
    if roll < 0.96:
        return ""
    return rng.choice(TOKENS).upper() + " " + text  # an edit at the start


def test_row_filter_matches_the_plain_filter_over_random_typing() -> None:
    rng = random.Random(1207)
    for _ in range(300):
        items = random_items(rng, rng.randint(0, 60), "i")
        matcher = RowFilter(items)
        text = ""
        for _ in range(40):
            text = next_text(rng, text)
            found = matcher.match(text)
            assert [items[n] for n in found] == plain(items, text), text
            assert list(found) == filter_rows([haystack(i) for i in items], text)


def test_the_haystacks_are_built_only_for_a_query_with_words() -> None:
    items = random_items(random.Random(3), 20, "i")
    matcher = RowFilter(items)
    assert matcher.match("   ") == range(20) and not matcher.built  # not one int per row
    assert matcher.match("zen") and matcher.built


class OneList(App[None]):
    def compose(self) -> ComposeResult:
        yield ItemList(id="rows")


async def test_the_list_shows_what_the_plain_filter_gives_as_snapshots_replace_the_items() -> None:
    """The list on screen: typing, deleting, and new snapshots (other items, or the same ids
    changed) between keystrokes; the rows are always the plain filter's, and the cursor stays
    on its item while that item still shows."""
    rng = random.Random(5309)
    async with OneList().run_test(size=(80, 12)) as pilot:
        rows = pilot.app.query_one(ItemList)
        for round_ in range(40):
            items = random_items(rng, rng.randint(0, 80), f"r{round_}-")
            rows.set_items(items)
            text = ""
            rows.set_filter(text)
            for step in range(30):
                if rng.random() < 0.15:  # a snapshot arrives between two keystrokes
                    items = random_items(rng, rng.randint(0, 80), rng.choice(("r-", "s-")))
                    rows.set_items(items)
                    assert rows.rows == plain(items, text)
                text = next_text(rng, text)
                before = rows.cursor_item
                rows.set_filter(text)
                shown = plain(items, text)
                assert rows.rows == shown and rows.filter_text == text, (round_, step, text)
                assert all(a is b for a, b in zip(rows.rows, shown, strict=True))
                if before is not None and any(i is before for i in shown):
                    assert rows.cursor_item is before
                else:
                    assert rows.cursor == 0
                if rng.random() < 0.3 and rows.rows:
                    rows.action_cursor(rng.randint(-3, 5))
            await pilot.pause()
