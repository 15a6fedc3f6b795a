"""The Slack client against the simulator over loopback."""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace

from zen_tui.models import Action, Message
from zen_tui.services.markers import strip_zw, zw_keys

from .conftest import section


async def test_channels_mentions_and_threads(sim_client) -> None:
    slack = sim_client("slack")
    dev = await slack.fetch_section(section("slack", "#dev, #random", pane="messages"))
    assert dev.items and dev.complete
    assert {m.channel for m in dev.items} <= {"dev", "random"}
    assert all(isinstance(m, Message) and m.author for m in dev.items)

    again = await slack.fetch_section(section("slack", "#dev, #random"), cursor=dev.cursor)
    assert again.items == [] and again.cursor == dev.cursor  # nothing newer than the cursor

    mentions = await slack.fetch_section(section("slack", "mentions", pane="messages"))
    assert mentions.items and all(m.mentions_me for m in mentions.items)

    detail = await slack.details(dev.items[0])
    assert detail.error is None and detail.body == dev.items[0].text


async def test_reply_react_and_verify(sim_client) -> None:
    slack = sim_client("slack")
    message = (await slack.fetch_section(section("slack", "#dev"))).items[0]

    def act(kind: str, **params: str) -> Action:
        return Action(kind=kind, item_id=message.id, account="slack", params=params)  # type: ignore[arg-type]

    reply = act("reply", text="on it")
    assert await slack.verify(reply, idempotency_key="s1") is False
    assert (await slack.apply(reply, idempotency_key="s1")).ok
    assert await slack.verify(reply, idempotency_key="s1") is True
    detail = await slack.details(message)
    assert any("on it" in text for _, text in detail.comments)
    assert all("\u200b" not in text for _, text in detail.comments)  # marker hidden

    react = act("react", name="eyes")
    assert (await slack.apply(react, idempotency_key="s2")).ok
    assert (await slack.apply(react, idempotency_key="s2")).ok  # already_reacted is fine
    assert await slack.verify(react, idempotency_key="s2") is True
    unreact = act("unreact", name="eyes")
    assert await slack.verify(unreact, idempotency_key="s4") is False
    assert (await slack.apply(unreact, idempotency_key="s4")).ok
    assert (await slack.apply(unreact, idempotency_key="s4")).ok  # no_reaction is fine
    assert await slack.verify(unreact, idempotency_key="s4") is True
    assert await slack.verify(react, idempotency_key="s2") is False

    post = act("post", text="deploy at 5")
    assert (await slack.apply(post, idempotency_key="s3")).ok
    assert await slack.verify(post, idempotency_key="s3") is True


async def test_a_long_thread_shows_every_reply_up_to_the_newest(sim_client) -> None:
    """conversations.replies pages (limit <= 15): the newest replies are on the last page."""
    slack = sim_client("slack")
    message = next(
        m
        for m in (
            await slack.fetch_section(section("slack", "#general, #design, #incidents"))
        ).items
        if not m.reply_count
    )
    for n in range(20):
        action = Action("reply", message.id, "slack", {"text": f"reply {n}"})
        assert (await slack.apply(action, idempotency_key=f"long-{n}")).ok
    detail = await slack.details(message)
    texts = [text for _, text in detail.comments]
    assert texts == [f"reply {n}" for n in range(20)]
    assert detail.error is None


async def test_writes_name_their_charset_so_slack_takes_them_without_a_warning(
    sim, sim_client, caplog
) -> None:
    """Slack answers a JSON body without a charset `ok: true, warning: missing_charset`;
    the client's writes (reply, react, post) name utf-8, and draw no warning."""
    slack_sim = sim.world.services["slack"]
    slack_sim.warned.clear()
    slack = sim_client("slack")
    message = (await slack.fetch_section(section("slack", "#dev"))).items[0]
    for n, (kind, params) in enumerate(
        [("reply", {"text": "charset"}), ("react", {"name": "tada"}), ("post", {"text": "x"})]
    ):
        action = Action(kind=kind, item_id=message.id, account="slack", params=params)  # type: ignore[arg-type]
        assert (await slack.apply(action, idempotency_key=f"cs{n}")).ok
    assert slack_sim.warned == {}
    assert "Slack warns" not in caplog.text


async def test_an_integrations_post_shows_the_name_it_posted_as(sim, sim_client) -> None:
    """A CI bot's `bot_message` has no `user`: its row, its event's row and its thread say
    the name it posted under, not its bot id (which users.info does not know)."""
    slack_sim = sim.world.services["slack"]
    events: list[Any] = []
    slack_sim.world.on_change(events.append)
    posted = slack_sim.integration_post("#dev", "ci-bot", "Build #12 failed")
    slack = sim_client("slack")
    rows = (await slack.fetch_section(section("slack", "#dev"), limit=5)).items
    [row] = [m for m in rows if isinstance(m, Message) and m.ts == posted.ts]
    assert row.author == "ci-bot" and row.text == "Build #12 failed"
    [event] = [e.payload for e in events if e.payload.get("ts") == posted.ts]
    [pushed] = slack.items_for_webhook("message", event)
    assert isinstance(pushed, Message) and pushed.author == "ci-bot"


async def test_a_post_to_a_named_channel_is_looked_up_there_by_its_id(sim, sim_client) -> None:
    """chat.postMessage takes a channel name, conversations.history only an ID (a name is
    `channel_not_found` there): a post with `channel=#ops` (or `ops`) is sent to #ops, and
    looked up before a resend in #ops's history by its ID, not left "cannot tell"."""
    slack = sim_client("slack")
    ops = next(c for c in sim.world.services["slack"].channels.values() if c.name == "ops")
    message = (await slack.fetch_section(section("slack", "#dev"))).items[0]
    for n, name in enumerate(("#ops", "ops")):
        post = Action("post", message.id, "slack", {"text": f"to {name}", "channel": name})
        key = f"named-{n}"
        assert await slack.verify(post, idempotency_key=key) is False
        assert (await slack.apply(post, idempotency_key=key)).ok
        assert await slack.verify(post, idempotency_key=key) is True
        assert any(m.text.startswith(f"to {name}") for m in ops.messages.values())


async def test_a_post_refused_in_a_named_archived_channel_marks_that_channel(
    sim, sim_client
) -> None:
    """`is_archived` for a post with `channel=#ops`: #ops is known archived by its id, so its
    section says so at its next poll, which reads no channel list (a cursor is given)."""
    slack_sim = sim.world.services["slack"]
    slack = sim_client("slack")
    message = (await slack.fetch_section(section("slack", "#dev, #ops"))).items[0]
    slack_sim.archived_channels = "ops"
    try:
        post = Action("post", message.id, "slack", {"text": "too late", "channel": "#ops"})
        refused = await slack.apply(post, idempotency_key="archived-named")
        assert not refused.ok and refused.label == "read-only"
        assert "#ops is archived in Slack" in refused.message
        polled = await slack.fetch_section(section("slack", "#ops"), cursor="1.0")
    finally:
        slack_sim.archived_channels = ""
    assert polled.read_only == "#ops archived in Slack: read-only, no new messages"


async def test_typed_text_is_sent_escaped_and_reads_back_as_typed(sim, sim_client) -> None:
    """Slack's "Escaping text": & < > are escaped in what is sent, so the simulator (which keeps
    text as given, as Slack does) stores `&lt;` for a typed `<`; a typed broadcast is text, a
    mention by id stays one; read back, the thread shows what was typed."""
    slack = sim_client("slack")
    slack_sim = sim.world.services["slack"]
    message = (await slack.fetch_section(section("slack", "#dev"))).items[0]
    assert isinstance(message, Message)
    me = slack_sim.me.id
    typed = f"a < b && c > d; &lt; <!here> <!channel> <https://x.test|docs> cc <@{me}>"
    reply = Action("reply", message.id, "slack", {"text": typed})
    assert (await slack.apply(reply, idempotency_key="typed-reply")).ok
    link = {"url": "https://x.test/?a=1&b=2", "title": "R&D <notes>"}
    post = Action("post", message.id, "slack", {"text": "see <this>", **link})
    assert (await slack.apply(post, idempotency_key="typed-post")).ok

    channel = slack_sim.channels[message.channel_id]
    stored = {
        key: strip_zw(m.text)
        for m in channel.messages.values()
        for key in zw_keys(m.text)
        if key.startswith("typed-")
    }
    assert stored == {
        "typed-reply": "a &lt; b &amp;&amp; c &gt; d; &amp;lt; &lt;!here&gt; &lt;!channel&gt; "
        f"&lt;https://x.test|docs&gt; cc <@{me}>",
        "typed-post": "see &lt;this&gt; <https://x.test/?a=1&amp;b=2|R&amp;D &lt;notes&gt;>",
    }
    name = await slack.user_name(me)
    detail = await slack.details(message)
    assert typed.replace(f"<@{me}>", f"@{name}") in [text for _, text in detail.comments]


def _replies(sim: Any, message: Any, *texts: str) -> list[Any]:
    """Replies posted in `message`'s thread by one of its channel's members (not me)."""
    svc = sim.world.services["slack"]
    with sim.world.lock:
        chan = svc.channels[message.channel_id]
        author = next(iter(sorted(chan.members - {svc.me.id, svc.bot.id})))
        return [svc.post(chan, author, text, message.ts) for text in texts]


async def test_a_reaction_on_a_thread_reply_is_verified_on_that_reply(sim, sim_client) -> None:
    """A reply (a mention in a thread, found by the Mentions search) is reacted to by its own
    ts; conversations.replies answers with its thread, the parent first: the check reads the
    reply's reactions, not the parent's."""
    slack = sim_client("slack")
    message = (await slack.fetch_section(section("slack", "#dev"))).items[0]
    svc = sim.world.services["slack"]
    (reply,) = _replies(sim, message, "a reply")
    chan = svc.channels[message.channel_id]
    with sim.world.lock:
        svc._react(chan, chan.messages[message.ts], svc.me.id, "eyes")  # the parent's, mine
    reply_id = message.id.removesuffix(message.ts) + reply.ts

    def act(kind: str) -> Action:
        return Action(kind=kind, item_id=reply_id, account="slack", params={"name": "eyes"})  # type: ignore[arg-type]

    assert await slack.verify(act("react"), idempotency_key="r1") is False  # not the parent's
    assert (await slack.apply(act("react"), idempotency_key="r1")).ok
    assert await slack.verify(act("react"), idempotency_key="r1") is True
    with sim.world.lock:
        chan.messages[message.ts].reactions.pop("eyes")  # the parent has none of mine now
    assert await slack.verify(act("unreact"), idempotency_key="r2") is False  # the reply has


async def test_a_message_slack_would_cut_short_is_refused_before_sending(sim_client) -> None:
    """Slack truncates a message past 40,000 characters (chat.postMessage's reference), which
    would cut off the hidden marker verify looks for. Counted as sent (escaped, the marker
    added): refused with by how much to shorten it, and nothing goes out; one that fits goes."""
    slack = sim_client("slack")
    message = (await slack.fetch_section(section("slack", "#dev"))).items[0]
    sent: list[str] = []
    real = slack.gateway.request

    async def spy(method: str, path: str, **kwargs: Any) -> Any:
        sent.append(path)
        return await real(method, path, **kwargs)

    slack.gateway.request = spy
    typed = "a&b " * 8_000  # 32,000 typed; & is sent as &amp;: 64,000, and the marker
    for kind, params in (("reply", {"text": typed}), ("post", {"text": typed})):
        action = Action(kind, message.id, "slack", params)  # type: ignore[arg-type]
        refused = await slack.apply(action, idempotency_key=f"long-{kind}")
        assert not refused.ok and refused.conflict
        assert (
            "too long for Slack: 64,0" in refused.message
            and "shorten it by 24,0" in refused.message
        )
    share = Action(
        "share", message.id, "slack", {"url": "https://x.test", "body": typed, "channel": "#dev"}
    )  # type: ignore[arg-type]
    assert "too long for Slack" in (await slack.apply(share, idempotency_key="long-share")).message
    assert "/chat.postMessage" not in sent
    fits = Action("reply", message.id, "slack", {"text": "x" * 39_000})  # type: ignore[arg-type]
    assert (await slack.apply(fits, idempotency_key="long-fits")).ok


async def test_a_deleted_thread_reply_is_gone_while_its_thread_stays(sim, sim_client) -> None:
    """exists() asks about the message itself: a reply deleted from a thread that goes on is
    gone (its thread was asked before, which said it existed); the parent still is."""
    slack = sim_client("slack")
    message = (await slack.fetch_section(section("slack", "#dev"))).items[0]
    svc = sim.world.services["slack"]
    kept, gone = _replies(sim, message, "a reply that stays", "a reply deleted")
    chan = svc.channels[message.channel_id]
    replies = {
        m.ts: replace(
            message, id=message.id.removesuffix(message.ts) + m.ts, ts=m.ts, thread_ts=message.ts
        )
        for m in (kept, gone)
    }
    assert await slack.exists(replies[gone.ts]) is True
    with sim.world.lock:
        svc.delete(chan, chan.messages[gone.ts])
    assert await slack.exists(replies[gone.ts]) is False
    assert await slack.exists(replies[kept.ts]) is True
    assert await slack.exists(message) is True
