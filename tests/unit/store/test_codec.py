from __future__ import annotations

import json
import random

import msgspec
import pytest

from zen_tui.models import Action, Issue, Item, Message, PullRequest, Reaction
from zen_tui.store.codec import (
    CodecError,
    account_of,
    decode_action,
    decode_item,
    decode_items,
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


def test_a_row_nested_too_deeply_is_a_codec_error_not_a_recursion_error() -> None:
    """A row another program wrote (the store is a file): skipping an unknown field that is
    nested past the stack raised RecursionError, no ValueError, through every read."""
    deep = "[" * 100_000 + "]" * 100_000
    for decode, kind in ((decode_item, "pr"), (decode_action, "action")):
        with pytest.raises(CodecError, match="nested too deeply"):
            decode(f'{{"v": 1, "type": "{kind}", "data": {{"later": {deep}}}}}')


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
    odd = msgspec.structs.replace(make_message(), text="a\ud83db\x00c")
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


# What the dataclass codec (before msgspec) wrote for these items, captured from it: the new
# encoder writes the same bytes, and the decoder reads them back into equal items.
ODD_MESSAGE = msgspec.structs.replace(
    make_message(),
    text='a\ud83db\x00c\x7f\t"q" \\ é 🎉 \u2028',
    reactions=(Reaction("+1", 3), Reaction("tada", 1, me=True)),
    thread_ts="1512085950.000100",
    reply_count=2,
)
NOTIFICATION = make_pr(
    2,
    thread_id="9001",
    unread=True,
    mergeable=False,
    review_decision="approved",
    state="merged",
    branch="ada/fix",
)
STORED_BY_THE_OLD_CODEC = [
    (
        '{"v":1,"type":"pr","data":{"id":"gh:octo/app#1","account":"gh",'
        '"service":"github","key":"octo/app#1","title":"PR 1",'
        '"url":"https://github.com/octo/app/pull/1","updated_at":"2024-05-01T10:00:00Z",'
        '"thread_id":null,"unread":null,"repo":"octo/app","number":1,"author":"alice",'
        '"state":"open","draft":true,"review_decision":null,"requested_reviewers":["bob",'
        '"carol"],"check_status":"pending","mergeable":null,"labels":["bug","p1"],'
        '"assignees":[],"body":"line one\\nline two, unicode: \\u00e9 \\u2713",'
        '"branch":""}}',
        make_pr(),
    ),
    (
        '{"v":1,"type":"issue","data":{"id":"jira1:PROJ-7","account":"jira1",'
        '"service":"jira","key":"PROJ-7","title":"Issue PROJ-7",'
        '"url":"https://example.atlassian.net/browse/PROJ-7",'
        '"updated_at":"2024-05-01T10:00:00.000+0000","thread_id":null,"unread":null,'
        '"status":"In Progress","assignee":null,"priority":"High","labels":["backend"],'
        '"repo":null,"number":null,"project":"PROJ","body":""}}',
        make_issue(),
    ),
    (
        '{"v":1,"type":"message","data":{"id":"slack1:C123:1512085950.000216",'
        '"account":"slack1","service":"slack","key":"C123:1512085950.000216",'
        '"title":"deploy is red",'
        '"url":"https://example.slack.com/archives/C123/p1512085950000216",'
        '"updated_at":"2024-05-01T09:00:00+00:00","thread_id":null,"unread":null,'
        '"channel":"#ops","channel_id":"C123","author":"U42",'
        '"text":"deploy is red\\nsee logs","ts":"1512085950.000216","thread_ts":null,'
        '"reply_count":3,"reactions":[{"name":"eyes","count":2,"me":true},{"name":"+1",'
        '"count":1,"me":false}],"mentions_me":true}}',
        make_message(),
    ),
    (
        '{"v":1,"type":"message","data":{"id":"slack1:C123:1512085950.000216",'
        '"account":"slack1","service":"slack","key":"C123:1512085950.000216",'
        '"title":"deploy is red",'
        '"url":"https://example.slack.com/archives/C123/p1512085950000216",'
        '"updated_at":"2024-05-01T09:00:00+00:00","thread_id":null,"unread":null,'
        '"channel":"#ops","channel_id":"C123","author":"U42",'
        '"text":"a\\ud83db\\u0000c\\u007f\\t\\"q\\" \\\\ \\u00e9 \\ud83c\\udf89 \\u2028",'
        '"ts":"1512085950.000216","thread_ts":"1512085950.000100","reply_count":2,'
        '"reactions":[{"name":"+1","count":3,"me":false},{"name":"tada","count":1,'
        '"me":true}],"mentions_me":true}}',
        ODD_MESSAGE,
    ),
    (
        '{"v":1,"type":"pr","data":{"id":"gh:octo/app#2","account":"gh",'
        '"service":"github","key":"octo/app#2","title":"PR 2",'
        '"url":"https://github.com/octo/app/pull/2","updated_at":"2024-05-01T10:00:00Z",'
        '"thread_id":"9001","unread":true,"repo":"octo/app","number":2,"author":"alice",'
        '"state":"merged","draft":true,"review_decision":"approved",'
        '"requested_reviewers":["bob","carol"],"check_status":"pending",'
        '"mergeable":false,"labels":["bug","p1"],"assignees":[],'
        '"body":"line one\\nline two, unicode: \\u00e9 \\u2713","branch":"ada/fix"}}',
        NOTIFICATION,
    ),
]
ACTIONS_STORED_BY_THE_OLD_CODEC = [
    (
        '{"v": 1, "data": {"kind": "transition", "item_id": "jira1:PROJ-7", '
        '"account": "jira1", "params": {"to": "Done \\u2713"}}}',
        Action(kind="transition", item_id="jira1:PROJ-7", account="jira1", params={"to": "Done ✓"}),
    ),
    (
        '{"v": 1, "data": {"kind": "approve", "item_id": "gh:octo/app#1", "account": "gh", '
        '"params": {}}}',
        Action(kind="approve", item_id="gh:octo/app#1", account="gh", params={}),
    ),
]


# Fields a model gained after those texts were written: a re-encoded item ends with their
# defaults, everything before them byte for byte as the old codec wrote it.
ADDED_SINCE: dict[type, str] = {Message: ',"latest_reply":null,"broadcast":false'}


@pytest.mark.parametrize(("text", "item"), STORED_BY_THE_OLD_CODEC)
def test_items_the_old_codec_stored_read_back_and_encode_to_the_same_bytes(
    text: str, item: Item
) -> None:
    back = decode_item(text)
    assert back == item and type(back) is type(item)
    assert isinstance(back.labels if not isinstance(back, Message) else back.reactions, tuple)
    added = ADDED_SINCE.get(type(item), "")
    assert encode_item(item) == text.removesuffix("}}") + added + "}}"


@pytest.mark.parametrize(("text", "action"), ACTIONS_STORED_BY_THE_OLD_CODEC)
def test_actions_the_old_codec_stored_read_back_and_encode_to_the_same_bytes(
    text: str, action: Action
) -> None:
    assert decode_action(text) == action
    assert encode_action(action) == text


def _old_encoding(item: Item) -> str:
    """The old encoder, in short: the fields in order (a Reaction as an object), dumped by
    json.dumps with compact separators."""
    data = {f.name: getattr(item, f.name) for f in msgspec.structs.fields(item)}
    if isinstance(item, Message):
        data["reactions"] = [{"name": r.name, "count": r.count, "me": r.me} for r in item.reactions]
    tag = {PullRequest: "pr", Issue: "issue", Message: "message"}[type(item)]
    return json.dumps({"v": 1, "type": tag, "data": data}, separators=(",", ":"))


def _random_text(rng: random.Random) -> str:
    """ASCII (with every control character and DEL), Latin-1, BMP, astral and lone surrogates:
    everything a server's JSON can put in a string."""
    ranges = [(0, 0x7F), (0x20, 0x7E), (0x80, 0xFF), (0x100, 0xFFFF), (0x1F300, 0x1F6FF)]
    out = []
    for _ in range(rng.randint(0, 12)):
        low, high = rng.choice(ranges)
        out.append(chr(rng.randint(low, high)))
    return "".join(out)


def _random_item(rng: random.Random) -> Item:
    base = rng.choice([make_pr(rng.randint(1, 99)), make_issue(), make_message(), NOTIFICATION])
    text = _random_text(rng)
    if isinstance(base, Message):
        reactions = tuple(Reaction(_random_text(rng), rng.randint(0, 9)) for _ in range(2))
        return msgspec.structs.replace(base, text=text, reactions=reactions, channel=text)
    labels = tuple(_random_text(rng) for _ in range(rng.randint(0, 3)))
    return msgspec.structs.replace(base, title=text, body=text[::-1], labels=labels)


def test_random_items_encode_as_the_old_codec_did_and_read_back_equal() -> None:
    rng = random.Random(12)
    for _ in range(500):
        item = _random_item(rng)
        text = encode_item(item)
        assert text == _old_encoding(item)
        assert decode_item(text) == item


def test_random_rows_with_fields_missing_or_added_read_as_the_old_codec_read_them() -> None:
    """A missing field with a default takes it; a missing required one is a CodecError;
    a key this version does not know is ignored, at the top and inside a Reaction."""
    rng = random.Random(7)
    for _ in range(300):
        item = _random_item(rng)
        doc = json.loads(encode_item(item))
        data = doc["data"]
        gone = rng.sample(sorted(data), rng.randint(0, 4))
        for name in gone:
            del data[name]
        data[f"future_{rng.randint(0, 9)}"] = ["ignored"]
        for reaction in data.get("reactions", []):
            reaction["users"] = ["U1"]
        fields = {f.name: f for f in msgspec.structs.fields(item)}
        if any(fields[name].required for name in gone):
            with pytest.raises(CodecError, match="missing required field"):
                decode_item(json.dumps(doc))
            continue
        defaults = {name: fields[name].default for name in gone}
        defaults |= {
            name: fields[name].default_factory()
            for name in gone
            if fields[name].default_factory is not msgspec.NODEFAULT
        }
        assert decode_item(json.dumps(doc)) == msgspec.structs.replace(item, **defaults)


@pytest.mark.parametrize(
    "text",
    [
        '{"v":1,"type":"pr","data":{"id":"x","account":"gh","service":"github","key":"k",'
        '"title":"t","url":"u","updated_at":"2024","number":"12"}}',  # a number as text
        '{"v":1,"type":"message","data":{"id":"x","account":"s","service":"slack","key":"k",'
        '"title":"t","url":"u","updated_at":"1","reactions":[{"name":"x"}]}}',  # no count
        '{"v":1,"type":"pr","data":{"id":"x","account":"gh","service":"gitlab","key":"k",'
        '"title":"t","url":"u","updated_at":"2024"}}',  # a service this version lacks
        '{"v":1,"data":{}}',  # no type
        "",
        "  ",
        "{",
        "null",
        '{"v":1,"type":"pr","data":{}} extra',
    ],
)
def test_rows_of_the_wrong_shape_raise_codec_error(text: str) -> None:
    with pytest.raises(CodecError, match="unreadable stored item"):
        decode_item(text)


def test_whitespace_around_a_row_still_reads() -> None:
    assert decode_item(f" {encode_item(make_pr())}\n") == make_pr()


def test_decode_items_skips_what_it_cannot_read_and_keeps_the_order() -> None:
    texts = [encode_item(make_pr(1)), "not json", encode_item(make_issue()), "{}"]
    texts.append(encode_item(make_message()))
    skipped: list[CodecError] = []
    assert decode_items(texts, skipped.append) == [make_pr(1), make_issue(), make_message()]
    assert len(skipped) == 2 and all("unreadable stored item" in str(e) for e in skipped)


def test_decode_items_holds_each_repeated_value_once_within_and_across_calls() -> None:
    first = decode_items([encode_item(make_pr(n)) for n in (1, 2)], print)
    later = decode_items([encode_item(make_pr(3)), encode_item(make_message())], print)
    messages = decode_items([encode_item(make_message())] * 2, print)
    prs = [*first, later[0]]
    for name in ("account", "repo", "author", "check_status", "state"):
        assert len({id(getattr(pr, name)) for pr in prs}) == 1, name
    assert len({id(pr.labels[0]) for pr in prs}) == 1
    assert messages[0].reactions[1].name is messages[1].reactions[1].name
    assert messages[0].reactions[1].name is later[1].reactions[1].name
    assert prs == [make_pr(1), make_pr(2), make_pr(3)] and messages == [make_message()] * 2


def test_an_action_of_a_kind_this_version_lacks_still_reads() -> None:
    """The outbox lists what a newer version queued; it refuses the kind when it sends it."""
    text = '{"v": 1, "data": {"kind": "pin", "item_id": "i", "account": "a", "future": 1}}'
    action = decode_action(text)
    assert (action.kind, action.item_id, action.params) == ("pin", "i", {})
    with pytest.raises(CodecError, match="unreadable stored action"):
        decode_action('{"v": 1, "data": {"kind": "pin"}}')


def test_an_actions_account_reads_as_json_reads_it() -> None:
    """account_of reads the stored action as plain values, as `zen-tui health` reads it by
    json alone: a number msgspec takes as out of range, a NaN, a lone surrogate's escape
    elsewhere in it read as json.loads reads them; no account, or no JSON, is unreadable."""
    for odd in ("1e999", "NaN", '"\\ud800"'):
        text = f'{{"v": 1, "data": {{"account": "gh", "params": {{"n": {odd}}}}}}}'
        assert account_of(text) == "gh"
    assert account_of('{"data": {"account": "a"}, "data": {"account": "b"}}') == "b"
    for bad in ('{"v": 1, "data": {"account": 7}}', '{"v": 1}', "[1]", "{no", "[" * 100_000):
        with pytest.raises(CodecError, match="unreadable stored action"):
            account_of(bad)
