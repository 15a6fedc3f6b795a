"""Slack simulator Web API behaviour, in memory (httpx.ASGITransport) with a fake clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jsonschema
import pytest

from tests.helpers import ManualClock, mounted_client
from zen_tui.simulator.core.webhooks import WebhookDispatcher
from zen_tui.simulator.core.world import ChangeEvent, World
from zen_tui.simulator.slack.model import us_ts
from zen_tui.simulator.slack.service import SlackSim, TokenInfo

USER_TOKEN = "sim-user-token"
NOW = 1_790_000_000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def world(clock: ManualClock) -> World:
    return World(seed=11, size=2000, clock=clock)  # 400 Slack messages


@pytest.fixture
def slack(world: World) -> SlackSim:
    sim = SlackSim(world, USER_TOKEN)
    world.add(sim)
    return sim


@pytest.fixture
async def client(slack: SlackSim) -> AsyncIterator[httpx.AsyncClient]:
    async with mounted_client(slack, "/api", {"Authorization": f"Bearer {USER_TOKEN}"}) as c:
        yield c


async def call(client: httpx.AsyncClient, method: str, **params: object) -> dict:
    r = await client.post(f"/{method}", data={k: str(v) for k, v in params.items()})
    assert r.status_code == 200, r.text
    return r.json()


def busiest(slack: SlackSim) -> str:
    return max(
        (c for c in slack.channels.values() if c.kind == "public"), key=lambda c: len(c.timeline)
    ).id


async def test_conversations_list_cursor_ends_with_empty_string(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    seen, cursor = [], ""
    while True:
        body = await call(
            client,
            "conversations.list",
            limit=2,
            cursor=cursor,
            types="public_channel,private_channel,im",
        )
        assert body["ok"] is True
        seen += [c["id"] for c in body["channels"]]
        cursor = body["response_metadata"]["next_cursor"]
        if cursor == "":
            break
    assert len(seen) == len(set(seen)) == len(slack.channels)


async def test_history_paging_newest_first_covers_channel(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    channel = busiest(slack)
    stamps, cursor, pages = [], "", 0
    while True:
        body = await call(client, "conversations.history", channel=channel, limit=7, cursor=cursor)
        stamps += [m["ts"] for m in body["messages"]]
        cursor = body["response_metadata"]["next_cursor"]
        pages += 1
        assert body["has_more"] is (cursor != "")
        if not cursor:
            break
    assert stamps == sorted(stamps, key=float, reverse=True)
    assert len(stamps) == len(set(stamps)) == len(slack.channels[channel].timeline)
    assert pages > 1


async def test_history_oldest_is_exclusive_unless_inclusive(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    channel = busiest(slack)
    latest = (await call(client, "conversations.history", channel=channel, limit=3))["messages"]
    oldest = latest[-1]["ts"]
    body = await call(client, "conversations.history", channel=channel, oldest=oldest)
    assert [m["ts"] for m in body["messages"]] == [m["ts"] for m in latest[:-1]]
    body = await call(
        client, "conversations.history", channel=channel, oldest=oldest, inclusive="true"
    )
    assert [m["ts"] for m in body["messages"]] == [m["ts"] for m in latest]


async def test_non_marketplace_rule_caps_limit_and_rate(
    client: httpx.AsyncClient, slack: SlackSim, clock: ManualClock
) -> None:
    slack.non_marketplace = True
    channel = busiest(slack)
    body = await call(client, "conversations.history", channel=channel, limit=200)
    assert len(body["messages"]) == 15 and body["has_more"] is True
    r = await client.post("/conversations.history", data={"channel": channel})
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    clock.now += 60
    assert len((await call(client, "conversations.history", channel=channel))["messages"]) == 15


async def test_tier_budget_gives_429_with_retry_after(
    client: httpx.AsyncClient, world: World, clock: ManualClock
) -> None:
    world.rate_scale = 0.1  # tier 2: 2 per minute
    codes = [(await client.get("/conversations.list")).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = await client.get("/conversations.list")
    assert r.json() == {"ok": False, "error": "ratelimited"}
    assert int(r.headers["Retry-After"]) == 60
    clock.now += 30
    assert int((await client.get("/conversations.list")).headers["Retry-After"]) == 30
    assert (await client.get("/users.list")).status_code == 200  # another method, own budget


@pytest.mark.parametrize(
    ("method", "params", "error"),
    [
        ("conversations.history", {"channel": "C404"}, "channel_not_found"),
        ("conversations.replies", {"channel": None, "ts": "1.000001"}, "thread_not_found"),
        ("users.info", {"user": "U404"}, "user_not_found"),
        ("chat.postMessage", {"channel": None, "text": "  "}, "no_text"),
        (
            "reactions.add",
            {"channel": None, "name": "eyes", "timestamp": "1.2"},
            "message_not_found",
        ),
        ("conversations.list", {"cursor": "garbage!"}, "invalid_cursor"),
        ("no.such.method", {}, "unknown_method"),
    ],
)
async def test_errors_are_http_200_ok_false(
    client: httpx.AsyncClient, slack: SlackSim, method: str, params: dict, error: str
) -> None:
    params = {k: (busiest(slack) if v is None else v) for k, v in params.items()}
    assert await call(client, method, **params) == {"ok": False, "error": error}


async def test_auth_errors(client: httpx.AsyncClient, slack: SlackSim) -> None:
    r = await client.get("/auth.test", headers={"Authorization": ""})
    assert r.status_code == 200 and r.json()["error"] == "not_authed"
    r = await client.get("/auth.test", headers={"Authorization": "Bearer nope"})
    assert r.json() == {"ok": False, "error": "invalid_auth"}
    r = await client.get("/auth.test", params={"token": USER_TOKEN}, headers={"Authorization": ""})
    assert r.json()["ok"] is False and r.json()["error"] == "invalid_auth"
    r = await client.post("/auth.test", data={"token": USER_TOKEN}, headers={"Authorization": ""})
    assert r.json()["user_id"] == slack.me.id  # a token in the POST body is still fine


async def test_missing_scope_names_needed_and_provided(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    slack.tokens["narrow"] = TokenInfo("user", slack.me.id, frozenset({"users:read"}))
    r = await client.get("/conversations.list", headers={"Authorization": "Bearer narrow"})
    assert r.json() == {
        "ok": False,
        "error": "missing_scope",
        "needed": "channels:read",
        "provided": "users:read",
    }


async def test_post_reply_react_already_reacted_and_events(
    client: httpx.AsyncClient, slack: SlackSim, world: World
) -> None:
    events = []
    world.on_change(events.append)
    channel = busiest(slack)
    parent = (await call(client, "chat.postMessage", channel=channel, text="parent"))["ts"]
    reply = await call(client, "chat.postMessage", channel=channel, text="reply", thread_ts=parent)
    assert reply["message"]["thread_ts"] == parent
    thread = await call(client, "conversations.replies", channel=channel, ts=parent)
    assert [m["text"] for m in thread["messages"]] == ["parent", "reply"]
    assert thread["messages"][0]["reply_count"] == 1
    assert (
        await call(client, "reactions.add", channel=channel, name=":eyes:", timestamp=parent)
    ) == {"ok": True}
    again = await call(client, "reactions.add", channel=channel, name="eyes", timestamp=parent)
    assert again == {"ok": False, "error": "already_reacted"}
    assert [e.event for e in events] == ["message", "message", "reaction_added"]
    assert events[1].payload["thread_ts"] == parent and events[1].payload["channel"] == channel
    assert world.counters.mutations[("slack", "message")] == 2
    assert world.counters.mutations[("slack", "reaction")] == 1
    assert float(reply["ts"]) > float(parent)


async def test_search_messages_pages_and_user_token_rule(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    mention = f"<@{slack.me.id}>"
    first = (await call(client, "search.messages", query=mention, count=5))["messages"]
    total, pages = first["paging"]["total"], first["paging"]["pages"]
    assert total > 5 and pages == -(-total // 5)
    seen = []
    for page in range(1, pages + 1):
        body = await call(client, "search.messages", query=mention, count=5, page=page)
        seen += [(m["channel"]["id"], m["ts"]) for m in body["messages"]["matches"]]
    assert len(seen) == len(set(seen)) == total
    bot = {"Authorization": f"Bearer {slack.bot_token}"}
    r = await client.get("/search.messages", params={"query": "x"}, headers=bot)
    assert r.json() == {"ok": False, "error": "not_allowed_token_type"}
    assert (await client.get("/auth.test", headers=bot)).json()["bot_id"] == slack.bot_id


async def search_by_cursor(client: httpx.AsyncClient, query: str, **params: object) -> list:
    """Every page of a cursor-paged search.messages (`*` first), as the list of answers."""
    answers, cursor = [], "*"
    while cursor:
        answers.append(await call(client, "search.messages", query=query, cursor=cursor, **params))
        cursor = answers[-1]["response_metadata"]["next_cursor"]
    return answers


async def test_search_messages_pages_by_cursor_to_an_empty_next_cursor(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    """Slack's reference: `cursor=*` first, then each `next_cursor`; "" ends it."""
    mention = f"<@{slack.me.id}>"
    numbered = await call(client, "search.messages", query=mention, count=100)
    answers = await search_by_cursor(client, mention, count=5)
    seen = [(m["channel"]["id"], m["ts"]) for a in answers for m in a["messages"]["matches"]]
    everything = [(m["channel"]["id"], m["ts"]) for m in numbered["messages"]["matches"]]
    assert seen == everything and len(answers) == -(-len(seen) // 5) > 2
    assert [float(ts) for _, ts in seen] == sorted((float(ts) for _, ts in seen), reverse=True)
    assert all(a["response_metadata"]["next_cursor"] for a in answers[:-1])
    ascending = await search_by_cursor(client, mention, count=7, sort_dir="asc")
    assert [(m["channel"]["id"], m["ts"]) for a in ascending for m in a["messages"]["matches"]] == (
        everything[::-1]
    )
    bad = await call(client, "search.messages", query=mention, cursor="bm90IG91cnM=")
    assert bad == {"ok": False, "error": "invalid_cursor"}


async def test_a_new_match_shifts_numbered_pages_but_not_cursor_pages(
    client: httpx.AsyncClient, slack: SlackSim, world: World
) -> None:
    """A mention posted while a client pages (newest first) pushes every match one place
    down: page 2 by number repeats page 1's last match; the cursor goes on after it."""
    mention = f"<@{slack.me.id}>"
    first = await call(client, "search.messages", query=mention, count=5, cursor="*")
    page_one = [m["ts"] for m in first["messages"]["matches"]]
    chan = slack.channels[busiest(slack)]
    author = next(iter(sorted(chan.members - {slack.me.id, slack.bot.id})))
    with world.lock:
        slack.post(chan, author, f"{mention} one more", None)
    by_number = await call(client, "search.messages", query=mention, count=5, page=2)
    assert by_number["messages"]["matches"][0]["ts"] == page_one[-1]
    cursor = first["response_metadata"]["next_cursor"]
    by_cursor = await call(client, "search.messages", query=mention, count=5, cursor=cursor)
    after = [m["ts"] for m in by_cursor["messages"]["matches"]]
    assert not set(after) & set(page_one) and float(after[0]) < float(page_one[-1])


async def test_bot_token_cannot_read_my_private_conversations(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    im = next(c.id for c in slack.channels.values() if c.kind == "im")
    bot = {"Authorization": f"Bearer {slack.bot_token}"}
    r = await client.get("/conversations.history", params={"channel": im}, headers=bot)
    assert r.json()["error"] == "channel_not_found"
    assert (await call(client, "conversations.history", channel=im))["ok"] is True


async def test_users_info_and_list(client: httpx.AsyncClient, slack: SlackSim) -> None:
    me = (await call(client, "users.info", user=slack.me.id))["user"]
    assert me["id"] == slack.me.id and me["profile"]["display_name"] == "me"
    members = (await call(client, "users.list", limit=100))["members"]
    assert {m["id"] for m in members} == set(slack.users)


async def test_a_rename_changes_the_display_name_not_the_handle_with_user_change(
    client: httpx.AsyncClient, slack: SlackSim, clock: ManualClock
) -> None:
    """A person renamed in Slack: users.info and users.list say the new display name, their
    handle (`name`) stays, `updated` moves, and Slack's `user_change` carries the whole
    user object as users.info gives it."""
    person = next(u for u in slack.users.values() if u.id not in (slack.me.id, slack.bot.id))
    before = (await call(client, "users.info", user=person.id))["user"]
    events: list[ChangeEvent] = []
    slack.world.on_change(events.append)
    clock.now += 60
    slack.rename_user(person.id, "new-name")
    after = (await call(client, "users.info", user=person.id))["user"]
    assert before["profile"]["display_name"] == person.name != "new-name"
    assert after["profile"]["display_name"] == after["profile"]["display_name_normalized"]
    assert after["profile"]["display_name"] == "new-name" and after["name"] == person.name
    assert after["updated"] == int(NOW + 60) > before["updated"]
    listed = (await call(client, "users.list", limit=100))["members"]
    assert next(m for m in listed if m["id"] == person.id) == after
    [change] = events
    assert change.event == "user_change" and change.payload["user"] == after
    assert set(change.payload) == {"type", "user", "cache_ts", "event_ts"}


async def test_json_body_writes_and_invalid_json(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    r = await client.post("/chat.postMessage", json={"channel": busiest(slack), "text": "json"})
    assert r.json()["ok"] is True and r.json()["message"]["text"] == "json"
    r = await client.post(
        "/chat.postMessage", content=b"[1]", headers={"Content-Type": "application/json"}
    )
    assert r.json() == {"ok": False, "error": "invalid_json"}


async def test_a_json_body_without_a_charset_is_taken_with_a_warning(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    """Slack answers `ok: true` with `warning: missing_charset` (and the code and a "[WARN]"
    message in response_metadata) to JSON sent as plain `application/json`; a form body that
    names a charset gets `superfluous_charset`; the rest get no warning."""
    channel = busiest(slack)
    plain = await client.post("/chat.postMessage", json={"channel": channel, "text": "a"})
    body = plain.json()
    assert body["ok"] is True and body["message"]["text"] == "a"
    assert body["warning"] == "missing_charset"
    assert body["response_metadata"]["warnings"] == ["missing_charset"]
    assert body["response_metadata"]["messages"][0].startswith("[WARN] ")
    utf8 = {"Content-Type": "application/json; charset=utf-8"}
    named = await client.post(
        "/chat.postMessage", content=json.dumps({"channel": channel, "text": "b"}), headers=utf8
    )
    assert named.json()["ok"] is True and "warning" not in named.json()
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    listed = await client.post("/conversations.list", content="limit=2", headers=form)
    meta = listed.json()["response_metadata"]
    assert listed.json()["warning"] == "superfluous_charset" and meta["next_cursor"]
    assert "warning" not in await call(client, "conversations.list", limit=2)
    assert slack.warned == {"missing_charset": 1, "superfluous_charset": 1}


def test_seeding_is_fast_and_mentions_me() -> None:
    world = World(seed=1, size=10_000)
    sim = SlackSim(world, USER_TOKEN)
    world.add(sim)
    messages = [m for c in sim.channels.values() for m in c.messages.values()]
    assert len(messages) == 2000
    assert sum(f"<@{sim.me.id}>" in m.text for m in messages) > 100
    assert any(m.replies for m in messages) and any(m.reactions for m in messages)


async def test_activity_posts_replies_and_reacts_as_colleagues(
    client: httpx.AsyncClient, slack: SlackSim, world: World, clock: ManualClock
) -> None:
    events = []
    world.on_change(events.append)
    clock.now += 60
    for _ in range(40):
        slack.activity()
    assert {e.event for e in events} == {"message", "reaction_added"}
    assert all(e.payload.get("user") not in (slack.me.id, slack.bot.id) for e in events)
    assert any("thread_ts" in e.payload for e in events if e.event == "message")
    assert world.counters.mutations == {}
    top_level = [e for e in events if e.event == "message" and "thread_ts" not in e.payload]
    channel = top_level[0].payload["channel"]
    newest = await call(client, "conversations.history", channel=channel, oldest=str(NOW))
    assert newest["messages"]


@pytest.mark.parametrize(
    "params",
    [
        {"channel": "", "limit": "x"},
        {"cursor": "%%%", "oldest": "abc"},
        {"latest": "1.2.3"},
        {"ts": "", "timestamp": "nope", "name": ""},
        {"count": "0", "page": "-4", "query": " "},
        {"user": "", "types": "nothing"},
    ],
)
async def test_bad_parameters_are_ok_false_never_5xx(
    client: httpx.AsyncClient, slack: SlackSim, params: dict
) -> None:
    for method in slack.methods:
        r = await client.post(f"/{method}", data=params)
        assert r.status_code == 200, (method, r.text)
        body = r.json()
        assert body["ok"] is False or method in ("auth.test", "conversations.list", "users.list")


async def test_replies_cursor_paging_keeps_thread_order(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    channel = busiest(slack)
    parent = (await call(client, "chat.postMessage", channel=channel, text="thread"))["ts"]
    for n in range(5):
        await call(client, "chat.postMessage", channel=channel, text=f"r{n}", thread_ts=parent)
    texts, cursor = [], ""
    while True:
        body = await call(
            client, "conversations.replies", channel=channel, ts=parent, limit=2, cursor=cursor
        )
        texts += [m["text"] for m in body["messages"]]
        cursor = body["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert texts == ["thread", "r0", "r1", "r2", "r3", "r4"]
    history = await call(client, "conversations.history", channel=channel, limit=1)
    assert history["messages"][0]["reply_count"] == 5  # replies stay out of the history


async def test_replies_take_oldest_and_latest_inclusive_only_when_asked(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    """conversations.replies' `inclusive`, as its reference (and history's) says: messages
    at `oldest` or `latest` are in the results only with it."""
    channel = busiest(slack)
    parent = (await call(client, "chat.postMessage", channel=channel, text="thread"))["ts"]
    replies = [
        (await call(client, "chat.postMessage", channel=channel, text=f"r{n}", thread_ts=parent))[
            "ts"
        ]
        for n in range(3)
    ]
    bounds = {"channel": channel, "ts": parent, "oldest": replies[0], "latest": replies[2]}
    between = await call(client, "conversations.replies", **bounds)
    assert [m["text"] for m in between["messages"]] == ["r1"]
    both = await call(client, "conversations.replies", **bounds, inclusive="true")
    assert [m["text"] for m in both["messages"]] == ["r0", "r1", "r2"]
    one = {"channel": channel, "ts": replies[1], "oldest": replies[1], "latest": replies[1]}
    exact = await call(client, "conversations.replies", **one, inclusive="true")
    assert [m["ts"] for m in exact["messages"]] == [replies[1]]  # a reply by its ts


async def test_get_permalink_as_slack_spells_it(client: httpx.AsyncClient, slack: SlackSim) -> None:
    channel = busiest(slack)
    parent = (await call(client, "chat.postMessage", channel=channel, text="parent"))["ts"]
    reply = await call(client, "chat.postMessage", channel=channel, text="r", thread_ts=parent)
    link = await call(client, "chat.getPermalink", channel=channel, message_ts=parent)
    assert link == {
        "ok": True,
        "channel": channel,
        "permalink": f"https://zen-sim.slack.com/archives/{channel}/p{parent.replace('.', '')}",
    }
    threaded = await call(client, "chat.getPermalink", channel=channel, message_ts=reply["ts"])
    assert threaded["permalink"].endswith(
        f"/p{reply['ts'].replace('.', '')}?thread_ts={parent}&cid={channel}"
    )
    missing = await call(client, "chat.getPermalink", channel=channel, message_ts="1.000001")
    assert missing == {"ok": False, "error": "message_not_found"}
    nowhere = await call(client, "chat.getPermalink", channel="C000", message_ts=parent)
    assert nowhere == {"ok": False, "error": "channel_not_found"}


async def test_update_and_delete_own_messages_with_slack_events(
    client: httpx.AsyncClient, slack: SlackSim, world: World
) -> None:
    channel = busiest(slack)
    ts = (await call(client, "chat.postMessage", channel=channel, text="typo"))["ts"]
    events: list = []
    world.on_change(events.append)
    updated = await call(client, "chat.update", channel=channel, ts=ts, text="fixed")
    assert updated["ts"] == ts and updated["message"]["edited"]["user"] == slack.me.id
    [history] = (await call(client, "conversations.history", channel=channel, limit=1))["messages"]
    assert history["text"] == "fixed" and history["edited"] == updated["message"]["edited"]
    changed = events[-1].payload
    assert changed["subtype"] == "message_changed" and changed["hidden"] is True
    assert changed["message"]["ts"] == ts and changed["message"]["text"] == "fixed"
    assert changed["previous_message"]["text"] == "typo"
    assert float(changed["ts"]) > float(ts)  # the event's own ts, not the message's

    assert await call(client, "chat.delete", channel=channel, ts=ts) == {
        "ok": True,
        "channel": channel,
        "ts": ts,
    }
    deleted = events[-1].payload
    assert deleted["subtype"] == "message_deleted" and deleted["deleted_ts"] == ts
    assert deleted["channel"] == channel and deleted["ts"] != ts
    latest = (await call(client, "conversations.history", channel=channel, limit=5))["messages"]
    assert ts not in [m["ts"] for m in latest]
    gone = await call(client, "chat.update", channel=channel, ts=ts, text="again")
    assert gone == {"ok": False, "error": "message_not_found"}
    assert world.counters.mutations[("slack", "update")] == 1
    assert world.counters.mutations[("slack", "delete")] == 1


async def test_only_the_author_edits_and_a_deleted_parent_leaves_a_tombstone(
    client: httpx.AsyncClient, slack: SlackSim, world: World
) -> None:
    chan = slack.channels[busiest(slack)]
    theirs = next(m for m in chan.messages.values() if m.user != slack.me.id)
    for method, refused in (
        ("chat.update", "cant_update_message"),
        ("chat.delete", "cant_delete_message"),
    ):
        body = await call(client, method, channel=chan.id, ts=theirs.ts, text="mine now")
        assert body == {"ok": False, "error": refused}
    parent = next(m for m in chan.messages.values() if m.replies and not m.is_reply)
    reply = parent.replies[0]
    events: list = []
    world.on_change(events.append)
    with world.lock:
        slack.delete(chan, parent)
    assert events[-1].payload["subtype"] == "message_changed"
    assert events[-1].payload["message"]["subtype"] == "tombstone"
    thread = await call(client, "conversations.replies", channel=chan.id, ts=parent.ts)
    assert thread["messages"][0]["text"] == "This message was deleted."
    assert thread["messages"][1]["ts"] == reply  # the replies stay readable
    with world.lock:
        slack.delete(chan, chan.messages[reply])
    assert events[-1].payload["deleted_ts"] == reply
    thread = await call(client, "conversations.replies", channel=chan.id, ts=parent.ts)
    assert reply not in [m["ts"] for m in thread["messages"]]


async def test_activity_edits_and_deletes_only_the_authors_own_messages(
    client: httpx.AsyncClient, slack: SlackSim, world: World
) -> None:
    authors = {ts: m.user for c in slack.channels.values() for ts, m in c.messages.items()}
    events: list = []
    world.on_change(events.append)
    for _ in range(300):
        slack.activity()
        for e in events[-1:]:
            if e.event == "message" and e.payload.get("subtype") in (None, "thread_broadcast"):
                authors[e.payload["ts"]] = e.payload["user"]
    changed = [e.payload for e in events if e.payload.get("subtype") == "message_changed"]
    deleted = [e.payload for e in events if e.payload.get("subtype") == "message_deleted"]
    assert changed and deleted
    for edit in changed:
        message = edit["message"]
        assert message["text"].endswith("(edited)") or message.get("subtype") == "tombstone"
        assert edit["previous_message"]["user"] == authors[message["ts"]]
    for gone in deleted:
        assert gone["previous_message"]["user"] == authors[gone["deleted_ts"]]
        history = await call(
            client,
            "conversations.history",
            channel=gone["channel"],
            latest=gone["deleted_ts"],
            inclusive="true",
            limit=1,
        )
        assert gone["deleted_ts"] not in [m["ts"] for m in history["messages"]]


async def test_broadcast_reply_is_in_history_and_its_event_carries_the_root(
    client: httpx.AsyncClient, slack: SlackSim, world: World
) -> None:
    """chat.postMessage reply_broadcast: the reply is in the thread and the channel's history
    (subtype thread_broadcast); its event carries the parent as `root` with the new
    reply_count / latest_reply, as Slack's Events API does. A plain reply's event is a
    `message` with thread_ts and parent_user_id, and no message_replied follows."""
    events = []
    world.on_change(events.append)
    channel = busiest(slack)
    parent = (await call(client, "chat.postMessage", channel=channel, text="parent"))["ts"]
    plain = await call(client, "chat.postMessage", channel=channel, text="a", thread_ts=parent)
    loud = await call(
        client,
        "chat.postMessage",
        channel=channel,
        text="b",
        thread_ts=parent,
        reply_broadcast="true",
    )
    history = await call(client, "conversations.history", channel=channel, limit=3)
    assert [m["ts"] for m in history["messages"][:2]] == [loud["ts"], parent]
    assert history["messages"][0]["subtype"] == "thread_broadcast"
    assert history["messages"][1]["reply_count"] == 2
    thread = await call(client, "conversations.replies", channel=channel, ts=parent)
    assert [m["text"] for m in thread["messages"]] == ["parent", "a", "b"]
    messages = [e.payload for e in events if e.event == "message"]
    assert len(messages) == 3  # the parent, two replies: no message_replied
    assert "subtype" not in messages[1] and messages[1]["thread_ts"] == parent
    assert messages[1]["parent_user_id"] == slack.me.id and messages[1]["ts"] == plain["ts"]
    assert messages[2]["subtype"] == "thread_broadcast"
    root = messages[2]["root"]
    assert (root["ts"], root["reply_count"], root["latest_reply"]) == (parent, 2, loud["ts"])
    # a reply "to" the broadcast lands in the parent's thread
    again = await call(client, "chat.postMessage", channel=channel, text="c", thread_ts=loud["ts"])
    assert again["message"]["thread_ts"] == parent


async def test_an_integrations_post_is_a_bot_message_without_a_user(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    """An incoming webhook's or CI bot's post, as Slack sends it: subtype `bot_message`,
    `username` and `bot_id`, no `user`; users.info does not know the bot id."""
    channel = busiest(slack)
    events: list[ChangeEvent] = []
    slack.world.on_change(events.append)
    msg = slack.integration_post(channel, "ci-bot", "Build #12 failed")
    history = await call(client, "conversations.history", channel=channel, limit=1)
    [newest] = history["messages"]
    assert newest["ts"] == msg.ts and "user" not in newest
    assert newest["subtype"] == "bot_message" and newest["username"] == "ci-bot"
    assert newest["bot_id"].startswith("B")
    unknown = await call(client, "users.info", user=newest["bot_id"])
    assert unknown == {"ok": False, "error": "user_not_found"}
    [event] = [e.payload for e in events]
    assert event["subtype"] == "bot_message" and "user" not in event
    assert event["channel"] == channel


async def test_archived_channels_listed_as_such_readable_and_refuse_posts(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    """archived_channels: `is_archived: true`; conversations.list leaves them out only
    when asked to (`exclude_archived`); history still reads; chat.postMessage answers
    `is_archived` (Slack's error for it)."""
    chan = slack.channels[busiest(slack)]
    slack.archived_channels = f"#{chan.name}"
    assert slack.archived_channels == chan.name

    async def listed(**extra: object) -> dict[str, dict]:
        body = await call(client, "conversations.list", limit=1000, **extra)
        return {c["id"]: c for c in body["channels"]}

    assert (await listed())[chan.id]["is_archived"] is True
    assert chan.id not in await listed(exclude_archived="true")
    assert chan.id in await listed(exclude_archived="false")
    history = await call(client, "conversations.history", channel=chan.id)
    assert history["ok"] is True and history["messages"]
    before = len(chan.timeline)
    posted = await call(client, "chat.postMessage", channel=chan.id, text="hello?")
    assert posted == {"ok": False, "error": "is_archived"}
    assert len(chan.timeline) == before  # nothing posted
    slack.archived_channels = ""
    assert (await call(client, "chat.postMessage", channel=chan.id, text="back"))["ok"] is True


async def test_short_pages_keep_a_cursor_and_every_item_comes_once_in_order(
    client: httpx.AsyncClient, slack: SlackSim, clock: ManualClock
) -> None:
    """short_page_rate: pages bring fewer than `limit` items mid-collection, the cursor still
    points on, and following it reads every message exactly once, in order; over seeds."""
    chan = busiest(slack)
    full = await call(client, "conversations.history", channel=chan, limit=999)
    want = [m["ts"] for m in full["messages"]]
    slack.short_page_rate = 0.7
    for _ in range(10):
        got: list[str] = []
        shorts, cursor = 0, ""
        while True:
            clock.now += 2  # within history's Tier 3 (50 a minute)
            body = await call(client, "conversations.history", channel=chan, limit=7, cursor=cursor)
            got += [m["ts"] for m in body["messages"]]
            cursor = body["response_metadata"]["next_cursor"]
            if not cursor:
                break
            shorts += len(body["messages"]) < 7
            assert body["messages"] and body["has_more"] is True
        assert got == want and shorts > 0


# What Slack's event reference shows of each (docs.slack.dev/reference/events/channel_archive,
# channel_unarchive, group_archive, group_unarchive, and the SDK's types of them): the
# channel, who did it, and the event_ts every event carries (the Events API envelope's
# schema requires it, tests/contracts/slack-api-specs/events-api).
ARCHIVE_EVENT_KEYS = {"type", "channel", "user", "event_ts"}


def wrapper_schema(contracts: Path) -> dict:
    path = contracts / "slack-api-specs/events-api/slack_common_event_wrapper_schema.json"
    return json.loads(path.read_text())


async def test_archiving_and_unarchiving_send_slack_events_in_the_envelope(
    slack: SlackSim, contracts: Path
) -> None:
    """channel_archive / channel_unarchive for a public channel, group_archive /
    group_unarchive for a private one I am in; none for a private one I left (Slack tells
    its members only) and none when the state does not change. Each envelope validates
    against Slack's wrapper schema."""
    public = slack.channels[busiest(slack)]
    private = next(c for c in slack.channels.values() if c.kind == "private")
    gone = next(c for c in slack.channels.values() if c.kind == "private" and c is not private)
    slack.left_channels = gone.name
    events: list[ChangeEvent] = []
    slack.world.on_change(events.append)
    slack.archived_channels = f"#{public.name},{private.id},{gone.name}"
    slack.archived_channels = f"#{public.name},{private.id},{gone.name}"  # no change: no event
    slack.archived_channels = ""
    got = [(e.event, e.payload["channel"]) for e in events]
    assert got == [
        ("channel_archive", public.id),
        ("group_archive", private.id),
        ("channel_unarchive", public.id),
        ("group_unarchive", private.id),
    ]
    hooks = WebhookDispatcher(slack.world, {})
    schema = wrapper_schema(contracts)
    for change in events:
        assert set(change.payload) == ARCHIVE_EVENT_KEYS
        assert change.payload["type"] == change.event
        assert change.payload["user"] in slack.users
        envelope = hooks.slack_envelope(change)
        jsonschema.Draft7Validator(schema).validate(envelope)
        assert envelope["event"] == change.payload and envelope["team_id"] == slack.team_id
    stamps = [float(e.payload["event_ts"]) for e in events]
    assert stamps == sorted(set(stamps))  # distinct, in order


async def test_reactions_add_in_an_archived_channel_answers_is_archived(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    """reactions.add's reference lists `is_archived` ("Channel specified has been
    archived"): nothing is added and no reaction_added is sent; unarchived, it adds again."""
    chan = slack.channels[busiest(slack)]
    ts = us_ts(chan.timeline[-1])
    slack.archived_channels = chan.name
    events: list[ChangeEvent] = []
    slack.world.on_change(events.append)
    body = await call(client, "reactions.add", channel=chan.id, name="tada", timestamp=ts)
    assert body == {"ok": False, "error": "is_archived"}
    assert slack.me.id not in chan.messages[ts].reactions.get("tada", [])
    assert events == []
    slack.archived_channels = ""
    body = await call(client, "reactions.add", channel=chan.id, name="tada", timestamp=ts)
    assert body["ok"] is True
    assert [e.event for e in events] == ["channel_unarchive", "reaction_added"]


async def test_reactions_remove_takes_back_only_my_reaction(
    client: httpx.AsyncClient, slack: SlackSim, world: World
) -> None:
    """reactions.remove (its reference): my reaction goes, a colleague's with the same emoji
    stays, `reaction_removed` is sent; again, it is `no_reaction`."""
    chan = slack.channels[busiest(slack)]
    ts = us_ts(chan.timeline[-1])
    colleague = next(iter(sorted(chan.members - {slack.me.id, slack.bot.id})))
    with world.lock:
        slack._react(chan, chan.messages[ts], colleague, "rocket")
    assert (await call(client, "reactions.add", channel=chan.id, name="rocket", timestamp=ts))["ok"]
    events: list[ChangeEvent] = []
    world.on_change(events.append)
    body = await call(client, "reactions.remove", channel=chan.id, name=":rocket:", timestamp=ts)
    assert body == {"ok": True}
    assert chan.messages[ts].reactions["rocket"] == [colleague]
    [event] = events
    assert event.event == "reaction_removed" and event.payload["type"] == "reaction_removed"
    assert (event.payload["user"], event.payload["reaction"]) == (slack.me.id, "rocket")
    assert event.payload["item"] == {"type": "message", "channel": chan.id, "ts": ts}
    again = await call(client, "reactions.remove", channel=chan.id, name="rocket", timestamp=ts)
    assert again == {"ok": False, "error": "no_reaction"}
    thread = await call(client, "conversations.replies", channel=chan.id, ts=ts, limit=1)
    [reaction] = [r for r in thread["messages"][0]["reactions"] if r["name"] == "rocket"]
    assert reaction["users"] == [colleague] and reaction["count"] == 1
    assert world.counters.mutations[("slack", "unreaction")] == 1


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"name": "eyes"}, "no_item_specified"),
        ({"name": "eyes", "timestamp": "yesterday"}, "bad_timestamp"),
        ({"name": "eyes", "timestamp": "1.000001"}, "message_not_found"),
        ({"name": "not an emoji", "timestamp": None}, "invalid_name"),
        ({"name": "eyes", "timestamp": None, "channel": "CNOPE0000"}, "channel_not_found"),
    ],
)
async def test_reactions_remove_errors_as_its_reference_lists_them(
    client: httpx.AsyncClient, slack: SlackSim, params: dict, error: str
) -> None:
    chan = slack.channels[busiest(slack)]
    args = {"channel": chan.id, **params}
    if "timestamp" in args and args["timestamp"] is None:
        args["timestamp"] = us_ts(chan.timeline[-1])
    assert await call(client, "reactions.remove", **args) == {"ok": False, "error": error}
