"""Slack message text as people read it: mentions, channels, links and DMs by name."""

from __future__ import annotations

import random
import re

import httpx
import pytest

from zen_tui.models import Message
from zen_tui.services.slack_parse import (
    from_typed,
    is_user_id,
    link,
    mentioned_users,
    render_text,
    unescape,
)

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


def test_names_from_users_info_are_shown_as_they_are() -> None:
    """A display name is plain JSON text, not mrkdwn: only the message text is unescaped."""
    assert render_text("<@U1ABCDEFG> &amp;", {"U1ABCDEFG": "R&amp;D"}, {}) == "@R&amp;D &"


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("&lt; is typed, &amp; too", "&amp;lt; is typed, &amp;amp; too"),
        # broadcasts and user groups notify many people: never from typed text
        ("<!here> <!channel> <!everyone>", "&lt;!here&gt; &lt;!channel&gt; &lt;!everyone&gt;"),
        ("<!subteam^S123|@oncall>", "&lt;!subteam^S123|@oncall&gt;"),
        ("<https://evil.test|docs>", "&lt;https://evil.test|docs&gt;"),  # no hidden links
        # a mention or channel link by id is kept: typing it is the way to mention
        ("cc <@U1ABCDEFG> in <#C1ABCDEFG>", "cc <@U1ABCDEFG> in <#C1ABCDEFG>"),
        ("<<@W1ABCDEFG>>", "&lt;<@W1ABCDEFG>&gt;"),
        # anything else shaped like one is text: a label, lower case, no id
        (
            "<@U1ABCDEFG|ada> <@u1abc> <@> <#dev>",
            "&lt;@U1ABCDEFG|ada&gt; &lt;@u1abc&gt; &lt;@&gt; &lt;#dev&gt;",
        ),
        ("@here and @channel as words", "@here and @channel as words"),
        ("", ""),
    ],
)
def test_typed_text_is_sent_as_slack_shows_it_typed(typed: str, sent: str) -> None:
    assert from_typed(typed) == sent


def test_a_link_escapes_its_url_and_label() -> None:
    assert link("https://x.test/?a=1&b=2", "R&D <notes>") == (
        "<https://x.test/?a=1&amp;b=2|R&amp;D &lt;notes&gt;>"
    )
    assert link("https://x.test/a|b", "a|b") == "<https://x.test/a%7Cb|a¦b>"  # | ends either
    assert render_text(link("https://x.test/?a=1&b=2", "R&D <notes>"), {}, {}) == "R&D <notes>"


# Pieces typed text is made of at random: Slack's control characters and sequences, entities,
# near misses, plain words, non-ASCII and newlines.
PIECES = (
    *"<>&|!@#^ \n",
    "&amp;",
    "&lt;",
    "&gt;",
    "&amp;lt;",
    "&copy;",
    "&",
    "&&",
    "<!here>",
    "<!channel>",
    "<!everyone>",
    "<!subteam^S1|@team>",
    "<!date^1^{date}|x>",
    "<https://x.test|label>",
    "<https://x.test>",
    "<mailto:a@b.test>",
    "<@U1ABCDEFG|ada>",
    "<@u1>",
    "<#C1ABCDEFG|dev>",
    "<@",
    "#C1",
    "U1ABCDEFG|>",
    "word",
    "日本",
    "ü",
    "@here",
)
MENTIONS = ("<@U1ABCDEFG>", "<@W2BCDEFGH>", "<#C1ABCDEFG>", "<#G9ZZZZZZZ>")
_CONTROL = re.compile(r"(<[^<>]*>)")


def typed_texts(seed: int, rounds: int, pieces: tuple[str, ...]) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(pieces, k=rng.randint(0, 12))) for _ in range(rounds)]


def slack_reads(text: str) -> tuple[str, list[str]]:
    """How Slack reads message text ("Escaping text"): `<` to `>` is a control sequence, and
    outside them `&amp;` `&lt;` `&gt;` are the three characters, which appear nowhere else.
    -> (the characters shown, each sequence as it is; the control sequences)."""
    shown, controls = [], []
    for part in _CONTROL.split(text):
        if part.startswith("<"):
            controls.append(part)
            shown.append(part)
            continue
        assert "<" not in part and ">" not in part, (text, part)
        assert re.fullmatch(r"([^&]|&(amp|lt|gt);)*", part, re.DOTALL), (text, part)
        shown.append(unescape(part))
    return "".join(shown), controls


@pytest.mark.parametrize("seed", range(4))
def test_typed_text_reads_back_as_typed_and_never_broadcasts(seed: int) -> None:
    """For any typed text, what Slack reads from the text sent is the typed text, and its
    only control sequences are the mentions and channel links typed: no broadcast, no user
    group, no link, whatever was typed."""
    for typed in typed_texts(seed, 500, (*PIECES, *MENTIONS)):
        sent = from_typed(typed)
        shown, controls = slack_reads(sent)
        assert shown == typed
        assert all(c in MENTIONS for c in controls), (typed, sent, controls)
        assert "<!" not in sent and "<http" not in sent and "<mailto" not in sent


@pytest.mark.parametrize("seed", range(4))
def test_typed_text_shows_as_typed_in_zen_tui_too(seed: int) -> None:
    """zen-tui's own reading of Slack text gives back what was typed (mentions aside: those
    show as @name)."""
    for typed in typed_texts(seed, 500, PIECES):
        assert render_text(from_typed(typed), USERS, CHANNELS) == typed


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
