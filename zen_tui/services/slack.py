"""Slack Web API client: channel histories, search, threads, replies and reactions."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from msgspec.structs import replace

from zen_tui.gateway.errors import ApiError, ApiGone, BadResponse, GatewayError, ItemGone
from zen_tui.gateway.profiles import slack_method_scope
from zen_tui.gateway.settings import LISTING
from zen_tui.lengths import TooLong, within
from zen_tui.models import (
    Action,
    ActionResult,
    CacheOutcome,
    FetchResult,
    Item,
    ItemDetail,
    Message,
    SectionInfo,
    Service,
    ThreadReply,
)
from zen_tui.services.base import (
    AccountInfo,
    Applied,
    BaseClient,
    GatewayLike,
    MissingParam,
    PageGuard,
    PageTimes,
    Read,
    Response,
    Sleeper,
    checked,
    gone_message,
    merge_cache,
    note_stale,
    param,
    priority,
    refused,
    says_missing,
)
from zen_tui.services.fields import Reader
from zen_tui.services.markers import zw_keys, zw_marker
from zen_tui.services.slack_parse import (
    ChannelArchived,
    NotInChannel,
    author_id,
    display_name,
    from_typed,
    is_user_id,
    link,
    mentioned_users,
    parse_message,
    permalink,
    posted_as,
    slack_error,
)

log = logging.getLogger("zen_tui.services")

# A JSON body names its charset: without one Slack answers `warning: missing_charset`.
JSON_UTF8 = {"Content-Type": "application/json; charset=utf-8"}
HISTORY_CAP = 15  # non-Marketplace apps: conversations.history/replies limit <= 15
VERIFY_PAGES = 10  # pages scanned for a marker before answering "cannot tell"
# chat.postMessage's `text`: Slack truncates a message past 40,000 characters (its reference),
# which would cut off the hidden marker at the end that verify looks for (a resend: twice).
TEXT_MAX = 40_000
REPLY_PAGES = 7  # a thread's pages read for its detail view: about 100 replies
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
# Any Slack id a `channel` parameter may hold (C.., G.., D.., a user's U..): upper case.
# Channel names are lower case ("lowercase letters, numbers, hyphens, and underscores").
_ANY_ID = re.compile(r"^[A-Z0-9]+$")
# Events API `message` subtypes about an existing message: the new version is in `message`.
CHANGED_SUBTYPES = frozenset({"message_changed", "message_replied"})
# ...and ones that are no message of their own (Slack marks most `hidden: true`).
HIDDEN_SUBTYPES = frozenset({"message_deleted"})
# Events API events that archive (True) or unarchive (False) a channel: `channel_*` for a
# public one, `group_*` for a private one (sent to its members).
ARCHIVE_EVENTS = {
    "channel_archive": True,
    "group_archive": True,
    "channel_unarchive": False,
    "group_unarchive": False,
}


def channel_refs(query: str) -> list[str] | None:
    """'#dev, #ops' / 'C123 #dev' -> the channels; None when the query is a search."""
    refs = [ref for ref in re.split(r"[\s,]+", query.strip()) if ref]
    if refs and all(ref.startswith("#") or _CHANNEL_ID.match(ref) for ref in refs):
        return refs
    return None


class SlackClient(BaseClient):
    """Sections are channel lists ('#dev, #ops') or a search.messages query ('mentions' = me)."""

    service: Service = "slack"
    bulk_spacing = 1.1  # chat.postMessage allows about one message a second per channel

    def __init__(
        self, account: AccountInfo, gateway: GatewayLike, *, clock: Sleeper | None = None
    ) -> None:
        super().__init__(account, gateway, clock=clock)
        self.r = Reader("slack", self.account)
        self._me: str | None = None
        self._team_url = ""
        self._names: dict[str, str] = {}  # user id -> display name (users.info)
        # user id -> until when its name is fresh (its users.info answer's fetch time plus
        # the gateway's user_info TTL: a rename in Slack shows after it), and the read it was
        # asked in, for which it stays whatever its age (one ask per person per read).
        self._named: dict[str, tuple[float, int]] = {}
        # A read (fetch_section, details) counts up; user id -> the read Slack refused its
        # users.info in (user_not_found...): asked once per read, again at the next one.
        self._reads = 0
        self._unnamed: dict[str, int] = {}
        self._channels: dict[str, str] = {}  # channel id -> name
        self._archived: set[str] = set()  # ids of the listed channels Slack says are archived
        # ids of the channels this account read before: their history, in this process or
        # (the store said so) an earlier one. Slack refusing one of them now: it was left.
        self._channels_read: set[str] = set()
        self._warned: set[tuple[str, str]] = set()  # (method, code) of Slack warnings logged

    # ---- plumbing --------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        write: bool = False,
        cache_type: str | None = None,
        interactive: bool = False,
        idempotency_key: str | None = None,
        verify: Any = None,
        revalidate: bool = False,
    ) -> tuple[dict[str, Any], Response]:
        """One Web API call; ok:false becomes the matching GatewayError."""
        kwargs: dict[str, Any] = (
            {"json": params, "headers": JSON_UTF8} if write else {"params": params}
        )
        try:
            resp: Response = await self.gateway.request(
                "POST" if write else "GET",
                f"/{method}",
                endpoint=method,
                scope=slack_method_scope(method),
                cache_type=cache_type,
                priority=priority(interactive or write),
                allow_stale=not write,
                idempotency_key=idempotency_key,
                verify=verify,
                revalidate=revalidate,
                **kwargs,
            )
        except ApiGone as err:
            raise gone_message(err, f"Slack {method}") from None
        raw = resp.json()
        if raw is None and write and resp.status == Applied.status:
            return {"ok": True}, resp  # the gateway's verify found the write already applied
        body = self.r.at(method).root(raw)
        if body.get("ok") is not True:
            refusal = slack_error(body, account=self.account, method=method)
            self.gateway.refused_login(refusal)
            raise refusal
        self._note_warnings(method, body)
        return body, resp

    def _note_warnings(self, method: str, body: dict[str, Any]) -> None:
        """Slack's `warning` on an `ok: true` answer (comma-separated codes: a deprecated
        method or argument, a charset): logged once per method and code, so what Slack
        announces this way is seen before it becomes an error, without a line per poll."""
        for code in str(body.get("warning") or "").split(","):
            code = code.strip()
            if code and (method, code) not in self._warned:
                self._warned.add((method, code))
                log.warning("%s %s: Slack warns %s", self.account, method, code)

    async def me(self) -> str:
        """My user id (auth.test, cached as user_info); also learns the team URL."""
        if self._me is None:
            body, _ = await self.call("auth.test", cache_type="user_info")
            r = self.r.at("auth.test")
            self._me = r.text(body, "user_id")
            self._team_url = r.opt_text(body, "url") or ""
        return self._me

    async def user_name(self, user_id: str) -> str:
        """The person's display name (users.info, kept for the gateway's user_info TTL, then
        asked of the gateway again, which may answer from its cache); their id while Slack
        refuses it (`user_not_found`, `user_not_visible`). A refusal is kept for the read
        under way only: a user just created is named at the next one."""
        if not user_id:
            return ""
        if user_id in self._names and self._named_fresh(user_id):
            return self._names[user_id]
        if self._unnamed.get(user_id) == self._reads:
            return user_id
        try:
            body, resp = await self.call("users.info", {"user": user_id}, cache_type="user_info")
        except GatewayError as err:
            if user_id in self._names:  # named before: so shown while Slack cannot say now
                self._named[user_id] = (self._named[user_id][0], self._reads)
                return self._names[user_id]
            if not isinstance(err, ApiError):
                raise
            self._unnamed[user_id] = self._reads
            return user_id
        self._unnamed.pop(user_id, None)
        name = display_name(self.r.at("users.info"), self.r.obj(body, "user"))
        self._names[user_id] = name
        until = resp.fetched_at + self.gateway.cache_ttl("user_info")
        self._named[user_id] = (until, self._reads)
        return name

    def _named_fresh(self, user_id: str) -> bool:
        """Whether the kept name may be shown without asking: asked in this read, or its
        answer is younger than the user_info TTL. (A stale answer, kept through an outage,
        is so at once: asked again at each read, not at each message.)"""
        until, read = self._named.get(user_id, (0.0, -1))
        return read == self._reads or self.clock.time() < until

    async def channel_ids(self, refs: list[str]) -> list[tuple[str, str]]:
        """'#dev' / 'C123' -> (id, name), names from conversations.list (project_list cache)."""
        wanted = [ref[1:] for ref in refs if ref.startswith("#")]
        if wanted and not set(wanted) <= set(self._channels.values()):
            await self._load_channels()
        by_name = {name: cid for cid, name in self._channels.items()}
        out = []
        for ref in refs:
            if not ref.startswith("#"):
                out.append((ref, self._channels.get(ref, ref)))
            elif ref[1:] in by_name:
                out.append((by_name[ref[1:]], ref[1:]))
            elif (recalled := self._recalled(ref[1:])) is not None:
                out.append((recalled, ref[1:]))  # its history says whether it can be read
            else:
                raise ApiError(
                    service="slack",
                    account=self.account,
                    endpoint="conversations.list",
                    message=f"channel {ref} not found (check the name, or join it in Slack)",
                )
        return out

    def _recalled(self, name: str) -> str | None:
        """The id of a channel conversations.list no longer lists, from this account's stored
        messages in it: a private channel the user left (Slack lists only the private channels
        one is in, so its name leads nowhere in a process that never listed it). Not a channel
        listed under another name: renamed, the config's name is wrong, its messages are not
        gone. Kept as known, so later polls in this process ask its history too."""
        for item in self._stored():
            if isinstance(item, Message) and item.channel == name and item.channel_id:
                if item.channel_id in self._channels:  # listed, as another name now
                    return None
                self._channels[item.channel_id] = name
                self._channels_read.add(item.channel_id)  # its messages were read: it was left
                return item.channel_id
        return None

    async def _reload_channels(self) -> None:
        """A full listing reads the channels' state (archived?) again, from the cache while
        fresh (5 min): conversations.list is Tier 2, and a revalidating read is one a change
        asked for (a webhook, an own action), which events say themselves. Not reading it
        fails nothing: the histories are read all the same, the state stays as last known."""
        with contextlib.suppress(GatewayError):
            await self._load_channels()

    async def _load_channels(self) -> None:
        """Every channel's name, archived ones too: a section naming an archived channel
        still reads it (Slack keeps its history readable; only posting there is refused)."""
        r = self.r.at("conversations.list")
        channels = self._conversations(
            "public_channel,private_channel", "project_list", exclude_archived=False
        )
        async for ch in channels:
            cid = r.text(ch, "id")
            self._channels[cid] = r.opt_text(ch, "name") or cid
            if r.opt_bool(ch, "is_archived"):
                self._archived.add(cid)
            else:
                self._archived.discard(cid)

    async def _conversations(
        self, types: str, cache_type: str | None = None, *, exclude_archived: bool = True
    ) -> AsyncIterator[Any]:
        """Every conversation of `types` (conversations.list, page by page, to an empty
        next_cursor: a page may be short, even empty, mid-list; a cursor seen twice ends it
        rather than looping). Without a cache type it is an interactive read."""
        r = self.r.at("conversations.list")
        cursor: str | None = None
        seen: set[str] = set()
        archived = "true" if exclude_archived else "false"
        while True:
            params: dict[str, Any] = {"types": types, "exclude_archived": archived, "limit": 200}
            if cursor:
                params["cursor"] = cursor
            interactive = cache_type is None
            body, _ = await self.call(
                "conversations.list", params, cache_type=cache_type, interactive=interactive
            )
            for ch in r.arr(body, "channels"):
                yield ch
            cursor = _next_cursor(r, body)
            if not cursor or cursor in seen:
                return
            seen.add(cursor)

    async def _message(self, raw: Any, channel_id: str, channel: str, endpoint: str) -> Message:
        r = self.r.at(endpoint)
        for user_id in mentioned_users(r.opt_text(raw, "text") or ""):
            await self.user_name(user_id)  # cached: fills self._names for render_text
        if is_user_id(channel):  # a DM: show the person, not their id
            channel = "@" + await self.user_name(channel)
        return parse_message(
            r,
            raw,
            account=self.account,
            channel_id=channel_id,
            channel=channel,
            author=posted_as(r, raw) or await self.user_name(author_id(r, raw)),
            me=self._me,
            team_url=self._team_url,
            users=self._names,
            channels=self._channels,
        )

    # ---- reading ---------------------------------------------------------------------------

    async def fetch_section(
        self,
        section: SectionInfo,
        *,
        limit: int = 100,
        cursor: str | None = None,
        interactive: bool = False,
        revalidate: bool = False,
    ) -> FetchResult:
        """Channel histories newer than `cursor`, or a search (which ignores the cursor).
        `revalidate`: no page is answered from a fresh cache entry.

        The cursor holds the newest ts seen per channel ("C1=1.5;C2=3.0"), so one busy
        channel never hides another's older news.
        """
        await self.me()
        self._reads += 1
        refs = channel_refs(section.query)
        read = Read(interactive, revalidate)
        if refs is None:
            return await self._search(section.query, limit, read)
        pages = _Pages()
        oldest, fallback = parse_cursor(cursor)
        if cursor is None and not revalidate:
            await self._reload_channels()
        channels = await self.channel_ids(refs)
        for channel_id, name in channels:
            since = oldest.get(channel_id, fallback)
            await self._history(channel_id, name, since, limit, read, pages)
        messages = [m for m in pages.items if isinstance(m, Message)]
        messages.sort(key=lambda m: float(m.ts), reverse=True)  # newest first across channels
        pages.items = list(messages)
        for m in messages:
            if float(m.ts) > float(oldest.get(m.channel_id, fallback) or 0):
                oldest[m.channel_id] = m.ts
        result = pages.result(limit, format_cursor(oldest) or cursor, self.account)
        left_out, left_why = pages.unreadable_said(
            dict(channels), lambda cid: self._was_read(cid, oldest)
        )
        archived = [f"#{name}" for cid, name in channels if cid in self._archived]
        # Why an archived channel's section may stay empty, and, rows or none, that a reply
        # or reaction there will be refused.
        read_only = (
            f"{', '.join(archived)} archived in Slack: read-only, no new messages"
            if archived
            else None
        )
        note = "; ".join(n for n in (left_why, read_only) if n) or None
        return replace(result, note=note, read_only=read_only, left_out=left_out)

    def _was_read(self, channel_id: str, newest: Mapping[str, str]) -> bool:
        """Whether this account read the channel before, so that Slack refusing it now means
        it was left: this process read its history, or the store says so (the section's
        cursor holds its newest message, or messages of it are kept). Kept once known: the
        refusal takes the channel's messages out of the store."""
        if channel_id not in self._channels_read and (
            channel_id in newest
            or any(isinstance(i, Message) and i.channel_id == channel_id for i in self._stored())
        ):
            self._channels_read.add(channel_id)
        return channel_id in self._channels_read

    async def _history(
        self,
        channel_id: str,
        name: str,
        oldest: str | None,
        limit: int,
        read: Read,
        pages: _Pages,
    ) -> None:
        params: dict[str, Any] = {"channel": channel_id, "limit": min(HISTORY_CAP, limit)}
        if oldest:
            params.update(oldest=oldest, inclusive="false")
        got = 0
        size = params["limit"]
        guard = PageGuard(
            self.service, self.account, "conversations.history", limit=limit, page_size=size
        )
        while True:
            body = await pages.call(self, "conversations.history", params, read)
            if body is None:
                return
            self._channels_read.add(channel_id)
            r = self.r.at("conversations.history")
            raws = r.arr(body, "messages")
            got += await self._messages(raws, pages, channel_id, name, "conversations.history")
            cursor = _next_cursor(r, body)
            if not cursor or got >= limit or cursor == params.get("cursor"):
                pages.cut = pages.cut or bool(cursor)
                return
            if pages.stopped(guard.stop_after(len(raws))):
                return
            params = {**params, "cursor": cursor}

    async def _messages(
        self, raws: list[Any], pages: _Pages, channel_id: str | None, name: str, endpoint: str
    ) -> int:
        """Parse a page into `pages`; a malformed message is skipped and counted, not fatal."""
        r = self.r.at(endpoint)
        for raw in raws:
            try:
                cid, shown = channel_id, name
                if cid is None:  # search results name their channel per match
                    channel = r.obj(raw, "channel")
                    cid = r.text(channel, "id")
                    shown = r.opt_text(channel, "name") or cid
                pages.add(await self._message(raw, cid, shown, endpoint))
            except BadResponse as err:
                pages.skipped += 1
                log.warning("%s %s: skipped a malformed item: %s", self.account, endpoint, err)
        return len(raws)

    async def _search(self, query: str, limit: int, read: Read) -> FetchResult:
        """search.messages by cursor (`*` first, then each `next_cursor`; Slack's reference),
        newest first, to an empty next_cursor. Numbered pages shift when a mention arrives
        while we page (the next page repeats the last match); a cursor goes on after the
        last match given. A cursor seen twice ends it, as does a page guard's limit."""
        terms = f"<@{self._me}>" if query.strip() in ("", "mentions") else query
        pages = _Pages()
        size = min(100, limit)
        guard = PageGuard(
            self.service, self.account, "search.messages", limit=limit, page_size=size
        )
        cursor: str = "*"
        seen: set[str] = set()
        while True:
            params = {"query": terms, "sort": "timestamp", "count": size, "cursor": cursor}
            body = await pages.call(self, "search.messages", params, read)
            if body is None:
                break
            r = self.r.at("search.messages")
            matches = r.opt_arr(r.obj(body, "messages"), "matches")
            await self._messages(matches, pages, None, "", "search.messages")
            cursor = _next_cursor(r, body) or ""
            if not cursor or cursor in seen:  # the end (or a server looping)
                break
            if len(pages.items) >= limit:
                pages.cut = True
                break
            if pages.stopped(guard.stop_after(len(matches))):
                break
            seen.add(cursor)
        return pages.result(limit, None)

    async def details(self, item: Item) -> ItemDetail:
        """The thread's replies (conversations.replies, oldest first, page by page: with
        `limit` at most 15 the newest replies are on the last page)."""
        if not isinstance(item, Message):
            return ItemDetail(item_id=item.id, error="not a Slack message")
        self._reads += 1
        thread = item.thread_ts or item.ts
        query = {"channel": item.channel_id, "ts": thread, "limit": HISTORY_CAP}
        r = self.r.at("conversations.replies")
        raws: dict[str, Any] = {}  # ts -> message: a page repeating the parent adds nothing
        notes: list[str] = []
        for page in range(REPLY_PAGES):
            try:
                body, resp = await self.call(
                    "conversations.replies", query, cache_type="issue_details", interactive=True
                )
            except GatewayError as err:
                if not page:
                    return ItemDetail(
                        item_id=item.id, body=item.text, error=str(err), missing=says_missing(err)
                    )
                notes.append(f"later replies not shown: {err}")
                break
            note_stale(resp, notes)
            raws.update((r.text(raw, "ts"), raw) for raw in r.arr(body, "messages"))
            cursor = _next_cursor(r, body)
            if not cursor or cursor == query.get("cursor"):  # the end (or a server looping)
                break
            query = {**query, "cursor": cursor}
        else:
            notes.append(f"the first {len(raws) - 1} replies shown; open the thread in Slack")
        replies = []
        for ts, raw in sorted(raws.items(), key=lambda pair: float(pair[0])):
            if r.opt_text(raw, "thread_ts") not in (None, ts):  # not the parent itself
                msg = await self._message(
                    raw, item.channel_id, item.channel, "conversations.replies"
                )
                replies.append((msg.author, msg.text))
        return ItemDetail(
            item_id=item.id, body=item.text, comments=tuple(replies), error="; ".join(notes) or None
        )

    async def exists(self, item: Item) -> bool | None:
        """The message itself, uncached (conversations.replies by its own ts): Slack's
        `channel_not_found` / `not_in_channel` (the channel was left, or is private to
        others now) or `thread_not_found` (deleted), or a thread that no longer has it (a
        deleted reply), is False; anything else cannot tell. (A thread parent deleted with
        replies left is Slack's tombstone, still there.)"""
        if not isinstance(item, Message):
            return None
        try:
            found = await self._thread_message(item.channel_id, item.ts, interactive=True)
        except ItemGone:
            return False
        except GatewayError:
            return None
        return None if found is _UNDECIDED else found is not None

    def items_for_webhook(self, event: str, payload: dict[str, Any]) -> list[Item]:
        """An Events API `message` event -> the message. Synchronous: people and channels are
        named from what the client already knows (else shown by id until the next poll).

        Slack's hidden subtypes are not new messages: `message_changed` carries the edited
        message (same ts, so it replaces the row), `message_deleted` none (the processor
        removes the row by its `deleted_ts`); both have a `ts` of their own, which must
        never become a row."""
        inner = payload.get("event", payload)
        if not isinstance(inner, dict) or inner.get("type", event) != "message":
            return []
        message: Any = inner
        if inner.get("subtype") in CHANGED_SUBTYPES:
            message = inner.get("message")
        elif inner.get("hidden") or inner.get("subtype") in HIDDEN_SUBTYPES:
            return []
        if not isinstance(message, dict) or "ts" not in message:
            return []
        r = self.r.at(f"event:{event}")
        cid = r.text(inner, "channel")
        return [
            parse_message(
                r,
                message,
                account=self.account,
                channel_id=cid,
                channel=self._channels.get(cid, cid),
                author=posted_as(r, message)
                or self._names.get(author_id(r, message), author_id(r, message)),
                me=self._me,
                team_url=self._team_url,
                users=self._names,  # names already known; the next poll fills the rest
                channels=self._channels,
            )
        ]

    def thread_replies(self, event: str, payload: dict[str, Any]) -> list[ThreadReply]:
        """A reply's `message` event -> the reply, for its parent's count and latest reply,
        without reading the thread (conversations.replies: 1 a minute outside the Slack
        Marketplace). Slack sends a plain reply as a `message` with a `thread_ts` of its
        parent (its docs: `message_replied` arrives that way, without its subtype); a
        `thread_broadcast` carries the parent as `root`, with the count after it; a
        `message_replied`, should it come with its subtype, carries the parent itself."""
        inner = payload.get("event", payload)
        if not isinstance(inner, dict) or inner.get("type", event) != "message":
            return []
        subtype, channel = inner.get("subtype"), inner.get("channel")
        if subtype == "message_replied":
            return self._replied(channel, inner.get("message"))
        if subtype not in (None, "thread_broadcast"):
            return []
        ts, thread = inner.get("ts"), inner.get("thread_ts")
        if not (_is_ts(ts) and _is_ts(thread) and isinstance(channel, str)) or ts == thread:
            return []
        root = inner.get("root")
        count = root.get("reply_count") if isinstance(root, dict) else None
        known = count if isinstance(count, int) and not isinstance(count, bool) else None
        return [ThreadReply(f"{self.account}:{channel}:{thread}", str(ts), known)]

    def _replied(self, channel: Any, parent: Any) -> list[ThreadReply]:
        if not isinstance(parent, dict) or not isinstance(channel, str):
            return []
        latest, count = parent.get("latest_reply"), parent.get("reply_count")
        replies = parent.get("replies")
        if not _is_ts(latest) and isinstance(replies, list) and replies:
            latest = replies[-1].get("ts") if isinstance(replies[-1], dict) else None
        if not (_is_ts(latest) and _is_ts(parent.get("ts")) and isinstance(count, int)):
            return []
        return [ThreadReply(f"{self.account}:{channel}:{parent['ts']}", str(latest), count)]

    def might_list(self, query: str, item: Item) -> bool:
        """A channel section lists its channels' top-level messages only (a thread reply is
        never in conversations.history, unless it was also sent to the channel); the
        Mentions search, messages that mention me."""
        if not isinstance(item, Message):
            return True
        refs = channel_refs(query)
        if refs is None:  # a search: only the mentions one is known to us
            known = query.strip() in ("", "mentions") and self._me is not None
            return item.mentions_me or not known
        if item.thread_ts not in (None, item.ts) and not item.broadcast:
            return False
        return self._names_channel(refs, item.channel_id)

    def _names_channel(self, refs: list[str], channel_id: str) -> bool:
        """The section's channel refs (`channel_refs`) name this channel, by id or name."""
        name = self._channels.get(channel_id)
        return channel_id in refs or (name is not None and f"#{name}" in refs)

    def state_from_webhook(
        self, event: str, payload: dict[str, Any]
    ) -> Callable[[str], bool] | None:
        """A channel archived or unarchived (`channel_archive`, `group_unarchive`, ...):
        known at once, so the sections naming it say so (or no longer) at their next poll,
        without waiting for a full listing to read conversations.list again. Returns which
        section queries that touches; None for any other event."""
        inner = payload.get("event", payload)
        if not isinstance(inner, dict):
            return None
        archived = ARCHIVE_EVENTS.get(str(inner.get("type") or event))
        channel = inner.get("channel")
        if archived is None or not isinstance(channel, str) or not channel:
            return None
        if archived:
            self._archived.add(channel)
        else:
            self._archived.discard(channel)
        return lambda query: (
            (refs := channel_refs(query)) is not None and self._names_channel(refs, channel)
        )

    # ---- writing ---------------------------------------------------------------------------

    async def permalink(self, channel_id: str, ts: str) -> str:
        """A message's web link from chat.getPermalink (a thread reply's names its thread)."""
        query = {"channel": channel_id, "message_ts": ts}
        body, _ = await self.call("chat.getPermalink", query, interactive=True)
        r = self.r.at("chat.getPermalink")
        return r.text(body, "permalink")

    async def share_targets(self) -> list[tuple[str, str]]:
        """(conversation id, label) for the share picker: channels I am in as '#name', then my
        direct messages as '@person' (conversations.list, names from users.info)."""
        r = self.r.at("conversations.list")
        self._reads += 1
        channels: list[tuple[str, str]] = []
        direct: list[tuple[str, str]] = []
        async for ch in self._conversations("public_channel,private_channel,im"):
            cid = r.text(ch, "id")
            if r.opt_bool(ch, "is_im"):
                direct.append((cid, "@" + await self.user_name(r.opt_text(ch, "user") or "")))
            elif r.opt_bool(ch, "is_member") is not False and not r.opt_bool(ch, "is_archived"):
                name = r.opt_text(ch, "name") or cid
                self._channels[cid] = name
                channels.append((cid, "#" + name))
        return sorted(channels, key=lambda c: c[1]) + sorted(direct, key=lambda c: c[1])

    async def apply(self, action: Action, *, idempotency_key: str) -> ActionResult:
        if action.kind == "share":
            return await self._share(action, idempotency_key)
        channel, ts = _split(self.key_of(action.item_id))
        p = action.params
        verify = self.verifier(action, idempotency_key)
        reacting = action.kind in ("react", "unreact")  # on the item's own message
        target = (None if reacting else p.get("channel")) or channel
        try:
            if action.kind in ("reply", "post"):
                text = with_link(p.get("text", p.get("body", "")), p, " ")
                text = postable(text + zw_marker(idempotency_key))
                target = await self._conversation(target)  # its id: verify reads its history
                body: dict[str, Any] = {"channel": target, "text": text}
                if action.kind == "reply":
                    body["thread_ts"] = p.get("thread_ts") or ts
                await self.call(
                    "chat.postMessage",
                    body,
                    write=True,
                    idempotency_key=idempotency_key,
                    verify=verify,
                )
            elif reacting:
                name = param(action, "name", "reaction")
                await self._react(
                    channel, ts, name, idempotency_key, remove=action.kind == "unreact"
                )
            else:
                return ActionResult(ok=False, message=f"Slack cannot {action.kind}", conflict=True)
        except (MissingParam, TooLong) as err:
            return ActionResult(ok=False, message=str(err), conflict=True)
        except ChannelArchived as err:
            return self._refused_archived(target, err)
        except ApiError as err:
            return refused(err)
        return ActionResult(ok=True, message=f"{action.kind} done")

    def _refused_archived(self, channel: str, err: ChannelArchived) -> ActionResult:
        """Slack's `is_archived`: the channel is known archived from now on (its sections
        say so at their next poll), and the action fails for good, saying why: resending
        cannot help until someone unarchives it."""
        self._archived.add(channel)
        name = self._channels.get(channel)
        where = f"#{name}" if name else channel
        return ActionResult(
            ok=False,
            message=f"{where} is archived in Slack, read-only until someone unarchives it "
            f"({err.endpoint}: is_archived); not sent",
            conflict=True,
            label="read-only",
        )

    # ---- sharing an item of another service (the action's item is that item) ---------------

    async def _share(self, action: Action, key: str) -> ActionResult:
        """chat.postMessage of the item's link (and the user's note) to a channel or DM; the
        posted message is recorded (resolved) so both rows can show the link."""
        channel = action.params.get("channel", "")
        try:
            text = postable(share_text(action) + zw_marker(key))
            channel = await self._conversation(param(action, "channel"))
            payload = {"channel": channel, "text": text}
            body, _ = await self.call(
                "chat.postMessage",
                payload,
                write=True,
                idempotency_key=key,
                verify=self.verifier(action, key),
            )
        except (MissingParam, TooLong) as err:
            return ActionResult(ok=False, message=str(err), conflict=True)
        except ChannelArchived as err:
            return self._refused_archived(channel, err)
        except ApiError as err:
            return refused(err)
        r = self.r.at("chat.postMessage")
        if "ts" in body:  # else the gateway's verify found it and recorded it already
            self._record_post(key, r.text(body, "channel"), r.text(body, "ts"))
        return ActionResult(ok=True, message="shared")

    def _record_post(self, key: str, channel: str, ts: str) -> None:
        url = permalink(self._team_url, channel, ts) if self._team_url else ""
        self.resolved(key, {"created_key": f"{channel}:{ts}", "created_url": url})

    async def _conversation(self, ref: str) -> str:
        """'#dev' or 'dev' -> its id (conversations.list); an id as it is. Only
        chat.postMessage takes a channel name: conversations.history, which verify reads,
        answers `channel_not_found` for one, so a name is made an id before either."""
        if _ANY_ID.match(ref):
            return ref
        [(channel_id, _)] = await self.channel_ids(["#" + ref.removeprefix("#")])
        return channel_id

    async def _shared(self, action: Action, key: str) -> bool | None:
        """The channel's recent history has the marker: record the message, say so."""
        channel = await self._conversation(param(action, "channel"))
        await self.me()  # the team URL, for the posted message's link
        query: dict[str, Any] = {"channel": channel, "limit": HISTORY_CAP}
        r = self.r.at("conversations.history")
        return await self._find_marker(
            "conversations.history",
            query,
            key,
            found=lambda message: self._record_post(key, channel, r.text(message, "ts")),
        )

    async def _react(self, channel: str, ts: str, name: str, key: str, *, remove: bool) -> None:
        """reactions.add, or reactions.remove to take my reaction back; Slack's answer that
        it is so already (`already_reacted`, `no_reaction`) counts as done."""
        method = "reactions.remove" if remove else "reactions.add"
        done = "no_reaction" if remove else "already_reacted"
        payload = {"channel": channel, "timestamp": ts, "name": name.strip(":")}
        try:
            await self.call(method, payload, write=True, idempotency_key=key)
        except ApiError as err:
            if done not in err.message:
                raise

    async def verify(self, action: Action, *, idempotency_key: str) -> bool | None:
        if action.kind == "share":
            try:
                return await checked(self._shared(action, idempotency_key))
            except ValueError:  # a malformed action: cannot tell
                return None
        channel, ts = _split(self.key_of(action.item_id))
        try:
            return await checked(self._check(action, idempotency_key, channel, ts))
        except ValueError:  # a malformed action: cannot tell
            return None

    async def _check(self, action: Action, key: str, channel: str, ts: str) -> bool | None:
        if action.kind in ("react", "unreact"):
            reacted = await self._reacted(channel, ts, action.params)
            if reacted is None:
                return None
            return reacted if action.kind == "react" else not reacted
        if action.kind == "reply":
            thread = action.params.get("thread_ts") or ts
            query = {"channel": channel, "ts": thread, "limit": HISTORY_CAP}
            return await self._find_marker("conversations.replies", query, key)
        if action.kind == "post":
            target = await self._conversation(action.params.get("channel") or channel)
            query = {"channel": target, "limit": HISTORY_CAP}
            return await self._find_marker("conversations.history", query, key)
        return None

    async def _find_marker(
        self,
        method: str,
        query: dict[str, Any],
        key: str,
        found: Callable[[Any], None] | None = None,
    ) -> bool | None:
        """Page through messages for the hidden key (`found` gets the message that has it);
        None if we stopped before the end."""
        r = self.r.at(method)
        for _ in range(VERIFY_PAGES):
            body, _ = await self.call(method, query)
            for message in r.arr(body, "messages"):
                if key in zw_keys(r.opt_text(message, "text") or ""):
                    if found is not None:
                        found(message)
                    return True
            cursor = _next_cursor(r, body)
            if not cursor:
                return False
            query = {**query, "cursor": cursor}
        return None

    async def _reacted(self, channel: str, ts: str, params: dict[str, str]) -> bool | None:
        """The message's reactions include mine of that name; None: cannot tell."""
        me = await self.me()
        name = params.get("name", params.get("reaction", "")).strip(":")
        message = await self._thread_message(channel, ts)
        if message is _UNDECIDED:
            return None
        r = self.r.at("conversations.replies")
        reactions = r.opt_arr(message, "reactions") if message is not None else []
        return any(r.text(x, "name") == name and me in r.opt_arr(x, "users") for x in reactions)

    async def _thread_message(self, channel: str, ts: str, *, interactive: bool = False) -> Any:
        """The message of `ts` as conversations.replies gives it; None when the answer has
        none (deleted), _UNDECIDED when paging stopped first. Its `ts` may name a thread's
        reply, but the answer is the thread (the parent first): `oldest` = `latest` = ts,
        `inclusive`, bring the message to the first page, if Slack pages as asked (a page
        may come short: the next is read, as for any listing)."""
        r = self.r.at("conversations.replies")
        bounds = {"oldest": ts, "latest": ts, "inclusive": "true", "limit": 2}
        query: dict[str, Any] = {"channel": channel, "ts": ts, **bounds}
        for _ in range(VERIFY_PAGES):
            body, _ = await self.call("conversations.replies", query, interactive=interactive)
            for message in r.arr(body, "messages"):
                if r.opt_text(message, "ts") == ts:
                    return message
            cursor = _next_cursor(r, body)
            if not cursor or cursor == query.get("cursor"):
                return None
            query = {**query, "cursor": cursor}
        return _UNDECIDED


_UNDECIDED = object()  # SlackClient._thread_message read as far as it may, without an answer


class _Pages:
    """Collects a section's pages: items, cache outcomes, first fetch time, partial failure."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.outcomes: list[CacheOutcome] = []
        self.times = PageTimes()  # each message is as old as the page it came on
        self.error: GatewayError | None = None  # a page failed: the section ends early
        self.stale: GatewayError | None = None  # a page came from the stale cache
        self.cut = False
        self.stop: GatewayError | None = None  # paging cut short (PageGuard): the reason
        self.skipped = 0
        self.unreadable: dict[str, ItemGone] = {}  # channel id -> why Slack refused its history

    def unreadable_said(
        self, names: dict[str, str], was_read: Callable[[str], bool]
    ) -> tuple[str | None, str | None]:
        """The channels Slack refused, each as `unreadable` words it (`names`: id -> name):
        short, for beside the badge ("#dev left"), and with Slack's code and its fix, for
        the reason ("#dev left: conversations.history: not_in_channel (join the channel in
        Slack first)"); None, None when none was. Names are server text: shown as data,
        cleaned where shown."""
        if not self.unreadable:
            return None, None
        said = {
            cid: unreadable(names.get(cid, cid), cid, err, was_read(cid))
            for cid, err in self.unreadable.items()
        }
        why = "; ".join(f"{said[cid]}: {err.summary()}" for cid, err in self.unreadable.items())
        return ", ".join(said.values()), why

    def stopped(self, reason: GatewayError | None) -> bool:
        """Record why a channel's paging ended early; True when it must stop."""
        if reason is None:
            return False
        self.stop = self.stop or reason
        self.cut = True
        return True

    async def call(
        self, client: SlackClient, method: str, params: dict[str, Any], read: Read
    ) -> dict[str, Any] | None:
        """A page; a failure after the first page ends the section early instead of raising."""
        if self.error is not None:
            return None
        try:
            body, resp = await client.call(
                method,
                params,
                cache_type=LISTING,
                interactive=read.interactive,
                revalidate=read.revalidate,
            )
        except ItemGone as err:
            if method != "conversations.history":
                raise
            # The channel was left, or never readable (a wrong id, private to others): none
            # of its messages can be read by this account, an answer about them, not a
            # failed page.
            self.unreadable[str(params["channel"])] = err
            self.times.page(client.clock.time())  # an answer, as of now
            return None
        except GatewayError as err:
            if not self.times.pages:
                raise
            self.error = err
            return None
        self.outcomes.append(resp.cache)
        self.stale = self.stale or resp.stale_error
        self.times.page(resp.fetched_at)
        return body

    def add(self, item: Item) -> None:
        """An item of the page read last."""
        self.items.append(item)
        self.times.note([item])

    def result(self, limit: int, cursor: str | None, account: str = "") -> FetchResult:
        """The pages as one answer; a channel Slack refused is no failure (unreadable_said)."""
        return FetchResult(
            items=self.items[:limit],
            fetched_at=self.times.oldest(),
            fetched=self.times.of(self.items[:limit]),
            cache=merge_cache(self.outcomes),
            stale_error=self.error or self.stop or self.stale,
            complete=not self.cut and self.error is None and len(self.items) <= limit,
            # a page (or a channel) failed, or paging was stopped: the rest is unread
            partial=self.error is not None or self.stop is not None,
            cursor=cursor,
            skipped=self.skipped,
            gone=tuple(f"{account}:{channel}:" for channel in self.unreadable),
        )


def unreadable(name: str, channel_id: str, err: ItemGone, was_read: bool) -> str:
    """A channel Slack refused the history of, in the user's words: "#dev left" only when
    it was read before (`was_read`); else what Slack said, "not a member of #dev"
    (not_in_channel) or "#dev not found" (channel_not_found: a wrong id, a private channel
    never joined, one deleted). By name when known, else by id."""
    shown = f"#{name}" if name != channel_id else channel_id
    if was_read:
        return f"{shown} left"
    return f"not a member of {shown}" if isinstance(err, NotInChannel) else f"{shown} not found"


def postable(text: str) -> str:
    """`text` as chat.postMessage sends it, or TooLong saying by how much to shorten it: the
    count is of what is sent (Slack's escaping of &, <, >, a link, the hidden marker), so
    what was typed may be a little shorter than the limit and still too long."""
    return within(
        text,
        TEXT_MAX,
        "message too long for Slack",
        "with the escaping, link and hidden marker zen-tui adds",
        " (Slack would cut the rest off)",
    )


def share_text(action: Action) -> str:
    """The shared message: the user's note, then the item as a link titled by its title."""
    param(action, "url")  # none: MissingParam, the action refused saying so
    return with_link(action.params.get("body", "").strip(), action.params, "\n")


def with_link(typed: str, params: Mapping[str, str], sep: str) -> str:
    """A message's text: what the user typed, shown in Slack as typed (`from_typed`), then,
    given a `url`, a link to it titled by `title` (the share's item; an issue made from a
    message, in the reply that says so)."""
    text = from_typed(typed)
    url = params.get("url")
    if not url:
        return text
    ref = link(url, params.get("title") or url)
    return f"{text}{sep}{ref}" if text else ref


def parse_cursor(cursor: str | None) -> tuple[dict[str, str], str | None]:
    """'C1=1.5;C2=3.0' -> ({'C1': '1.5', 'C2': '3.0'}, None); a bare ts applies to all."""
    if not cursor or "=" not in cursor:
        return {}, cursor or None
    pairs = (part.partition("=") for part in cursor.split(";") if "=" in part)
    return {channel: ts for channel, _, ts in pairs}, None


def format_cursor(newest: dict[str, str]) -> str | None:
    return ";".join(f"{channel}={ts}" for channel, ts in sorted(newest.items())) or None


def _next_cursor(r: Reader, body: dict[str, Any]) -> str | None:
    meta = r.opt_obj(body, "response_metadata") or {}
    return r.opt_text(meta, "next_cursor") or None


def _is_ts(value: Any) -> bool:
    """A Slack ts ("1512085950.000216"): digits, a dot, digits."""
    if not isinstance(value, str):
        return False
    sec, dot, micro = value.partition(".")
    return sec.isascii() and sec.isdigit() and (not dot or (micro.isascii() and micro.isdigit()))


def _split(key: str) -> tuple[str, str]:
    channel, _, ts = key.partition(":")
    return channel, ts
