"""Simulated Slack Web API under `/slack/api/<method>` (plus OAuth v2 under `/slack/oauth`).

Two tokens exist: the account token given to the constructor is a *user* token (xoxp-like,
acts as "me", may call search.messages) and `bot_token` is a bot token (xoxb-like; sees
public channels and its own, gets not_allowed_token_type from search.messages). Tokens go in
`Authorization: Bearer` (or a POST body field); a token in the query string is refused.
Errors are HTTP 200 with ok:false; rate limits are 429 + Retry-After per method tier.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zen_tui.simulator.core.budget import FixedWindow
from zen_tui.simulator.core.oauth import request_params
from zen_tui.simulator.core.world import ServiceSim, World
from zen_tui.simulator.slack.model import (
    EMOJI,
    Channel,
    Message,
    SlackUser,
    ident,
    seed_channels,
    seed_messages,
    seed_people,
    ts_us,
    us_ts,
    user_json,
)
from zen_tui.simulator.slack.oauth import SlackOAuth, rotating_token
from zen_tui.simulator.slack.search import (
    cursor_after,
    cursor_start,
    find,
    hit_key,
    result_page,
)

Params = dict[str, str]
ALL_SCOPES = frozenset(
    {
        "channels:read",
        "groups:read",
        "im:read",
        "mpim:read",
        "channels:history",
        "groups:history",
        "im:history",
        "mpim:history",
        "users:read",
        "chat:write",
        "reactions:write",
        "search:read",
    }
)
TEAM_URL = "https://zen-sim.slack.com/"
# "special": auth.test and chat.getPermalink ("hundreds of requests per minute", their
# references say; the floor of that here); "post": chat.postMessage, per channel.
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100, "special": 100, "post": 60}
CHANNEL_TYPE = {"public": "channel", "private": "group", "im": "im"}  # an event's channel_type
TOMBSTONE = "This message was deleted."  # what a deleted thread parent says, as in Slack
SLACKBOT = "USLACKBOT"


class SlackError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.body = {"ok": False, "error": error, **extra}


@dataclass(frozen=True)
class TokenInfo:
    kind: str  # "user" | "bot"
    user_id: str
    scopes: frozenset[str]
    expires_at: float | None = None  # rotating (OAuth) tokens: world-clock epoch seconds


@dataclass(frozen=True)
class Method:
    run: Callable[[TokenInfo, Params], dict[str, Any]]
    tier: int | str
    scope: str | None


class SlackSim(ServiceSim):
    name = "slack"
    prefix = "/slack"
    api_suffix = "/api"  # like slack.com/api: OAuth pages sit beside it under /slack/oauth
    # see /_sim/settings; left_channels: channels (comma-separated names or ids) the user has
    # left: history and replies answer `not_in_channel` (a public one) or `channel_not_found`
    # (a private one, which the user no longer sees at all), with no event about the messages.
    # archived_channels: channels (names or ids) archived: `is_archived: true`, left out of
    # conversations.list with `exclude_archived=true`, history still readable, posting
    # answers `is_archived`. short_page_rate: the share of pages (conversations.list,
    # .history, .replies, users.list) that bring fewer than `limit` items while next_cursor
    # still points on, which Slack's pagination guide says a client must expect.
    settings: ClassVar[dict[str, type]] = {
        "non_marketplace": bool,
        "left_channels": str,
        "archived_channels": str,
        "short_page_rate": float,
    }
    short_page_rate = 0.0

    def __init__(self, world: World, token: str) -> None:
        super().__init__(world, token)
        rng = world.rng
        self.team_id, self.app_id = ident(rng, "T"), ident(rng, "A")
        self.me, others, self.bot = seed_people(rng)
        self.users: dict[str, SlackUser] = {u.id: u for u in (self.me, *others, self.bot)}
        self.bot_id = ident(rng, "B")
        self.bot_token = "xoxb-" + "-".join(str(rng.randrange(10**12)) for _ in range(2))
        self.tokens: dict[str, TokenInfo] = {
            token: TokenInfo("user", self.me.id, ALL_SCOPES),
            self.bot_token: TokenInfo("bot", self.bot.id, ALL_SCOPES - {"search:read"}),
        }
        self.channels: dict[str, Channel] = {}
        self._left: set[str] = set()  # ids of the channels the user left (left_channels)
        self._last_us = 0
        # The May-2025 rule for non-Marketplace apps: history/replies 1 rpm, limit <= 15.
        self.non_marketplace = False
        self._budgets: dict[str, FixedWindow] = {}
        self.warned: Counter[str] = Counter()  # the warnings answered, by code
        ids = {
            "team_id": self.team_id,
            "app_id": self.app_id,
            "user_id": self.me.id,
            "bot_user_id": self.bot.id,
        }
        self.oauth = SlackOAuth(world.clock, ids, self._grant)
        self.methods: dict[str, Method] = {
            "auth.test": Method(self.auth_test, "special", None),
            "conversations.list": Method(self.conversations_list, 2, "channels:read"),
            "conversations.history": Method(self.history, 3, "channels:history"),
            "conversations.replies": Method(self.replies, 3, "channels:history"),
            "users.info": Method(self.users_info, 4, "users:read"),
            "users.list": Method(self.users_list, 2, "users:read"),
            "chat.postMessage": Method(self.post_message, "post", "chat:write"),
            "chat.update": Method(self.update_message, 3, "chat:write"),
            "chat.delete": Method(self.delete_message, 3, "chat:write"),
            # Slack lists no scope for it.
            "chat.getPermalink": Method(self.get_permalink, "special", None),
            "reactions.add": Method(self.reactions_add, 3, "reactions:write"),
            "reactions.remove": Method(self.reactions_remove, 2, "reactions:write"),
            "search.messages": Method(self.search, 2, "search:read"),
        }

    # -- ServiceSim ---------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        now = self.world.clock()
        others = [u for u in self.users if u not in (self.me.id, self.bot.id)]
        chans = seed_channels(self.world.rng, self.me.id, others, self.bot.id, now)
        self.channels = {c.id: c for c in chans}
        self._last_us = seed_messages(self.world.rng, chans, count, self.me.id, now)

    def envelope_fields(self) -> dict[str, Any]:
        return {"team_id": self.team_id, "api_app_id": self.app_id, "authed_users": [self.me.id]}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/oauth.v2.access", self.oauth.access, methods=["GET", "POST"]),
            Route("/api/{method}", self.dispatch, methods=["GET", "POST"]),
            *self.oauth.routes(),
            Route("/{path:path}", self.no_method, methods=["GET", "POST", "PUT", "DELETE"]),
        ]

    async def no_method(self, request: Request) -> Response:
        """Anything else (`/api/` without a method, a typo): Slack's own answer, not a 404 page."""
        return JSONResponse({"ok": False, "error": "unknown_method"})

    def rate_limited_response(self, retry_after: float, reason: str = "") -> Response:
        return JSONResponse(
            {"ok": False, "error": "ratelimited"},
            status_code=429,
            headers={"Retry-After": str(max(1, int(retry_after + 0.999)))},
        )

    def error_response(self, status: int, message: str) -> Response:
        """ok:false with a Slack-style error code; the free text goes to response_metadata."""
        code = {503: "service_unavailable", 504: "request_timeout"}.get(status, "internal_error")
        if status < 500:
            code = "invalid_request"
        body = {"ok": False, "error": code, "response_metadata": {"messages": [message]}}
        return JSONResponse(body, status_code=status)

    def refusal_response(self, code: str) -> Response:
        """HTTP 200 `{"ok": false, "error": code}`: how Slack reports most failures, an
        invalid token, a channel not found, an internal error alike."""
        body = {"ok": False, "error": code}
        return JSONResponse(body, headers={"X-Slack-Req-Id": uuid.uuid4().hex})

    def activity(self) -> None:
        """A colleague posts (sometimes mentioning me), replies in a thread, reacts, or now
        and then edits or deletes one of their own recent messages."""
        with self.world.lock:
            rng = self.world.rng
            chan = rng.choice(
                [c for c in self.channels.values() if c.kind != "im" and not c.archived]
            )
            author = rng.choice(sorted(chan.members - {self.me.id, self.bot.id}))
            recent = [us_ts(u) for u in chan.timeline[-10:]]
            theirs = [chan.messages[ts] for ts in recent if chan.messages[ts].user == author]
            roll = rng.random()
            if roll < 0.25 and recent:  # now and then also sent to the channel
                thread = rng.choice(recent)
                self.post(chan, author, "Following up on this.", thread, broadcast=roll < 0.05)
            elif roll < 0.45 and recent:
                self._react(chan, chan.messages[rng.choice(recent)], author, rng.choice(EMOJI))
            elif roll >= 0.96 and theirs:
                self.delete(chan, rng.choice(theirs))
            elif roll >= 0.9 and theirs:
                msg = rng.choice(theirs)
                self.edit(chan, msg, msg.text.removesuffix(" (edited)") + " (edited)")
            else:
                text = f"<@{self.me.id}> can you take a look?" if roll < 0.7 else "Status update"
                self.post(chan, author, text, None)

    def _grant(
        self, kind: str, user_id: str, scopes: frozenset[str], ttl: float | None = None
    ) -> str:
        """Register an OAuth-issued token (expiring after `ttl` seconds, if given): a
        rotating one in Slack's shape for those (`xoxe.xoxp-1-…`, `xoxe.xoxb-1-…`), a
        long-lived one as `xoxp-…` / `xoxb-…`."""
        prefix = "xoxp-" if kind == "user" else "xoxb-"
        if ttl is None:
            token = prefix + uuid.uuid4().hex
        else:
            token = rotating_token(f"xoxe.{prefix}1-", self.team_id, user_id)
        expires_at = None if ttl is None else self.world.clock() + ttl
        self.tokens[token] = TokenInfo(kind, user_id, scopes, expires_at)
        return token

    # -- dispatch -----------------------------------------------------------------------------
    async def dispatch(self, request: Request) -> Response:
        method = self.methods.get(request.path_params["method"])
        headers = {"X-Slack-Req-Id": uuid.uuid4().hex}
        if method is None:
            return JSONResponse({"ok": False, "error": "unknown_method"}, headers=headers)
        try:
            params = await _params(request)
        except SlackError as exc:
            return JSONResponse(exc.body, headers=headers)
        with self.world.lock:
            try:
                info = self._auth(request, params, method)
                budget = self._budget(request.path_params["method"], method, params)
                if not budget.take():
                    return self.rate_limited_response(budget.retry_after())
                self.world.counters.spend("slack", f"tier{method.tier}")
                body = {"ok": True, **method.run(info, params)}
                self._warn(body, charset_warning(request))
            except SlackError as exc:
                body = exc.body
        return JSONResponse(body, headers=headers)

    def _warn(self, body: dict[str, Any], warning: tuple[str, str] | None) -> None:
        """A request Slack took but would have sent otherwise: `ok: true` all the same, with
        the `warning` code (a comma-separated string) and, in `response_metadata`, the codes
        and Slack's "[WARN] ..." messages beside any `next_cursor`."""
        if warning is None:
            return
        code, message = warning
        self.warned[code] += 1
        body["warning"] = code
        meta = body.setdefault("response_metadata", {})
        meta.setdefault("warnings", []).append(code)
        meta.setdefault("messages", []).append(f"[WARN] {message}")

    def _auth(self, request: Request, params: Params, method: Method) -> TokenInfo:
        if "token" in request.query_params:
            raise SlackError(
                "invalid_auth",
                warning="token_in_query_string_not_allowed",
                response_metadata={
                    "messages": ["[ERROR] Send the token in the Authorization: Bearer header."]
                },
            )
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token if scheme.lower() == "bearer" else params.get("token", "")
        if not token:
            raise SlackError("not_authed")
        info = self.tokens.get(token)
        if info is None:
            raise SlackError("invalid_auth")
        if info.expires_at is not None and self.world.clock() >= info.expires_at:
            raise SlackError("token_expired")  # a rotating token past expires_in: HTTP 200
        if method.scope == "search:read" and info.kind != "user":
            raise SlackError("not_allowed_token_type")
        if method.scope and method.scope not in info.scopes:
            raise SlackError(
                "missing_scope", needed=method.scope, provided=",".join(sorted(info.scopes))
            )
        return info

    def _budget(self, name: str, method: Method, params: Params) -> FixedWindow:
        tier: int | str = method.tier
        if self.non_marketplace and name in ("conversations.history", "conversations.replies"):
            tier = 1
        key = f"{name}:{params.get('channel', '')}" if tier == "post" else name
        per_minute = max(1, int(TIER_PER_MINUTE[tier] * self.world.rate_scale))
        budget = self._budgets.setdefault(key, FixedWindow(per_minute, 60.0, self.world.clock))
        budget.limit = per_minute
        return budget

    @property
    def left_channels(self) -> str:
        return ",".join(sorted(self.channels[c].name for c in self._left if c in self.channels))

    @left_channels.setter
    def left_channels(self, refs: str) -> None:
        """Leave these channels (names with or without '#', or ids); rejoin every other one
        left before."""
        wanted = {r.strip().lstrip("#") for r in refs.split(",") if r.strip()}
        with self.world.lock:
            for chan in self.channels.values():
                if chan.kind == "im":
                    continue
                if chan.id in wanted or chan.name in wanted:
                    if self.me.id in chan.members:
                        chan.members.discard(self.me.id)
                        self._left.add(chan.id)
                elif chan.id in self._left:
                    chan.members.add(self.me.id)
                    self._left.discard(chan.id)

    @property
    def archived_channels(self) -> str:
        return ",".join(sorted(c.name for c in self.channels.values() if c.archived))

    @archived_channels.setter
    def archived_channels(self, refs: str) -> None:
        """Archive these channels (names with or without '#', or ids); unarchive the rest.
        Each change sends its Events API event, as Slack does (archive_event)."""
        wanted = {r.strip().lstrip("#") for r in refs.split(",") if r.strip()}
        with self.world.lock:
            for chan in self.channels.values():
                archived = chan.kind != "im" and (chan.id in wanted or chan.name in wanted)
                if archived != chan.archived:
                    chan.archived = archived
                    self.archive_event(chan)

    def rename_user(self, user_id: str, display_name: str) -> None:
        """For tests and the demo: the person changes their display name in Slack (their
        handle stays). users.info says so from now on, and Slack sends `user_change` (its
        event reference: {type, user, cache_ts, event_ts}, the whole user object)."""
        with self.world.lock:
            user = self.users[user_id]
            user.display_name = display_name
            user.updated = int(self.world.clock())
            event = {
                "type": "user_change",
                "user": user_json(user, self.team_id),
                "cache_ts": user.updated,
                "event_ts": self._next_ts(),
            }
            self.world.emit("slack", "user_change", event)

    def archive_event(self, chan: Channel) -> None:
        """`channel_archive` / `channel_unarchive` for a public channel, `group_archive` /
        `group_unarchive` for a private one, sent only to its members (Slack's event
        reference: {type, channel, user, event_ts}); `user` is who did it, here the
        channel's creator."""
        if chan.kind == "private" and self.me.id not in chan.members:
            return  # Slack tells a private channel's members only
        kind = "channel" if chan.kind == "public" else "group"
        name = f"{kind}_{'archive' if chan.archived else 'unarchive'}"
        event = {
            "type": name,
            "channel": chan.id,
            "user": sorted(chan.members)[0],
            "event_ts": self._next_ts(),
        }
        self.world.emit("slack", name, event)

    def _page_size(self, limit: int, *, least: int = 1) -> int:
        """`limit`, or for a short page (short_page_rate) fewer: between `least` and
        limit - 1. The next cursor then starts where this page stopped."""
        rng = self.world.rng
        if limit > least and self.short_page_rate and rng.random() < self.short_page_rate:
            return rng.randint(least, limit - 1)
        return limit

    def _channel(self, info: TokenInfo, ref: str | None, *, by_name: bool = False) -> Channel:
        """The conversation `ref` names: its ID, as every method takes it, or, `by_name`, its
        name too (with or without '#'): chat.postMessage's `channel` is "an encoded ID, or a
        name", the other methods' a conversation ID, which a name is not (channel_not_found
        in Slack, so a client that sends a name where an ID belongs fails here as there)."""
        chan = self.channels.get(ref or "")
        if chan is None and by_name:
            name = (ref or "").lstrip("#")
            chan = next((c for c in self.channels.values() if c.name == name), None)
        if chan is None or (chan.kind != "public" and info.user_id not in chan.members):
            raise SlackError("channel_not_found")
        return chan

    # -- methods --------------------------------------------------------------------------------
    def auth_test(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        user = self.users[info.user_id]
        body = {
            "url": TEAM_URL,
            "team": "zen-sim",
            "user": user.name,
            "team_id": self.team_id,
            "user_id": user.id,
            "is_enterprise_install": False,
        }
        if info.kind == "bot":
            body["bot_id"] = self.bot_id
        return body

    def conversations_list(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        kinds = {"public_channel": "public", "private_channel": "private", "im": "im"}
        wanted = {kinds[t] for t in p.get("types", "public_channel").split(",") if t in kinds}
        visible = [
            c
            for c in self.channels.values()
            if c.kind in wanted and (c.kind == "public" or info.user_id in c.members)
        ]
        start = _cursor_offset(p.get("cursor"), "offset")
        size = self._page_size(_limit(p, default=100, cap=1000), least=0)
        page = visible[start : start + size]
        more = start + size < len(visible)
        if p.get("exclude_archived") in ("1", "true"):
            # Slack takes the page first and leaves archived channels out of it after, so
            # a page may be short (or empty) mid-list.
            page = [c for c in page if not c.archived]
        return {
            "channels": [c.to_json(info.user_id) for c in page],
            "response_metadata": {"next_cursor": _cursor("offset", start + size) if more else ""},
        }

    def history(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        chan = self._member_channel(info, p.get("channel"))
        within = _window(p)
        stamps = [u for u in chan.timeline if within(u)]
        if p.get("cursor"):
            boundary = _cursor_offset(p.get("cursor"), "next_ts")
            stamps = [u for u in stamps if u <= boundary]
        stamps.reverse()  # newest first
        limit = self._page_size(self._history_limit(p))
        page, rest = stamps[:limit], stamps[limit:]
        return {
            "messages": [chan.messages[us_ts(u)].to_json(chan) for u in page],
            "has_more": bool(rest),
            "pin_count": 0,
            "response_metadata": {"next_cursor": _cursor("next_ts", rest[0]) if rest else ""},
        }

    def _history_limit(self, p: Params) -> int:
        if self.non_marketplace:
            return _limit(p, default=15, cap=15)
        return _limit(p, default=100, cap=999)

    def _member_channel(
        self, info: TokenInfo, ref: str | None, *, by_name: bool = False
    ) -> Channel:
        chan = self._channel(info, ref, by_name=by_name)
        if info.user_id not in chan.members:
            raise SlackError("not_in_channel")
        return chan

    def replies(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        chan = self._member_channel(info, p.get("channel"))
        msg = chan.messages.get(p.get("ts", ""))
        if msg is None:
            raise SlackError("thread_not_found")
        parent = chan.messages[msg.thread_ts] if msg.is_reply and msg.thread_ts else msg
        stamps = [ts_us(parent.ts)] + [ts_us(r) for r in parent.replies]
        within = _window(p)  # `inclusive` as for the history: both references say so
        stamps = [u for u in stamps if within(u)]
        if p.get("cursor"):
            boundary = _cursor_offset(p.get("cursor"), "next_ts")
            stamps = [u for u in stamps if u >= boundary]
        limit = self._page_size(self._history_limit(p))
        page, rest = stamps[:limit], stamps[limit:]
        messages = [chan.messages[us_ts(u)].to_json(chan) for u in page]
        if messages and messages[0]["ts"] == parent.ts and info.kind == "user":
            read = parent.replies[-1] if parent.replies else parent.ts
            messages[0].update(last_read=read, subscribed=False, unread_count=0)
        return {
            "messages": messages,
            "has_more": bool(rest),
            "response_metadata": {"next_cursor": _cursor("next_ts", rest[0]) if rest else ""},
        }

    def users_info(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        user = self.users.get(p.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user_json(user, self.team_id)}

    def users_list(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        users = list(self.users.values())
        start = _cursor_offset(p.get("cursor"), "offset")
        limit = self._page_size(_limit(p, default=100, cap=1000))
        more = start + limit < len(users)
        return {
            "members": [user_json(u, self.team_id) for u in users[start : start + limit]],
            "cache_ts": int(self.world.clock()),
            "response_metadata": {"next_cursor": _cursor("offset", start + limit) if more else ""},
        }

    def post_message(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        chan = self._member_channel(info, p.get("channel"), by_name=True)
        if chan.archived:
            raise SlackError("is_archived")
        text = p.get("text", "")
        if not text.strip() and not p.get("blocks"):
            raise SlackError("no_text")
        if len(text) > 40000:
            raise SlackError("msg_too_long")
        thread = p.get("thread_ts") if p.get("thread_ts") in chan.messages else None
        broadcast = thread is not None and p.get("reply_broadcast") in ("1", "true", True)
        msg = self.post(chan, info.user_id, text, thread, broadcast=broadcast)
        self.world.counters.mutation(
            "slack", "message", channel=chan.id, ts=msg.ts, thread_ts=thread
        )
        return {"channel": chan.id, "ts": msg.ts, "message": msg.to_json(chan)}

    def get_permalink(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        """A message's web link; a thread reply's carries thread_ts and cid, as Slack's does."""
        chan = self._channel(info, p.get("channel"))
        msg = chan.messages.get(p.get("message_ts", ""))
        if msg is None:
            raise SlackError("message_not_found")
        link = f"{TEAM_URL}archives/{chan.id}/p{msg.ts.replace('.', '')}"
        if msg.is_reply:
            link += f"?thread_ts={msg.thread_ts}&cid={chan.id}"
        return {"channel": chan.id, "permalink": link}

    def integration_post(self, channel: str, name: str, text: str) -> Message:
        """A post by an integration (an incoming webhook, a CI bot) called `name` in `channel`
        (an id or a name): Slack's `bot_message`, with `username` and a `bot_id` but no
        `user`, which users.info does not know (`user_not_found`); the Events API gets it."""
        with self.world.lock:
            chan = self._channel(TokenInfo("user", self.me.id, ALL_SCOPES), channel, by_name=True)
            bot_id = "B" + hashlib.sha1(name.encode()).hexdigest()[:10].upper()
            msg = Message(
                self._next_ts(), "", text, bot_id=bot_id, subtype="bot_message", username=name
            )
            chan.add(msg)
            event = {**msg.to_json(), "channel": chan.id, "event_ts": msg.ts}
            event["channel_type"] = CHANNEL_TYPE[chan.kind]
            self.world.emit("slack", "message", event)
            return msg

    def post(
        self, chan: Channel, author: str, text: str, thread: str | None, *, broadcast: bool = False
    ) -> Message:
        """A message (or a reply in `thread`, with `broadcast` also sent to the channel) by
        `author`; the Events API gets it.

        As Slack's Events API does: a reply is a plain `message` event with `thread_ts` (and
        `parent_user_id`); a broadcast one has subtype `thread_broadcast` and the parent as
        `root`, with its reply_count and latest_reply. No `message_replied` is sent: Slack's
        docs say it arrives without its subtype over the Events API, i.e. as the reply."""
        bot_id = self.bot_id if author == self.bot.id else None
        if thread and chan.messages[thread].is_reply:  # a broadcast reply: its own thread
            thread = chan.messages[thread].thread_ts
        subtype = "thread_broadcast" if thread and broadcast else None
        msg = Message(self._next_ts(), author, text, thread, bot_id=bot_id, subtype=subtype)
        if thread:
            chan.messages[thread].thread_ts = thread
        chan.add(msg)
        event = {
            **msg.to_json(chan if thread else None),
            "channel": chan.id,
            "event_ts": msg.ts,
            "channel_type": CHANNEL_TYPE[chan.kind],
        }
        if subtype and thread:
            event["root"] = chan.messages[thread].to_json(chan)
        self.world.emit("slack", "message", event)
        return msg

    def update_message(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        """chat.update: only the author may change a message's text."""
        chan, msg = self._own_message(info, p, "cant_update_message")
        text = p.get("text", "")
        if not text.strip() and not p.get("blocks"):
            raise SlackError("no_text")
        if len(text) > 40000:
            raise SlackError("msg_too_long")
        self.edit(chan, msg, text)
        self.world.counters.mutation("slack", "update", channel=chan.id, ts=msg.ts)
        return {"channel": chan.id, "ts": msg.ts, "text": text, "message": msg.to_json(chan)}

    def delete_message(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        """chat.delete: only the author may delete (a workspace admin too, in Slack)."""
        chan, msg = self._own_message(info, p, "cant_delete_message")
        self.delete(chan, msg)
        self.world.counters.mutation("slack", "delete", channel=chan.id, ts=msg.ts)
        return {"channel": chan.id, "ts": msg.ts}

    def _own_message(self, info: TokenInfo, p: Params, refused: str) -> tuple[Channel, Message]:
        chan = self._channel(info, p.get("channel"))
        msg = chan.messages.get(p.get("ts", ""))
        if msg is None or msg.subtype == "tombstone":
            raise SlackError("message_not_found")
        if msg.user != info.user_id:
            raise SlackError(refused)
        return chan, msg

    def edit(self, chan: Channel, msg: Message, text: str) -> None:
        """The text changes in place (same ts); Events API: a hidden `message_changed`."""
        before = msg.to_json(chan)
        event_ts = self._next_ts()
        msg.text = text
        msg.edited = {"user": msg.user, "ts": event_ts}
        self._emit_subtype(
            chan, "message_changed", event_ts, message=msg.to_json(chan), previous_message=before
        )

    def delete(self, chan: Channel, msg: Message) -> None:
        """Gone from history (`message_deleted`); a thread parent with replies becomes
        Slack's tombstone instead, so the thread stays readable (`message_changed`)."""
        before = msg.to_json(chan)
        event_ts = self._next_ts()
        if msg.replies:
            msg.text, msg.subtype, msg.user, msg.reactions = TOMBSTONE, "tombstone", SLACKBOT, {}
            message = msg.to_json(chan)
            self._emit_subtype(
                chan, "message_changed", event_ts, message=message, previous_message=before
            )
            return
        chan.remove(msg)
        self._emit_subtype(
            chan, "message_deleted", event_ts, deleted_ts=msg.ts, previous_message=before
        )

    def _next_ts(self) -> str:
        self._last_us = max(self._last_us + 1, int(self.world.clock() * 1_000_000))
        return us_ts(self._last_us)

    def _emit_subtype(self, chan: Channel, subtype: str, event_ts: str, **extra: Any) -> None:
        """A hidden `message` event as Slack sends it: its own ts, the message nested."""
        event = {
            "type": "message",
            "subtype": subtype,
            "hidden": True,
            "channel": chan.id,
            "ts": event_ts,
            "event_ts": event_ts,
            "channel_type": CHANNEL_TYPE[chan.kind],
            **extra,
        }
        self.world.emit("slack", "message", event)

    def reactions_add(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        chan = self._channel(info, p.get("channel"))
        if chan.archived:
            raise SlackError("is_archived")  # reactions.add's reference lists it
        msg, name = self._reaction_target(chan, p)
        if info.user_id in msg.reactions.get(name, []):
            raise SlackError("already_reacted")
        self._react(chan, msg, info.user_id, name)
        self.world.counters.mutation("slack", "reaction", channel=chan.id, ts=msg.ts, name=name)
        return {}

    def reactions_remove(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        """reactions.remove (Tier 2): the caller's own reaction only; `no_reaction` when the
        message has no such reaction of theirs. Its reference lists no `is_archived`."""
        chan = self._channel(info, p.get("channel"))
        msg, name = self._reaction_target(chan, p)
        users = msg.reactions.get(name, [])
        if info.user_id not in users:
            raise SlackError("no_reaction")
        users.remove(info.user_id)
        if not users:
            del msg.reactions[name]
        self._emit_reaction("reaction_removed", chan, msg, info.user_id, name)
        self.world.counters.mutation("slack", "unreaction", channel=chan.id, ts=msg.ts, name=name)
        return {}

    def _reaction_target(self, chan: Channel, p: Params) -> tuple[Message, str]:
        """The message and emoji name of a reactions.add/remove call, or the error both
        references give: no_item_specified, bad_timestamp, message_not_found, invalid_name."""
        stamp = p.get("timestamp")
        if not stamp:
            raise SlackError("no_item_specified")
        try:
            ts_us(stamp)
        except ValueError:
            raise SlackError("bad_timestamp") from None
        msg = chan.messages.get(stamp)
        if msg is None:
            raise SlackError("message_not_found")
        name = p.get("name", "").strip(":")
        if not name or not name.replace("_", "").replace("+", "").replace("-", "").isalnum():
            raise SlackError("invalid_name")
        return msg, name

    def _react(self, chan: Channel, msg: Message, user: str, name: str) -> None:
        users = msg.reactions.setdefault(name, [])
        if user in users:
            return
        users.append(user)
        self._emit_reaction("reaction_added", chan, msg, user, name)

    def _emit_reaction(self, kind: str, chan: Channel, msg: Message, user: str, name: str) -> None:
        """The Events API's `reaction_added` / `reaction_removed`: who, which emoji, on what."""
        now = us_ts(max(self._last_us, int(self.world.clock() * 1_000_000)))
        item = {"type": "message", "channel": chan.id, "ts": msg.ts}
        self.world.emit(
            "slack",
            kind,
            {
                "type": kind,
                "user": user,
                "reaction": name,
                "item_user": msg.user,
                "item": item,
                "event_ts": now,
            },
        )

    def search(self, info: TokenInfo, p: Params) -> dict[str, Any]:
        """search.messages, paged by number (`page`) or, given `cursor` (`*` first), by
        cursor: then `response_metadata.next_cursor` leads on, "" on the last page."""
        query = p.get("query", "")
        if not query.strip():
            raise SlackError("no_query")
        count = _limit(p, default=20, cap=100, key="count")
        try:
            page = max(1, int(p.get("page") or 1))
        except ValueError:
            raise SlackError("invalid_arguments") from None
        descending = p.get("sort_dir", "desc") != "asc"
        hits = find(self.channels.values(), self.users, info.user_id, query)
        hits.sort(key=hit_key, reverse=descending)
        cursor = p.get("cursor")
        if not cursor:
            found = result_page(hits, count, (page - 1) * count, self.users, self.team_id)
            return {"query": query, "messages": found}
        start = cursor_start(hits, cursor, descending=descending)
        if start is None:
            raise SlackError("invalid_cursor")
        end = start + count
        more = cursor_after(hits[end - 1]) if end < len(hits) else ""
        return {
            "query": query,
            "messages": result_page(hits, count, start, self.users, self.team_id),
            "response_metadata": {"next_cursor": more},
        }


async def _params(request: Request) -> Params:
    try:
        return await request_params(request)
    except ValueError:
        raise SlackError("invalid_json") from None


def charset_warning(request: Request) -> tuple[str, str] | None:
    """What Slack says of a POST body's declared charset: a JSON body must name one
    (`missing_charset`), a form body need not (`superfluous_charset`)."""
    if request.method != "POST":
        return None
    kind, _, rest = request.headers.get("content-type", "").partition(";")
    has_charset = "charset=" in rest.lower()
    if kind.strip().lower() == "application/json" and not has_charset:
        return (
            "missing_charset",
            "A Content-Type HTTP header was presented but did not declare a charset, "
            "such as a 'utf-8'",
        )
    if kind.strip().lower() == "application/x-www-form-urlencoded" and has_charset:
        return (
            "superfluous_charset",
            "A Content-Type HTTP header was presented with a charset this method does not "
            "need; leave it out",
        )
    return None


def _limit(p: Params, *, default: int, cap: int, key: str = "limit") -> int:
    try:
        value = int(p.get(key) or default)
    except ValueError:
        raise SlackError("invalid_limit") from None
    return min(cap, max(1, value))


def _range(p: Params, bad_low: str, bad_high: str) -> tuple[int, int]:
    try:
        low = ts_us(p["oldest"]) if p.get("oldest") else 0
    except ValueError:
        raise SlackError(bad_low) from None
    try:
        high = ts_us(p["latest"]) if p.get("latest") else 2**62
    except ValueError:
        raise SlackError(bad_high) from None
    return low, high


def _window(p: Params) -> Callable[[int], bool]:
    """Whether a ts (in microseconds) is between `oldest` and `latest`: the bounds
    themselves only with `inclusive` ("Include messages with oldest or latest timestamps in
    results. Ignored unless either timestamp is specified": history's and replies' own)."""
    low, high = _range(p, "invalid_ts_oldest", "invalid_ts_latest")
    if p.get("inclusive") in ("1", "true"):
        return lambda u: low <= u <= high
    return lambda u: low < u < high


def _cursor(kind: str, value: int) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def _cursor_offset(cursor: str | None, kind: str) -> int:
    if not cursor:
        return 0
    try:
        got, _, value = base64.b64decode(cursor).decode().partition(":")
        if got == kind:
            return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise SlackError("invalid_cursor")
