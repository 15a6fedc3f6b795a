"""search.messages for the Slack simulator: a small query language (words, `in:#channel`,
`from:@user`) over what the viewer can see, and the page-based result body."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from zen_tui.simulator.slack.model import Channel, Message, SlackUser

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


def result_page(
    hits: list[Hit], count: int, page: int, users: dict[str, SlackUser], team_id: str
) -> dict[str, Any]:
    """The `messages` object: one page of matches with both `paging` and `pagination`."""
    pages = max(1, -(-len(hits) // count))
    chunk = hits[(page - 1) * count : page * count]
    return {
        "total": len(hits),
        "matches": [_match(chan, msg, users, team_id) for chan, msg in chunk],
        "paging": {"count": count, "total": len(hits), "page": page, "pages": pages},
        "pagination": {
            "total_count": len(hits),
            "page": page,
            "per_page": count,
            "page_count": pages,
            "first": (page - 1) * count + 1,
            "last": (page - 1) * count + len(chunk),
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
