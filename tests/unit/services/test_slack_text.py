"""Slack message text as people read it: mentions, channels, links and DMs by name."""

from __future__ import annotations

import httpx
import pytest

from zen_tui.models import Message
from zen_tui.services.slack_parse import is_user_id, mentioned_users, render_text

from .conftest import BASES, section

API = BASES["slack"]
USERS = {"U1ABCDEFG": "ada", "U2BCDEFGH": "alan"}
CHANNELS = {"C1ABCDEFG": "dev"}


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<@U1ABCDEFG> ship it", "@ada ship it"),
        ("cc <@U1ABCDEFG|ada-label> and <@U9ZZZZZZZ>", "cc @ada-label and @U9ZZZZZZZ"),
        ("see <#C1ABCDEFG> and <#C777|ops>", "see #dev and #ops"),
        ("<!here> deploy, <!channel>", "@here deploy, @channel"),
        ("<!subteam^S123|@oncall> help", "@oncall help"),
        ("<https://x.test/a?b=1|the doc> or <https://y.test>", "the doc or https://y.test"),
        ("<mailto:a@b.test|a@b.test>", "a@b.test"),
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
        # typed as "&lt;" and "&copy;": escaped once by Slack, unescaped once here
        ("&amp;lt; and &amp;copy;", "&lt; and &copy;"),
        ("no refs at all", "no refs at all"),
    ],
)
def test_render_text(raw: str, shown: str) -> None:
    assert render_text(raw, USERS, CHANNELS) == shown


def test_mentioned_users_in_order_once() -> None:
    text = "<@U2BCDEFGH> <@U1ABCDEFG|a> <@U2BCDEFGH> <#C1ABCDEFG>"
    assert mentioned_users(text) == ["U2BCDEFGH", "U1ABCDEFG"]
    assert is_user_id("U2NJDGHAJYM") and not is_user_id("general") and not is_user_id("U1")


async def test_search_results_show_names_for_mentions_and_dms(slack, router) -> None:
    router.get(f"{API}/auth.test").respond(
        200, json={"ok": True, "user_id": "U1ABCDEFG", "url": "https://team.slack.test/"}
    )
    names = {"U1ABCDEFG": "ada", "U2BCDEFGH": "alan", "U3CDEFGHI": "bea"}
    users = router.get(f"{API}/users.info").mock(
        side_effect=lambda req: httpx.Response(
            200,
            json={"ok": True, "user": {"id": (u := req.url.params["user"]), "name": names[u]}},
        )
    )
    match = {
        "ts": "1.0",
        "text": "<@U1ABCDEFG> can you look? cc <@U3CDEFGHI>",
        "user": "U2BCDEFGH",
        "channel": {"id": "D0DM", "name": "U2BCDEFGH"},  # a DM: the name is the user id
    }
    router.get(f"{API}/search.messages").respond(
        200, json={"ok": True, "messages": {"matches": [match], "paging": {"pages": 1}}}
    )
    (msg,) = (await slack.fetch_section(section("slack", "mentions", pane="messages"))).items
    assert isinstance(msg, Message)
    assert msg.text == "@ada can you look? cc @bea" and msg.title == msg.text
    assert msg.channel == "@alan" and msg.channel_id == "D0DM" and msg.author == "alan"
    assert msg.mentions_me  # decided on the raw text, before names replace ids
    assert sorted(c.request.url.params["user"] for c in users.calls) == sorted(names)  # once each


async def test_webhook_messages_use_the_names_already_known(slack, router) -> None:
    router.get(f"{API}/users.info").respond(
        200, json={"ok": True, "user": {"id": "U1ABCDEFG", "name": "ada"}}
    )
    assert await slack.user_name("U1ABCDEFG") == "ada"
    event = {
        "type": "message",
        "channel": "C1",
        "user": "U1ABCDEFG",
        "ts": "5.0",
        "text": "<@U1ABCDEFG> and <@U7UNKNOWN1> see <https://x.test|this>",
    }
    [item] = slack.items_for_webhook("message", {"event": event})
    assert isinstance(item, Message) and item.author == "ada"
    assert item.text == "@ada and @U7UNKNOWN1 see this"  # unknown until the next poll
