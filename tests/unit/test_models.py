"""The shared records as msgspec Structs behave as the frozen dataclasses they replaced:
equality, hashing, pickling, pattern matching, repr, immutability; and the items are never
tracked by the cycle collector."""

from __future__ import annotations

import gc
import pickle

import msgspec
import pytest

from zen_tui.models import (
    Action,
    Freshness,
    FreshnessState,
    Issue,
    Item,
    Message,
    PullRequest,
    Reaction,
    Snapshot,
)

PR = PullRequest("gh:o/r#1", "gh", "github", "o/r#1", "T", "u", "2024-01-01T00:00:00Z", number=1)
ISSUE = Issue("j:P-1", "j", "jira", "P-1", "T", "u", "2024", status="Done", labels=("a",))
MSG = Message("s:C:1", "s", "slack", "C:1", "hi", "u", "1", reactions=(Reaction("eyes", 2),))


@pytest.mark.parametrize("item", [PR, ISSUE, MSG])
def test_items_compare_hash_and_pickle_by_value(item: Item) -> None:
    twin = msgspec.structs.replace(item)
    assert twin == item and twin is not item and hash(twin) == hash(item)
    assert msgspec.structs.replace(item, title="other") != item
    back = pickle.loads(pickle.dumps(item))
    assert back == item and type(back) is type(item)


def test_items_of_different_kinds_with_the_same_fields_differ() -> None:
    base = ("x:1", "x", "github", "1", "T", "u", "2024")
    assert Issue(*base) != PullRequest(*base)  # type: ignore[arg-type]


def test_records_are_frozen() -> None:
    with pytest.raises(AttributeError):
        PR.title = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        Freshness(FreshnessState.LIVE).reason = "x"  # type: ignore[misc]


def test_repr_names_every_field_in_order_as_the_dataclass_did() -> None:
    assert repr(Reaction("eyes", 2)) == "Reaction(name='eyes', count=2, me=False)"
    assert (
        repr(Action("close", "i", "a"))
        == "Action(kind='close', item_id='i', account='a', params={})"
    )
    assert repr(PR).startswith("PullRequest(id='gh:o/r#1', account='gh', service='github', ")


def test_pattern_matching_by_position_and_keyword() -> None:
    match Snapshot((PR,), Freshness(FreshnessState.LIVE, 5.0)):
        case Snapshot((PullRequest(number=1),), Freshness(FreshnessState.LIVE, when)):
            assert when == 5.0
        case _:
            pytest.fail("no match")


def test_default_factories_give_each_record_its_own_dict() -> None:
    first, second = Action("close", "i", "a"), Action("close", "i", "a")
    assert first.params == {} and first.params is not second.params


def test_items_are_not_tracked_by_the_cycle_collector() -> None:
    """10,000 items on the dashboard: the collector never walks them (gc=False)."""
    for item in (PR, ISSUE, MSG, MSG.reactions[0]):
        assert not gc.is_tracked(item)
    assert gc.is_tracked(Snapshot((PR,), Freshness(FreshnessState.LIVE)))
