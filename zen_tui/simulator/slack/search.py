"""search.messages for the Slack simulator: a small query language (words, `in:#channel`,
`from:@user`) over what the viewer can see, and the result body.

Slack's reference documents two ways to page it: by number (`page` and `count`, with
`paging` and `pagination` saying how many pages there are) and by cursor ("cursormark"):
`cursor=*` for the first page, then each answer's `response_metadata.next_cursor`, empty at
the end. A cursor here names the last match given, so a message that matches while a client
pages (a new mention) neither repeats a match on the next page nor pushes one out of it, as
it does to numbered pages.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable
from typing import Any

from zen_tui.simulator.slack.model import Channel, Message, SlackUser, ts_us

Hit = tuple[Channel, Message]


def find(
    channels: Iterable[Channel], users: dict[str, SlackUser], viewer: str, query: str
) -> list[Hit]:
    """Messages in the viewer's conversations containing every plain word of `query`."""
    words, where, author = [], None, None
    for word in query.split():
        if word.startswith("in:"):
            where = word[3:].lstrip("#")
        elif word.startswith("from:"):
            author = word[5:].lstrip("@").strip("<>@")
        else:
            words.append(word.lower())
    hits = []
    for chan in channels:
        if viewer not in chan.members or where not in (None, chan.name, chan.id):
            continue
        for msg in chan.messages.values():
            name = users[msg.user].name if msg.user in users else ""
            if author in (None, msg.user, name) and all(w in msg.text.lower() for w in words):
                hits.append((chan, msg))
    return hits


def hit_key(hit: Hit) -> tuple[int, str]:
    """The order of matches (by time; the channel breaks a tie) and what a cursor names."""
    chan, msg = hit
    return ts_us(msg.ts), chan.id


def cursor_after(hit: Hit) -> str:
    us, channel = hit_key(hit)
    return base64.b64encode(f"search:{us}:{channel}".encode()).decode()


def cursor_start(hits: list[Hit], cursor: str, *, descending: bool) -> int | None:
    """Where the page after `cursor` starts in `hits` (sorted); 0 for `*`, None for a
    cursor that is not one of ours."""
    if cursor == "*":
        return 0
    try:
        kind, us, channel = base64.b64decode(cursor, validate=True).decode().split(":")
        boundary = (int(us), channel)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if kind != "search":
        return None
    for i, hit in enumerate(hits):
        key = hit_key(hit)
        if (key < boundary) if descending else (key > boundary):
            return i
    return len(hits)


def result_page(
    hits: list[Hit], count: int, start: int, users: dict[str, SlackUser], team_id: str
) -> dict[str, Any]:
    """The `messages` object: `count` matches from `start`, with `paging` and `pagination`
    (numbered pages: `start` is a page's first match)."""
    pages = max(1, -(-len(hits) // count))
    page = start // count + 1
    chunk = hits[start : start + count]
    return {
        "total": len(hits),
        "matches": [_match(chan, msg, users, team_id) for chan, msg in chunk],
        "paging": {"count": count, "total": len(hits), "page": page, "pages": pages},
        "pagination": {
            "total_count": len(hits),
            "page": page,
            "per_page": count,
            "page_count": pages,
            "first": start + 1,
            "last": start + len(chunk),
        },
    }


def _match(
    chan: Channel, msg: Message, users: dict[str, SlackUser], team_id: str
) -> dict[str, Any]:
    return {
        "iid": str(uuid.uuid5(uuid.NAMESPACE_URL, chan.id + msg.ts)),
        "team": team_id,
        "channel": {
            "id": chan.id,
            "name": chan.name,
            "is_private": chan.kind != "public",
            "is_mpim": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
        },
        "permalink": f"https://zen-sim.slack.com/archives/{chan.id}/p{msg.ts.replace('.', '')}",
        "text": msg.text,
        "ts": msg.ts,
        "type": "message",
        "user": msg.user,
        "username": users[msg.user].name if msg.user in users else msg.username or "",
    }
