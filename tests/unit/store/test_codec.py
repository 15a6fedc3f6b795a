from __future__ import annotations

import dataclasses
import json

import pytest

from zen_tui.models import Action, Item, Reaction
from zen_tui.store.codec import (
    CodecError,
    decode_action,
    decode_item,
    encode_action,
    encode_item,
    sort_key,
)

from .conftest import make_issue, make_message, make_pr


@pytest.mark.parametrize("item", [make_pr(), make_issue(), make_message()])
def test_items_round_trip_exactly(item: object) -> None:
    back = decode_item(encode_item(item))  # type: ignore[arg-type]
    assert back == item
    assert type(back) is type(item)


def test_tuples_stay_tuples_and_reactions_stay_objects() -> None:
    msg = decode_item(encode_item(make_message()))
    assert isinstance(msg.reactions, tuple)
    assert msg.reactions[0] == Reaction("eyes", 2, me=True)
    pr = decode_item(encode_item(make_pr()))
    assert pr.requested_reviewers == ("bob", "carol")
    assert isinstance(pr.labels, tuple)


def test_none_and_bool_values_survive() -> None:
    pr = decode_item(encode_item(make_pr(mergeable=None, draft=False, review_decision=None)))
    assert pr.mergeable is None and pr.draft is False and pr.review_decision is None
    pr = decode_item(encode_item(make_pr(mergeable=False)))
    assert pr.mergeable is False


def test_encoding_is_versioned_and_tagged() -> None:
    doc = json.loads(encode_item(make_issue()))
    assert doc["v"] == 1 and doc["type"] == "issue"


def test_unknown_future_fields_are_ignored() -> None:
    doc = json.loads(encode_item(make_pr()))
    doc["v"] = 2
    doc["data"]["merge_queue_position"] = 3
    doc["data"]["reactions"] = [{"name": "x", "count": 1}]
    assert decode_item(json.dumps(doc)) == make_pr()


def test_unknown_fields_inside_nested_objects_are_ignored() -> None:
    doc = json.loads(encode_item(make_message()))
    doc["data"]["reactions"][0]["users"] = ["U1"]
    assert decode_item(json.dumps(doc)).reactions[0] == Reaction("eyes", 2, me=True)


def test_missing_optional_fields_take_defaults() -> None:
    doc = json.loads(encode_item(make_pr()))
    del doc["data"]["labels"]
    assert decode_item(json.dumps(doc)).labels == ()


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"v": 1, "type": "gist", "data": {}}',
        '{"v": 1, "type": "pr", "data": []}',
        '{"v": 1, "type": "pr", "data": {"id": "x"}}',
    ],
)
def test_unreadable_items_raise_codec_error(text: str) -> None:
    with pytest.raises(CodecError):
        decode_item(text)


def test_encoding_a_non_item_is_refused() -> None:
    with pytest.raises(CodecError, match="not a PullRequest"):
        encode_item(Reaction("x", 1))  # type: ignore[arg-type]


def test_actions_round_trip() -> None:
    action = Action("transition", "jira1:PROJ-7", "jira1", {"to": "Done"})
    assert decode_action(encode_action(action)) == action


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2024-01-01T10:00:00Z", 1704103200.0),
        ("2024-01-01T10:00:00.000+0000", 1704103200.0),
        ("2024-01-01T12:00:00+02:00", 1704103200.0),
        ("2024-01-01T10:00:00", 1704103200.0),  # naive = UTC, whatever the machine's zone
        ("1704103200.5", 1704103200.5),
        ("garbage", 0.0),
    ],
)
def test_sort_key_reads_the_timestamp_forms_apis_give(stamp: str, expected: float) -> None:
    assert sort_key(stamp) == expected


def test_odd_text_round_trips() -> None:
    # A lone surrogate can come from a broken JSON escape in an API response.
    odd = dataclasses.replace(make_message(), text="a\ud83db\x00c")
    assert decode_item(encode_item(odd)) == odd


def test_values_that_repeat_across_items_are_held_once() -> None:
    """Two decoded items by the same author in the same repo share those strings (one copy
    per distinct value, not per item: the 10,000-row dashboard's memory), and still equal
    what was stored; per-item values (id, title) stay their own."""
    first, second = (decode_item(encode_item(make_pr(n))) for n in (1, 2))
    for name in ("account", "service", "repo", "author", "check_status"):
        assert getattr(first, name) is getattr(second, name), name
    assert first.labels[0] is second.labels[0] and first.requested_reviewers[1] == "carol"
    issues = [decode_item(encode_item(make_issue(k))) for k in ("PROJ-1", "PROJ-2")]
    assert issues[0].status is issues[1].status
    messages = [decode_item(encode_item(make_message())) for _ in range(2)]
    assert messages[0].channel is messages[1].channel
    assert messages[0].reactions[0].name is messages[1].reactions[0].name
    assert first == make_pr(1) and second == make_pr(2) and first.title != second.title


def test_generated_decoders_match_the_generic_one_on_random_rows() -> None:
    """decode_item's per-class generated decoder (set slots directly, fall back when a required
    field is absent) gives what the generic _build gives: same item, or the same error."""
    import random

    from zen_tui.store.codec import _TYPES, _build

    rng = random.Random(12)
    kinds: list[Item] = [make_pr(), make_issue(), make_message()]
    for _ in range(300):
        doc = json.loads(encode_item(rng.choice(kinds)))
        data = doc["data"]
        for name in rng.sample(sorted(data), rng.randint(0, 4)):  # absent fields, any kind
            del data[name]
        data[f"future_{rng.randint(0, 9)}"] = "ignored"
        try:
            want: object = _build(_TYPES[doc["type"]], data)
        except CodecError as exc:
            want = str(exc)
        try:
            got: object = decode_item(json.dumps(doc))
        except CodecError as exc:
            got = str(exc)
        assert got == want
        assert type(got) is type(want)


@pytest.mark.parametrize(
    "text",
    ['{"a": [1, "x"]}', ' {"a": 1}\n', '{"a": 1} x', '{"a": 1}{}', "", "  ", "{", "nul", "null"],
)
def test_the_fast_json_read_gives_what_json_loads_gives(text: str) -> None:
    from zen_tui.store.codec import _loads

    def outcome(read: object) -> object:
        try:
            return read(text)  # type: ignore[operator]
        except ValueError as exc:
            return repr(exc)

    assert outcome(_loads) == outcome(json.loads)
    padded = encode_item(make_pr())
    assert decode_item(f" {padded}\n") == make_pr()  # whitespace around a row still reads
    with pytest.raises(CodecError):
        decode_item(padded + " extra")
