"""Slack JSON -> Message items; ok:false -> the matching GatewayError."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from zen_tui.gateway.errors import ApiError, AuthExpired, GatewayError, ItemGone
from zen_tui.models import Message, Reaction
from zen_tui.services.fields import Reader
from zen_tui.services.markers import strip_zw

ARCHIVED = "is_archived"  # a write in an archived channel (chat.postMessage, reactions.add)
_AUTH = {"invalid_auth", "token_revoked", "token_expired", "not_authed", "account_inactive"}
_HINTS = {
    "channel_not_found": "check the channel name or id in the section, and that you can see it",
    "not_in_channel": "join the channel in Slack first",
    ARCHIVED: "the channel is archived: read-only until someone unarchives it in Slack",
    "thread_not_found": "the thread was deleted",
    "message_not_found": "the message was deleted",
    "not_allowed_token_type": "search.messages needs a user token (xoxp), not a bot token",
    "msg_too_long": "the message is longer than Slack takes (40,000 characters): shorten it",
}
# Codes that say the channel or message is not there for this token (left, private, deleted).
GONE_CODES = frozenset(
    {"channel_not_found", "not_in_channel", "thread_not_found", "message_not_found"}
)


class NotInChannel(ItemGone):
    """Slack's `not_in_channel`: the channel is there (a public one), this token is not a
    member of it. Slack's `channel_not_found` (a plain ItemGone) says less: no channel by
    that id this token can see (a typo, a private channel it is not in, one deleted)."""


class ChannelArchived(ApiError):
    """Slack's `is_archived`: the channel is archived, read-only. A write there is refused
    until someone unarchives it in Slack; resending it meanwhile cannot help."""


_KINDS: dict[str, type[ApiError]] = {"not_in_channel": NotInChannel, ARCHIVED: ChannelArchived}


def slack_error(body: dict[str, Any], *, account: str, method: str) -> GatewayError:
    """ok:false -> AuthExpired / ChannelArchived / ItemGone / ApiError with Slack's code and
    what to do. (A `ratelimited` one never comes here: the gateway takes it for a rate limit,
    ServiceProfile.is_rate_limited, and pauses the method's bucket as for a 429.)"""
    code = str(body.get("error") or "unknown_error")
    ctx: dict[str, Any] = {"service": "slack", "account": account, "endpoint": method}
    if code in _AUTH:
        return AuthExpired(**ctx, message=f"Slack says {code}; log in to the workspace again")
    if code == "missing_scope":
        needed = body.get("needed") or "a scope this token lacks"
        hint = f"the token needs the {needed} scope; reinstall the app with it"
    else:
        hint = _HINTS.get(code, "see https://api.slack.com/methods/" + method)
    kind = _KINDS.get(code, ItemGone if code in GONE_CODES else ApiError)
    return kind(**ctx, message=f"{method}: {code} ({hint})")


# Slack's mrkdwn references: <@U123>, <@U123|name>, <#C123|dev>, <!here>, <!subteam^S1|@team>,
# <https://x|text>, <mailto:a@b|a@b>. https://api.slack.com/reference/surfaces/formatting
_REF = re.compile(r"<([@#!]?)([^<>|]+)(?:\|([^<>]*))?>")
_USER_REF = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")
# What typed text may keep as Slack reads it: a mention of a person or a link to a channel
# by id, as the page above writes them (no label). A terminal has no mention picker, so
# typing <@U0123ABCD> is the one way to mention someone, and nobody types it meaning the
# characters. Nothing else survives: <!here>, <!channel>, <!everyone>, <!subteam^…> notify
# many people, and <url|label> hides where a link goes.
_KEPT_REF = re.compile(r"<(?:@[UW][A-Z0-9]{2,}|#[CG][A-Z0-9]{2,})>")
# Slack escapes exactly these three in message text (the page above, "Escaping text"); a
# user's typed "&copy;" arrives as "&amp;copy;". One pass, so "&amp;lt;" becomes "&lt;".
# (Not html.unescape: it knows 2,000 other entities and loads them, 0.3 MiB, for nothing.)
_ESCAPED = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}


def mentioned_users(text: str) -> list[str]:
    """The user ids referenced as <@U123> in a message, in order, without repeats."""
    return list(dict.fromkeys(_USER_REF.findall(text)))


def render_text(text: str, users: Mapping[str, str], channels: Mapping[str, str]) -> str:
    """mrkdwn references -> what Slack shows: @name, #channel, @here, link text; the text
    around them and their labels unescaped (names from users.info are plain: kept as they are)."""

    def one(m: re.Match[str]) -> str:
        sigil, target = m.group(1), m.group(2)
        label = unescape(m.group(3) or "")
        if sigil == "@":
            return "@" + (label or users.get(target) or target)
        if sigil == "#":
            return "#" + (label or channels.get(target) or target)
        if sigil == "!":
            if label:
                return label if label.startswith("@") or "^" in target else f"@{label}"
            return "@" + target.split("^", 1)[0]
        return label or unescape(target)

    return _around(_REF, text, inside=one, outside=unescape)


def from_typed(text: str) -> str:
    """What a person typed -> message text Slack shows as typed: & < > escaped, so nothing
    typed becomes a control sequence (a broadcast, a hidden link); only a mention <@U…> or a
    channel link <#C…> by id is kept, so that it works (`_KEPT_REF`)."""
    return _around(_KEPT_REF, text, inside=lambda m: m.group(), outside=escape)


def escape(text: str) -> str:
    """& < > as Slack asks them escaped in message text (all of it: no reference survives)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack's &amp; &lt; &gt; back to & < > (nothing else is escaped)."""
    return _ESCAPED.sub(lambda m: _UNESCAPED[m.group(1)], text)


def link(url: str, label: str) -> str:
    """<url|label>, a link Slack shows as its label. Both escaped; a `|` would end the URL
    (percent-encoded, as a URL may write it) or the label early (shown as ¦)."""
    return f"<{escape(url).replace('|', '%7C')}|{escape(label).replace('|', '¦')}>"


def _around(
    pattern: re.Pattern[str],
    text: str,
    *,
    inside: Callable[[re.Match[str]], str],
    outside: Callable[[str], str],
) -> str:
    """`text` with each match of `pattern` through `inside` and the text between through
    `outside`: one pass, so what one makes is never read again by the other."""
    out: list[str] = []
    end = 0
    for m in pattern.finditer(text):
        out += (outside(text[end : m.start()]), inside(m))
        end = m.end()
    out.append(outside(text[end:]))
    return "".join(out)


def is_user_id(name: str) -> bool:
    """A DM's "channel name" in search results is the other person's user id."""
    return bool(_USER_ID.match(name))


def ts_to_iso(ts: str) -> str:
    try:
        when = datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError):
        return ts
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def permalink(team_url: str, channel: str, ts: str) -> str:
    return f"{team_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def parse_message(
    r: Reader,
    raw: Any,
    *,
    account: str,
    channel_id: str,
    channel: str,
    author: str,
    me: str | None,
    team_url: str,
    users: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
) -> Message:
    ts = r.text(raw, "ts")
    raw_text = strip_zw(r.opt_text(raw, "text") or "")
    text = render_text(raw_text, users or {}, channels or {})
    edited = r.opt_obj(raw, "edited")
    key = f"{channel_id}:{ts}"
    return Message(
        id=f"{account}:{key}",
        account=account,
        service="slack",
        key=key,
        title=text.split("\n", 1)[0][:200],
        url=r.opt_text(raw, "permalink") or permalink(team_url, channel_id, ts),
        updated_at=ts_to_iso((r.opt_text(edited, "ts") if edited else None) or ts),
        channel=channel,
        channel_id=channel_id,
        author=author,
        text=text,
        ts=ts,
        thread_ts=r.opt_text(raw, "thread_ts"),
        reply_count=r.opt_integer(raw, "reply_count") or 0,
        latest_reply=r.opt_text(raw, "latest_reply"),
        broadcast=r.opt_text(raw, "subtype") == "thread_broadcast",
        reactions=tuple(_reaction(r, x, me) for x in r.opt_arr(raw, "reactions")),
        mentions_me=bool(me) and me in mentioned_users(raw_text),
    )


def _reaction(r: Reader, raw: Any, me: str | None) -> Reaction:
    users = r.opt_arr(raw, "users")
    return Reaction(r.text(raw, "name"), r.opt_integer(raw, "count") or len(users), me in users)


def author_id(r: Reader, raw: Any) -> str:
    return r.opt_text(raw, "user") or r.opt_text(raw, "bot_id") or ""


def posted_as(r: Reader, raw: Any) -> str | None:
    """The name an integration's post (Slack's `bot_message`: no `user`) was sent under:
    its `username`, else its bot profile's name. None for a person's message, whose name
    comes from users.info (which knows no bot ids: `user_not_found`)."""
    if r.opt_text(raw, "user"):
        return None
    profile = r.opt_obj(raw, "bot_profile") or {}
    return r.opt_text(raw, "username") or r.opt_text(profile, "name")


def display_name(r: Reader, user: dict[str, Any]) -> str:
    profile = r.opt_obj(user, "profile") or {}
    return (
        r.opt_text(profile, "display_name")
        or r.opt_text(user, "real_name")
        or r.opt_text(user, "name")
        or r.text(user, "id")
    )
