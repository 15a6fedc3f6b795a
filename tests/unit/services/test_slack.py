"""Slack: histories with cursors and the 15 cap, search pages, ok:false mapping, writes."""

from __future__ import annotations

from itertools import pairwise

import httpx
import pytest

from zen_tui.gateway.errors import ApiError, AuthExpired, BadResponse, RateLimited
from zen_tui.models import Action, Message, ThreadReply, with_reply
from zen_tui.services.base import MAX_EMPTY_PAGES, MAX_PAGES, PageGuard
from zen_tui.services.markers import zw_keys, zw_marker
from zen_tui.services.slack import REPLY_PAGES, channel_refs

from .conftest import BASES, body_of, load, section

API = BASES["slack"]
EX = "slack-api-specs/examples"
KEY = "sk-1"


@pytest.fixture
def basics(router, contracts):
    """auth.test (me = U012AB3CDE), conversations.list, users.info from the contracts."""
    router.get(f"{API}/auth.test").respond(
        200, json={"ok": True, "user_id": "U012AB3CDE", "url": "https://team.slack.test/"}
    )
    channels = load(contracts, f"{EX}/conversations.list.200.json")
    channels["response_metadata"]["next_cursor"] = ""  # the example's cursor: the end here
    router.get(f"{API}/conversations.list").respond(200, json=channels)
    return router.get(f"{API}/users.info").respond(
        200, json=load(contracts, f"{EX}/users.info.200.json")
    )


def test_channel_refs() -> None:
    assert channel_refs("#dev, #ops") == ["#dev", "#ops"]
    assert channel_refs("C012AB3CD #dev") == ["C012AB3CD", "#dev"]
    assert channel_refs("deploy failed") is None


async def test_history_contract_maps_to_messages(slack, router, basics, contracts) -> None:
    body = load(contracts, f"{EX}/conversations.history.200.json")
    body["messages"][1]["text"] = "ping <@U012AB3CDE>"
    body["messages"][1]["reactions"] = [{"name": "eyes", "count": 2, "users": ["U012AB3CDE", "U2"]}]
    del body["response_metadata"]
    history = router.get(f"{API}/conversations.history").respond(200, json=body)

    result = await slack.fetch_section(section("slack", "#general", pane="messages"))

    params = history.calls[0].request.url.params
    assert (params["channel"], params["limit"]) == ("C012AB3CD", "15")
    second, first = result.items  # newest first
    assert isinstance(first, Message)
    assert first.id == "slack:C012AB3CD:1512085950.000216"
    assert (first.key, first.channel, first.channel_id) == (
        "C012AB3CD:1512085950.000216",
        "general",
        "C012AB3CD",
    )
    assert first.author == "spengler"  # users.info display_name
    assert first.title == "I find you punny and would like to smell your nose letter"
    assert first.ts == "1512085950.000216"
    assert first.updated_at == "2017-11-30T23:52:30Z"
    assert first.url == "https://team.slack.test/archives/C012AB3CD/p1512085950000216"
    assert not first.mentions_me
    assert second.mentions_me
    assert second.reactions[0].name == "eyes" and second.reactions[0].me
    assert result.cursor == "C012AB3CD=1512104434.000490"  # newest ts per channel
    assert basics.call_count == 2  # one users.info per distinct author...
    await slack.fetch_section(section("slack", "#general", pane="messages"))
    assert basics.call_count == 2  # ...and never again


# How a last page may say it is the last: Slack's pagination guide names an empty, null or
# missing next_cursor (slack_sdk's iteration stops on each too).
LAST_PAGE_ENDS = [
    {"response_metadata": {"next_cursor": ""}},
    {"response_metadata": {"next_cursor": None}},
    {"response_metadata": {}},
    {},
]


@pytest.mark.parametrize("end", LAST_PAGE_ENDS)
async def test_cursor_pagination_until_empty_next_cursor(slack, router, basics, end) -> None:
    pages = iter(
        [
            {
                "ok": True,
                "messages": [{"ts": "2.0", "text": "b", "user": "W1"}],
                "response_metadata": {"next_cursor": "c2"},
            },
            {"ok": True, "messages": [{"ts": "1.0", "text": "a", "user": "W1"}], **end},
        ]
    )
    route = router.get(f"{API}/conversations.history").mock(
        side_effect=lambda request: httpx.Response(200, json=next(pages))
    )
    result = await slack.fetch_section(section("slack", "#general"), cursor="0.5")
    calls = [c.request.url.params for c in route.calls]
    assert [c.get("cursor") for c in calls] == [None, "c2"]
    assert all(c["oldest"] == "0.5" and c["inclusive"] == "false" for c in calls)
    assert [m.key for m in result.items] == ["C012AB3CD:2.0", "C012AB3CD:1.0"]
    assert result.complete and result.cursor == "C012AB3CD=2.0"


async def test_empty_history_pages_with_new_cursors_stop(slack, router, basics) -> None:
    cursors = iter(range(10_000))
    route = router.get(f"{API}/conversations.history").mock(
        side_effect=lambda request: httpx.Response(
            200,
            json={
                "ok": True,
                "messages": [],
                "response_metadata": {"next_cursor": f"c{next(cursors)}"},
            },
        )
    )
    result = await slack.fetch_section(section("slack", "#general"))
    assert route.call_count == MAX_EMPTY_PAGES
    assert not result.complete and "empty pages in a row" in str(result.stale_error)


def test_a_large_limit_gets_the_pages_it_needs() -> None:
    # 15 messages a page (Slack's cap for non-Marketplace apps): 1000 need 67 pages.
    guard = PageGuard("slack", "slack", "conversations.history", limit=1000, page_size=15)
    assert [guard.stop_after(15) for _ in range(67)] == [None] * 67
    small = PageGuard("slack", "slack", "conversations.history", limit=30, page_size=15)
    assert [small.stop_after(15) is None for _ in range(MAX_PAGES)][-2:] == [True, False]


async def test_endless_empty_search_pages_stop(slack, router, basics) -> None:
    cursors = iter(range(10**9))
    route = router.get(f"{API}/search.messages").mock(
        side_effect=lambda request: httpx.Response(
            200,
            json={
                "ok": True,
                "messages": {"matches": []},
                "response_metadata": {"next_cursor": f"c{next(cursors)}"},
            },
        )
    )
    result = await slack.fetch_section(section("slack", "anything"))
    assert route.call_count == MAX_EMPTY_PAGES
    assert "empty pages in a row" in str(result.stale_error)


async def test_a_malformed_message_is_skipped_not_its_page(slack, router, basics) -> None:
    messages = [
        {"ts": "2.0", "text": "b", "user": "W1"},
        {"ts": None, "text": "broken", "user": "W1"},
        {"ts": "1.0", "text": "a", "user": "W1"},
    ]
    router.get(f"{API}/conversations.history").respond(200, json={"ok": True, "messages": messages})
    result = await slack.fetch_section(section("slack", "#general"))
    assert [m.key for m in result.items] == ["C012AB3CD:2.0", "C012AB3CD:1.0"]
    assert result.skipped == 1


async def test_cursor_is_kept_per_channel(slack, router, basics) -> None:
    def history(request: httpx.Request) -> httpx.Response:
        channel = request.url.params["channel"]
        newer = {"C012AB3CD": [{"ts": "9.0", "text": "g", "user": "W1"}], "C061EG9T2": []}
        return httpx.Response(200, json={"ok": True, "messages": newer[channel]})

    route = router.get(f"{API}/conversations.history").mock(side_effect=history)
    result = await slack.fetch_section(
        section("slack", "#general, #random"), cursor="C012AB3CD=5.0;C061EG9T2=3.0"
    )
    oldest = {c.request.url.params["channel"]: c.request.url.params["oldest"] for c in route.calls}
    assert oldest == {"C012AB3CD": "5.0", "C061EG9T2": "3.0"}
    assert result.cursor == "C012AB3CD=9.0;C061EG9T2=3.0"  # the quiet channel keeps its own


async def test_unknown_channel_name_is_a_clear_error(slack, router, basics) -> None:
    with pytest.raises(ApiError, match="channel #nope not found"):
        await slack.fetch_section(section("slack", "#nope"))


def search_answer(ts: str, next_cursor: str | None, **paging: int) -> dict:
    """A search.messages answer of one match; `next_cursor` None: no response_metadata."""
    match = {"ts": ts, "text": ts, "user": "W1", "channel": {"id": "C9", "name": "x"}}
    body: dict = {"ok": True, "messages": {"matches": [match], "paging": paging}}
    if next_cursor is not None:
        body["response_metadata"] = {"next_cursor": next_cursor}
    return body


async def test_search_messages_pages_by_cursor(slack, router, basics, contracts) -> None:
    page1 = load(contracts, f"{EX}/search.messages.200.json")
    page1["response_metadata"] = {"next_cursor": "c2"}
    pages = iter([page1, search_answer("3.0", "")])
    route = router.get(f"{API}/search.messages").mock(
        side_effect=lambda request: httpx.Response(200, json=next(pages))
    )
    result = await slack.fetch_section(section("slack", "meaning of life"))
    params = [c.request.url.params for c in route.calls]
    assert [p["cursor"] for p in params] == ["*", "c2"]  # Slack's reference: `*` first
    assert all("page" not in p for p in params)
    assert params[0]["query"] == "meaning of life"
    assert len(result.items) == 3 and result.complete
    first = result.items[0]
    assert first.url == "https://hitchhikers.slack.com/archives/C12345678/p1508284197000015"
    assert isinstance(first, Message) and first.channel == "general"


@pytest.mark.parametrize("end", ["", None], ids=["empty", "missing"])
async def test_search_ends_at_the_cursor_not_the_page_count(slack, router, basics, end) -> None:
    """An empty or missing next_cursor is the end, whatever `paging.pages` says."""
    route = router.get(f"{API}/search.messages").respond(
        200, json=search_answer("1.0", end, page=1, pages=5)
    )
    await slack.fetch_section(section("slack", "deploy"))
    assert route.call_count == 1


async def test_a_search_cursor_seen_before_ends_it(slack, router, basics) -> None:
    """A server handing back a cursor it gave before would be read forever."""
    answers = iter([search_answer("2.0", "a"), search_answer("1.0", "b")])
    route = router.get(f"{API}/search.messages").mock(
        side_effect=lambda request: httpx.Response(
            200, json=next(answers, search_answer("0.5", "a"))
        )
    )
    result = await slack.fetch_section(section("slack", "deploy"))
    assert [c.request.url.params["cursor"] for c in route.calls] == ["*", "a", "b"]
    assert len(result.items) == 3


async def test_search_stops_at_the_limit_and_says_it_was_cut(slack, router, basics) -> None:
    route = router.get(f"{API}/search.messages").respond(200, json=search_answer("1.0", "more"))
    result = await slack.fetch_section(section("slack", "deploy"), limit=1)
    assert route.call_count == 1 and route.calls[0].request.url.params["count"] == "1"
    assert not result.complete


async def test_mentions_section_searches_for_me(slack, router, basics) -> None:
    route = router.get(f"{API}/search.messages").respond(
        200, json={"ok": True, "messages": {"matches": []}, "response_metadata": {}}
    )
    await slack.fetch_section(section("slack", "mentions"))
    assert route.calls[0].request.url.params["query"] == "<@U012AB3CDE>"


@pytest.mark.parametrize(
    ("body", "error", "text"),
    [
        ({"ok": False, "error": "invalid_auth"}, AuthExpired, "log in"),
        ({"ok": False, "error": "token_expired"}, AuthExpired, "token_expired"),
        ({"ok": False, "error": "ratelimited"}, RateLimited, "rate limited"),
        (
            {"ok": False, "error": "missing_scope", "needed": "channels:history"},
            ApiError,
            "channels:history scope",
        ),
        ({"ok": True, "messages": "nope"}, BadResponse, "messages"),
        ({"messages": []}, ApiError, "unknown_error"),
    ],
)
async def test_ok_false_mapping(slack, router, basics, body, error, text) -> None:
    router.get(f"{API}/conversations.history").respond(200, json=body)
    with pytest.raises(error) as info:
        await slack.fetch_section(section("slack", "#general"))
    assert text in str(info.value)


@pytest.mark.parametrize(
    ("code", "said"),
    [("channel_not_found", "#general not found"), ("not_in_channel", "not a member of #general")],
)
async def test_a_channel_refused_is_an_answer_about_its_messages_not_a_failed_poll(
    slack, router, basics, code, said
) -> None:
    """A channel Slack refuses (left, private to others, never joined): its messages are
    not there for this account. The listing says so (`gone`, the channel's id prefix) and
    why, naming it in Slack's words (never read before: not "left"); it is complete, not
    partial: nothing else was left unread."""
    router.get(f"{API}/conversations.history").respond(200, json={"ok": False, "error": code})
    result = await slack.fetch_section(section("slack", "#general"))
    assert result.items == [] and not result.partial
    assert result.gone == (f"{slack.account}:C012AB3CD:",)  # #general, in the contract
    assert result.stale_error is None  # an answer: nothing failed
    assert result.left_out == said  # beside the badge
    assert (result.note or "").startswith(f"{said}: conversations.history: {code} (")


async def test_requests_use_the_method_tier_scope(slack, router, basics) -> None:
    scopes: dict[str, str] = {}
    real = slack.gateway.request

    async def spy(method, path, **kwargs):  # records, then calls the real gateway
        scopes[path] = kwargs["scope"]
        return await real(method, path, **kwargs)

    slack.gateway.request = spy
    body = {"ok": True, "messages": [{"ts": "1.0", "user": "W1", "text": "x"}]}
    router.get(f"{API}/conversations.history").respond(200, json=body)
    await slack.fetch_section(section("slack", "#general"))
    assert scopes == {  # each method its own bucket, at its tier's rate
        "/auth.test": "special:auth.test",
        "/conversations.list": "tier2:conversations.list",
        "/conversations.history": "tier3:conversations.history",
        "/users.info": "tier4:users.info",
    }


async def test_details_are_thread_replies(slack, router, basics, contracts) -> None:
    replies = load(contracts, f"{EX}/conversations.replies.200.json")
    route = router.get(f"{API}/conversations.replies").respond(200, json=replies)
    await slack.me()
    msg = thread_message(thread_ts="0.5")
    detail = await slack.details(msg)
    assert route.calls[0].request.url.params["ts"] == "0.5"
    assert detail.body == "parent"
    assert len(detail.comments) == len(replies["messages"]) - 1


# ---- writes ---------------------------------------------------------------------------------


def act(kind: str, **params: str) -> Action:
    return Action(kind=kind, item_id="slack:C1:100.5", account="slack", params=params)  # type: ignore[arg-type]


async def test_reply_posts_in_thread_with_a_hidden_marker(slack, router, contracts) -> None:
    post = router.post(f"{API}/chat.postMessage").respond(
        200, json=load(contracts, f"{EX}/chat.postMessage.200.json")
    )
    assert (await slack.apply(act("reply", text="on it"), idempotency_key=KEY)).ok
    sent = body_of(post.calls[0])
    assert (sent["channel"], sent["thread_ts"]) == ("C1", "100.5")
    assert sent["text"].startswith("on it") and zw_keys(sent["text"]) == [KEY]


async def test_post_goes_to_the_channel(slack, router) -> None:
    post = router.post(f"{API}/chat.postMessage").respond(200, json={"ok": True, "ts": "1.0"})
    assert (await slack.apply(act("post", text="hi", channel="C2"), idempotency_key=KEY)).ok
    sent = body_of(post.calls[0])
    assert sent["channel"] == "C2" and "thread_ts" not in sent


async def test_react_and_already_reacted(slack, router, contracts) -> None:
    route = router.post(f"{API}/reactions.add").respond(
        200, json=load(contracts, f"{EX}/reactions.add.default.json")
    )
    result = await slack.apply(act("react", name=":eyes:"), idempotency_key=KEY)
    assert result.ok  # already_reacted counts as done
    assert body_of(route.calls[0]) == {"channel": "C1", "timestamp": "100.5", "name": "eyes"}


async def test_unreact_removes_my_reaction_and_no_reaction_is_done(
    slack, router, contracts
) -> None:
    """reactions.remove; Slack's `no_reaction` (it is gone already) counts as done, as
    `already_reacted` does for react; any other refusal is one."""
    answers = iter([{"ok": True}, {"ok": False, "error": "no_reaction"}])
    route = router.post(f"{API}/reactions.remove").mock(
        side_effect=lambda request: httpx.Response(200, json=next(answers))
    )
    for _ in range(2):
        result = await slack.apply(act("unreact", name=":eyes:"), idempotency_key=KEY)
        assert result.ok
    assert body_of(route.calls[0]) == {"channel": "C1", "timestamp": "100.5", "name": "eyes"}
    route.mock(return_value=httpx.Response(200, json={"ok": False, "error": "invalid_name"}))
    refused = await slack.apply(act("unreact", name="x y"), idempotency_key=KEY)
    assert not refused.ok and "invalid_name" in refused.message


async def test_post_error_is_a_final_refusal(slack, router) -> None:
    router.post(f"{API}/chat.postMessage").respond(200, json={"ok": False, "error": "is_archived"})
    result = await slack.apply(act("reply", text="x"), idempotency_key=KEY)
    assert result.conflict and "is_archived" in result.message


async def test_verify_reply_and_reaction(slack, router, basics) -> None:
    router.get(f"{API}/conversations.replies").respond(
        200,
        json={
            "ok": True,
            "messages": [
                {"ts": "100.5", "text": "q"},
                {"ts": "101", "text": "ok" + zw_marker(KEY)},
            ],
        },
    )
    assert await slack.verify(act("reply", text="ok"), idempotency_key=KEY) is True
    assert await slack.verify(act("reply", text="ok"), idempotency_key="other") is False


async def test_verify_reaction_reads_the_message(slack, router, basics) -> None:
    reacted = {"ts": "100.5", "reactions": [{"name": "eyes", "users": ["U012AB3CDE"]}]}
    route = router.get(f"{API}/conversations.replies").respond(
        200, json={"ok": True, "messages": [reacted]}
    )
    assert await slack.verify(act("react", name="eyes"), idempotency_key=KEY) is True
    assert await slack.verify(act("react", name="tada"), idempotency_key=KEY) is False
    assert await slack.verify(act("unreact", name="eyes"), idempotency_key=KEY) is False
    assert await slack.verify(act("unreact", name="tada"), idempotency_key=KEY) is True
    assert route.calls[0].request.url.params["ts"] == "100.5"


def test_webhook_message_event(slack) -> None:
    [item] = slack.items_for_webhook(
        "message",
        {"event": {"type": "message", "channel": "C1", "user": "U1", "text": "x", "ts": "5.0"}},
    )
    assert item.key == "C1:5.0" and item.author == "U1"
    assert slack.items_for_webhook("reaction_added", {"event": {"type": "reaction_added"}}) == []


async def test_verify_reply_pages_through_a_long_thread(slack, router) -> None:
    pages = iter(
        [
            {
                "ok": True,
                "messages": [{"ts": "1", "text": "a"}],
                "response_metadata": {"next_cursor": "n2"},
            },
            {"ok": True, "messages": [{"ts": "2", "text": "b" + zw_marker(KEY)}]},
        ]
    )
    route = router.get(f"{API}/conversations.replies").mock(
        side_effect=lambda request: httpx.Response(200, json=next(pages))
    )
    assert await slack.verify(act("reply", text="b"), idempotency_key=KEY) is True
    assert route.calls[1].request.url.params["cursor"] == "n2"


async def test_verify_cannot_tell_past_the_scan_window(slack, router, monkeypatch) -> None:
    monkeypatch.setattr("zen_tui.services.slack.VERIFY_PAGES", 2)
    router.get(f"{API}/conversations.history").respond(
        200,
        json={
            "ok": True,
            "messages": [{"ts": "1", "text": "x"}],
            "response_metadata": {"next_cursor": "more"},
        },
    )
    assert await slack.verify(act("post", text="x"), idempotency_key=KEY) is None


async def test_bulk_posts_stay_under_one_a_second(slack, router, clock) -> None:
    sent: list[float] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(clock.time())
        return httpx.Response(200, json={"ok": True, "ts": "1.0"})

    router.post(f"{API}/chat.postMessage").mock(side_effect=record)
    actions = [act("reply", text=f"r{n}") for n in range(5)]
    results = await slack.bulk_apply(actions, [f"k{n}" for n in range(5)], lambda d, t: None)
    assert all(r.ok for r in results)
    assert len(sent) == 5
    assert all(b - a >= 1.0 for a, b in pairwise(sent))


def test_webhook_edit_is_the_same_message_and_a_delete_is_no_row(slack) -> None:
    """Slack's hidden subtypes carry a `ts` of their own: never a row of their own."""
    edited = {"user": "U1", "text": "fixed", "ts": "5.0", "edited": {"user": "U1", "ts": "9.0"}}
    changed = {
        "event": {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": "C1",
            "ts": "9.0",
            "message": {"type": "message", **edited},
            "previous_message": {"type": "message", "user": "U1", "text": "typo", "ts": "5.0"},
        }
    }
    [item] = slack.items_for_webhook("message", changed)
    assert item.key == "C1:5.0" and item.text == "fixed" and item.author == "U1"
    assert item.updated_at > "1970-01-01T00:00:05Z"  # newer than the copy held: it replaces it
    deleted = {
        "event": {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "channel": "C1",
            "ts": "9.5",
            "deleted_ts": "5.0",
        }
    }
    assert slack.items_for_webhook("message", deleted) == []
    other = {
        "event": {"type": "message", "subtype": "x", "hidden": True, "channel": "C1", "ts": "1.0"}
    }
    assert slack.items_for_webhook("message", other) == []


def thread_message(thread_ts: str = "1.0") -> Message:
    """A #dev message at ts 1.0: a thread's parent, or with another `thread_ts` a reply in it."""
    return Message(
        id="slack:C1:1.0",
        account="slack",
        service="slack",
        key="C1:1.0",
        title="t",
        url="",
        updated_at="",
        channel="dev",
        channel_id="C1",
        text="parent",
        ts="1.0",
        thread_ts=thread_ts,
    )


def replies_page(n: int, *, more: bool = True) -> dict:
    """Page n of a thread: the parent first (as Slack repeats it), then 2 replies."""
    parent = {"type": "message", "user": "W1", "text": "parent", "ts": "1.0", "thread_ts": "1.0"}
    replies = [
        {
            "type": "message",
            "user": "W1",
            "text": f"r{n}.{k}",
            "ts": f"{2 + n}.{k}",
            "thread_ts": "1.0",
        }
        for k in (1, 2)
    ]
    meta = {"next_cursor": f"page{n + 1}" if more else ""}
    return {"ok": True, "messages": [parent, *replies], "response_metadata": meta}


async def test_a_thread_longer_than_the_page_cap_says_so(slack, router, basics) -> None:
    pages = (httpx.Response(200, json=replies_page(n)) for n in range(100))
    route = router.get(f"{API}/conversations.replies").mock(side_effect=lambda r: next(pages))
    detail = await slack.details(thread_message())
    assert len(route.calls) == REPLY_PAGES
    assert [c.request.url.params.get("cursor") for c in route.calls][:3] == [None, "page1", "page2"]
    texts = [text for _, text in detail.comments]
    assert len(texts) == 2 * REPLY_PAGES and texts[0] == "r0.1" and "parent" not in texts
    assert detail.error == f"the first {2 * REPLY_PAGES} replies shown; open the thread in Slack"


async def test_a_failing_later_page_keeps_the_replies_read(slack, router, basics) -> None:
    answers = iter(
        [
            httpx.Response(200, json=replies_page(0)),
            httpx.Response(200, json={"ok": False, "error": "thread_not_found"}),
        ]
    )
    router.get(f"{API}/conversations.replies").mock(side_effect=lambda request: next(answers))
    detail = await slack.details(thread_message())
    assert [text for _, text in detail.comments] == ["r0.1", "r0.2"]
    assert detail.error is not None and detail.error.startswith("later replies not shown")


def test_which_sections_might_list_a_webhook_message(slack) -> None:
    slack._channels["C1"] = "dev"
    slack._me = "U1"

    def message(channel: str, ts: str = "5.0", thread: str | None = None, me: bool = False):
        return Message(
            id=f"slack:{channel}:{ts}",
            account="slack",
            service="slack",
            key=f"{channel}:{ts}",
            title="t",
            url="",
            updated_at="",
            channel_id=channel,
            ts=ts,
            thread_ts=thread,
            mentions_me=me,
        )

    assert slack.might_list("#dev, #ops", message("C1"))
    assert slack.might_list("C1", message("C1", thread="5.0"))  # a thread's parent
    assert not slack.might_list("#dev", message("C1", thread="4.0"))  # a reply: not in history
    assert not slack.might_list("#ops", message("C1"))
    assert not slack.might_list("mentions", message("C9"))
    assert slack.might_list("mentions", message("C9", me=True))
    assert slack.might_list("deploy", message("C9"))  # a search: only Slack can tell
    slack._me = None
    assert slack.might_list("mentions", message("C9"))  # who "me" is is not known yet


def test_thread_replies_from_reply_broadcast_and_replied_events(slack) -> None:
    """A reply's event names its parent and its ts; a thread_broadcast's root gives the count;
    a message_replied (with its subtype) the parent's own; anything else, or a malformed
    ts, none. The broadcast reply is listed by its channel's sections."""

    def event(**fields):
        return {"event": {"type": "message", "channel": "C1", **fields}}

    plain = event(ts="7.000002", thread_ts="5.000001", text="re")
    assert slack.thread_replies("message", plain) == [
        ThreadReply("slack:C1:5.000001", "7.000002", None)
    ]
    root = {"ts": "5.000001", "reply_count": 3, "latest_reply": "8.000003"}
    loud = event(subtype="thread_broadcast", ts="8.000003", thread_ts="5.000001", root=root)
    assert slack.thread_replies("message", loud) == [
        ThreadReply("slack:C1:5.000001", "8.000003", 3)
    ]
    [item] = slack.items_for_webhook("message", loud)
    assert item.broadcast and slack.might_list("C1", item)
    parent = {"ts": "5.000001", "reply_count": 2, "replies": [{"ts": "6.0"}, {"ts": "7.0"}]}
    replied = event(subtype="message_replied", hidden=True, ts="9.0", message=parent)
    assert slack.thread_replies("message", replied) == [ThreadReply("slack:C1:5.000001", "7.0", 2)]
    for other in (
        event(ts="5.000001", thread_ts="5.000001"),  # the parent itself
        event(ts="7.0"),  # not in a thread
        event(ts="7.0", thread_ts="²"),  # not a ts
        event(subtype="message_changed", ts="9.0", thread_ts="5.0"),
        {"event": {"type": "reaction_added"}},
    ):
        assert slack.thread_replies("message", other) == []


def test_with_reply_counts_a_reply_once_and_trusts_a_given_count() -> None:
    parent = Message(
        id="a:C1:5.0",
        account="a",
        service="slack",
        key="C1:5.0",
        title="",
        url="",
        updated_at="",
        channel_id="C1",
        ts="5.0",
        reply_count=1,
        latest_reply="6.0",
    )
    once = with_reply(parent, ThreadReply(parent.id, "7.0"))
    assert (once.reply_count, once.latest_reply, once.thread_ts) == (2, "7.0", "5.0")
    assert with_reply(once, ThreadReply(parent.id, "7.0")) is once  # a repeat
    assert with_reply(once, ThreadReply(parent.id, "6.5")) is once  # counted by a listing
    assert with_reply(once, ThreadReply(parent.id, "9.0", 5)).reply_count == 5


async def test_slack_warnings_on_ok_answers_are_logged_once_per_method(
    slack, router, basics, caplog
) -> None:
    """`ok: true` with `warning` (comma-separated codes): the answer is used, each code
    logged once per method, not on every poll."""
    body = {"ok": True, "messages": [], "has_more": False, "warning": "method_deprecated,x"}
    router.get(f"{API}/conversations.history").respond(200, json=body)
    for _ in range(3):
        result = await slack.fetch_section(section("slack", "#general"), revalidate=True)
        assert result.items == []
    lines = [r.getMessage() for r in caplog.records if "Slack warns" in r.getMessage()]
    assert lines == [
        "slack conversations.history: Slack warns method_deprecated",
        "slack conversations.history: Slack warns x",
    ]


# ---- rate limits said in the body ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "code", "headers", "wait"),
    [
        ("reactions.add", "ratelimited", {"Retry-After": "30"}, 30.0),
        ("chat.postMessage", "rate_limited", {}, 60.0),  # no time said: the tier's minute
    ],
)
async def test_an_ok_false_rate_limit_pauses_the_method_as_a_429_does(
    slack, router, clock, method, code, headers, wait
) -> None:
    """Slack's method references list `ratelimited` (and chat.postMessage `rate_limited`)
    among their ok:false codes, which come with HTTP 200. Before: RateLimited with no time,
    no pause; the next call went straight back to the server. Now the gateway takes it for
    the method's limit: until the time, nothing of that method is sent (the outbox waits
    on that scope), other methods go on, and after it the method is asked again."""
    limited = {"ok": False, "error": code}
    route = router.post(f"{API}/{method}").respond(200, json=limited, headers=headers)
    other = router.get(f"{API}/users.info").respond(200, json={"ok": True, "user": {"id": "U1"}})
    start = clock.time()
    with pytest.raises(RateLimited) as raised:
        await slack.call(method, {"channel": "C1"}, write=True)
    sent = route.call_count
    assert raised.value.retry_at == pytest.approx(start + wait, abs=1.0)
    assert raised.value.scope == f"{'tier3' if method == 'reactions.add' else 'special'}:{method}"
    with pytest.raises(RateLimited):
        await slack.call(method, {"channel": "C1"}, write=True)
    assert route.call_count == sent, "sent again before the time Slack gave"
    await slack.call("users.info", {"user": "U1"})  # another method is not held
    assert other.call_count == 1
    await clock.sleep(wait + 1 - (clock.time() - start))
    route.respond(200, json={"ok": True, "channel": "C1", "ts": "1.0"})
    body, _ = await slack.call(method, {"channel": "C1"}, write=True)
    assert body["ok"] is True and route.call_count == sent + 1


async def test_archive_events_touch_only_the_sections_naming_the_channel(
    slack, router, basics
) -> None:
    """group_archive (a private channel) and channel_unarchive as Slack's Events API sends
    them: known at once, and only a channel section naming the channel (by id or by name)
    is touched; an event of another kind, or without a channel, is none of this."""
    router.get(f"{API}/conversations.history").respond(200, json={"ok": True, "messages": []})
    await slack.fetch_section(section("slack", "#general"))  # learns the channel names
    archived = slack.state_from_webhook(
        "group_archive",
        {"event": {"type": "group_archive", "channel": "C012AB3CD", "event_ts": "1.0"}},
    )
    assert archived is not None
    assert [q for q in ("#general", "C012AB3CD #x", "#random", "mentions") if archived(q)] == [
        "#general",
        "C012AB3CD #x",
    ]
    result = await slack.fetch_section(section("slack", "#general"), cursor="C012AB3CD=9.0")
    assert result.note == "#general archived in Slack: read-only, no new messages"
    unarchived = slack.state_from_webhook(
        "channel_unarchive", {"type": "channel_unarchive", "channel": "C012AB3CD"}
    )
    assert unarchived is not None and unarchived("#general")
    result = await slack.fetch_section(section("slack", "#general"), cursor="C012AB3CD=9.0")
    assert result.note is None
    message = {"event": {"type": "message", "channel": "C012AB3CD", "ts": "1.0"}}
    assert slack.state_from_webhook("message", message) is None
    nameless = {"event": {"type": "channel_archive"}}
    assert slack.state_from_webhook("channel_archive", nameless) is None


async def test_a_full_listing_of_channel_ids_does_not_need_the_channel_list(slack, router) -> None:
    """A section naming channels by id never needed conversations.list (channels:read):
    read again for the archived state at a full listing, it may fail (here a missing scope)
    and the history is read all the same."""
    router.get(f"{API}/auth.test").respond(200, json={"ok": True, "user_id": "U1", "url": ""})
    refused = {"ok": False, "error": "missing_scope", "needed": "channels:read"}
    listing = router.get(f"{API}/conversations.list").respond(200, json=refused)
    body = {"ok": True, "messages": [{"ts": "1.0", "user": "", "text": "x"}]}
    router.get(f"{API}/conversations.history").respond(200, json=body)
    result = await slack.fetch_section(section("slack", "C012AB3CD"))
    assert listing.called and [m.ts for m in result.items] == ["1.0"]
    assert result.stale_error is None and result.note is None
