"""Slack simulator state: users, channels, messages with threads and reactions, and their
Web API JSON shapes. Timestamps (`ts`) are "seconds.micro" strings, unique per workspace."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

_NAMES = ("ada", "grace", "alan", "edsger", "barbara", "ken", "radia", "donald")
_PUBLIC = ("general", "random", "dev", "ops", "incidents", "design")
_PRIVATE = ("leads", "secret-project")
_LINES = (
    "Deploy is green",
    "Can someone review my PR?",
    "The flaky test is back",
    "Lunch?",
    "Incident resolved, writing the postmortem",
    "Release notes drafted",
    "Is the search index rebuilt?",
    "Pairing on the rate limiter after standup",
)
EMOJI = ("thumbsup", "eyes", "tada", "white_check_mark", "rocket", "heart")


def ts_us(ts: str) -> int:
    """Microseconds of a Slack ts; ValueError when it is not one."""
    sec, _, micro = ts.partition(".")
    return int(sec) * 1_000_000 + int(micro.ljust(6, "0")[:6] or 0)


def us_ts(us: int) -> str:
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


@dataclass
class SlackUser:
    id: str
    name: str
    real_name: str
    is_bot: bool = False
    # The profile's display name, which the person changes in Slack (rename_user); their
    # `name` (the handle) stays. None: the handle, as seeded.
    display_name: str | None = None
    updated: int = 1700000000  # when the profile last changed (epoch s), as users.info says


@dataclass
class Message:
    ts: str
    user: str
    text: str
    thread_ts: str | None = None
    replies: list[str] = field(default_factory=list)  # reply ts, ascending (parents only)
    reactions: dict[str, list[str]] = field(default_factory=dict)
    bot_id: str | None = None
    edited: dict[str, str] | None = None  # {"user", "ts"} once chat.update changed the text
    # "tombstone": a deleted thread parent whose replies remain; "thread_broadcast": a reply
    # also sent to the channel (it is in the channel's history as well as in its thread)
    subtype: str | None = None
    # An integration's post (an incoming webhook, a legacy bot): Slack's `bot_message`, with
    # the name it posted as and its bot_id, and no `user` (`user` here is "").
    username: str | None = None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_json(self, channel: Channel | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "message", "user": self.user, "text": self.text}
        if self.username is not None:
            del body["user"]
            body["username"] = self.username
        body["ts"] = self.ts
        if self.bot_id:
            body["bot_id"] = self.bot_id
        if self.subtype:
            body["subtype"] = self.subtype
        if self.edited:
            body["edited"] = dict(self.edited)
        if self.thread_ts:
            body["thread_ts"] = self.thread_ts
        if self.replies and channel is not None:
            users = sorted({channel.messages[r].user for r in self.replies})
            body.update(
                reply_count=len(self.replies),
                reply_users_count=len(users),
                reply_users=users,
                latest_reply=self.replies[-1],
            )
        if self.is_reply and channel is not None and self.thread_ts in channel.messages:
            body["parent_user_id"] = channel.messages[self.thread_ts].user
        if self.reactions:
            body["reactions"] = [
                {"name": n, "users": list(u), "count": len(u)} for n, u in self.reactions.items()
            ]
        return body


@dataclass
class Channel:
    id: str
    name: str
    kind: str  # public | private | im
    created: int
    members: set[str]
    im_user: str | None = None
    archived: bool = False  # read-only: history readable, posts refused (`is_archived`)
    messages: dict[str, Message] = field(default_factory=dict)
    timeline: list[int] = field(default_factory=list)  # top-level message us, ascending

    def add(self, msg: Message) -> None:
        self.messages[msg.ts] = msg
        if msg.is_reply and msg.thread_ts is not None:
            self.messages[msg.thread_ts].replies.append(msg.ts)
        if not msg.is_reply or msg.subtype == "thread_broadcast":
            self.timeline.append(ts_us(msg.ts))  # ts are issued in increasing order

    def remove(self, msg: Message) -> None:
        """Gone from history (a top-level message, a broadcast reply) and from its thread."""
        del self.messages[msg.ts]
        if msg.is_reply and msg.thread_ts in self.messages:
            self.messages[msg.thread_ts].replies.remove(msg.ts)
        if not msg.is_reply or msg.subtype == "thread_broadcast":
            self.timeline.remove(ts_us(msg.ts))

    def to_json(self, viewer: str) -> dict[str, Any]:
        if self.kind == "im":
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": self.kind == "public",
            "is_group": self.kind == "private",
            "is_im": False,
            "is_mpim": False,
            "is_private": self.kind == "private",
            "created": self.created,
            "is_archived": self.archived,
            "is_general": self.name == "general",
            "unlinked": 0,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "parent_conversation": None,
            "creator": sorted(self.members)[0],
            "is_member": viewer in self.members,
            "num_members": len(self.members),
            "previous_names": [],
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": f"#{self.name}", "creator": "", "last_set": 0},
        }


def user_json(u: SlackUser, team_id: str) -> dict[str, Any]:
    profile = {
        "real_name": u.real_name,
        "real_name_normalized": u.real_name,
        "display_name": u.display_name or u.name,
        "display_name_normalized": u.display_name or u.name,
        "email": f"{u.name}@example.com",
        "avatar_hash": "g0",
        "status_text": "",
        "status_emoji": "",
        "image_original": f"https://example.invalid/avatar/{u.id}.png",
        "team": team_id,
        **{
            f"image_{s}": f"https://example.invalid/avatar/{u.id}_{s}.png"
            for s in (24, 32, 48, 72, 192, 512)
        },
    }
    return {
        "id": u.id,
        "team_id": team_id,
        "name": u.name,
        "deleted": False,
        "color": "9f69e7",
        "real_name": u.real_name,
        "tz": "UTC",
        "tz_label": "Coordinated Universal Time",
        "tz_offset": 0,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": u.is_bot,
        "is_app_user": False,
        "updated": u.updated,
        "has_2fa": False,
    }


def ident(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(10))


def seed_people(rng: random.Random) -> tuple[SlackUser, list[SlackUser], SlackUser]:
    me = SlackUser(ident(rng, "U"), "me", "Me (simulated)")
    others = [SlackUser(ident(rng, "U"), n, n.title()) for n in _NAMES]
    bot = SlackUser(ident(rng, "U"), "zen-tui", "zen-tui bot", is_bot=True)
    return me, others, bot


def seed_channels(
    rng: random.Random, me: str, others: list[str], bot: str, now: float
) -> list[Channel]:
    created = int(now) - 400 * 86400
    chans = [Channel(ident(rng, "C"), n, "public", created, {me, bot, *others}) for n in _PUBLIC]
    chans += [Channel(ident(rng, "G"), n, "private", created, {me, *others[:3]}) for n in _PRIVATE]
    chans += [Channel(ident(rng, "D"), o, "im", created, {me, o}, im_user=o) for o in others[:3]]
    return chans


def seed_messages(rng: random.Random, chans: list[Channel], count: int, me: str, now: float) -> int:
    """`count` messages over the last 14 days; ~15% replies, ~10% mention `me`.
    Returns the last issued ts in microseconds."""
    us = int((now - 14 * 86400) * 1_000_000)
    step = max(1, int(14 * 86400 * 1_000_000 / max(count, 1) * 0.9))
    for _ in range(count):
        us += rng.randint(1, step)
        chan = rng.choice(chans)
        author = rng.choice(sorted(chan.members - {me}) or [me])
        text = rng.choice(_LINES)
        if rng.random() < 0.1:
            text = f"<@{me}> {text.lower()}"
        parents = chan.timeline[-20:]
        thread = us_ts(rng.choice(parents)) if parents and rng.random() < 0.15 else None
        msg = Message(us_ts(us), author, text, thread_ts=thread)
        if rng.random() < 0.2:
            msg.reactions[rng.choice(EMOJI)] = [rng.choice(sorted(chan.members))]
        if thread:
            chan.messages[thread].thread_ts = thread
        chan.add(msg)
    return us
