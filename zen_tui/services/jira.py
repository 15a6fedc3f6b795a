"""Jira Cloud v3 client: JQL sections, issue details, transitions by name, bulk transitions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, tzinfo
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from msgspec.structs import replace

from zen_tui.gateway.classify import shortened
from zen_tui.gateway.errors import ApiError, ApiGone, GatewayError
from zen_tui.lengths import JIRA_TEXT_MAX, MARKER_ADDED, TooLong, within
from zen_tui.models import (
    Action,
    ActionResult,
    CacheOutcome,
    FetchResult,
    Item,
    ItemDetail,
    ScreenField,
    SectionInfo,
    Service,
    body_of,
)
from zen_tui.services import adf
from zen_tui.services.base import (
    PREVIEW,
    AccountInfo,
    BaseClient,
    GatewayLike,
    MissingParam,
    Notes,
    PageGuard,
    PageTimes,
    Read,
    Response,
    Sleeper,
    checked,
    gone_message,
    merge_cache,
    parse_each,
    priority,
    query_refused,
    refused,
)
from zen_tui.services.fields import Reader
from zen_tui.services.jira_parse import (
    FIELDS,
    asked_resolution,
    asks_comment,
    comment_box,
    comment_rule_refusal,
    cursor_of,
    match_allowed,
    not_available,
    parse_issue,
    pick_move,
    screen_fields,
    screen_refusal,
    transition_fields,
    transition_update,
    with_cursor,
    zone_of,
)
from zen_tui.services.markers import strip_zw, zw_keys, zw_marker
from zen_tui.text_safety import clean

if TYPE_CHECKING:
    # Creating, editing and bulk-moving issues load when the user first does one: polling
    # never needs them (0.4 MiB of the dashboard's resident memory).
    from zen_tui.services.jira_bulk import Moves
    from zen_tui.services.jira_create import JiraCreate
    from zen_tui.services.jira_edit import JiraEdit

API = "/rest/api/3"
DEFAULT_JQL = "assignee = currentUser() AND statusCategory != Done ORDER BY updated DESC"
PAGE = 100
RECONCILE_MAX = 50  # reconcileIssues takes at most 50 issue ids
RULES_KEPT = 200  # the comment refusals remembered (_ruled): one per issue and transition
EDIT_KINDS = ("edit", "link", "edit_comment", "delete_comment")
_DETAIL_FIELDS = {"fields": "description,comment"}  # what the preview reads of an issue
# Transitions with their screens' fields: what a transition must set (resolution, ...)
_SCREENS = {"expand": "transitions.fields"}
_UNAVAILABLE = {"includeUnavailableTransitions": "true"}


class JiraClient(BaseClient):
    """Sections are JQL queries; the delta cursor is the newest `updated` minute."""

    service: Service = "jira"

    def __init__(
        self, account: AccountInfo, gateway: GatewayLike, *, clock: Sleeper | None = None
    ) -> None:
        super().__init__(account, gateway, clock=clock)
        self.r = Reader("jira", self.account)
        self.site = account.base_url
        self._me: str | None = account.user  # config may name the accountId
        self._zone: tzinfo | None = None
        self._targets: dict[str, str] = {}  # idempotency key -> status a transition leads to
        self._assignees: dict[str, str] = {}  # idempotency key -> accountId a name resolved to
        # Jira's search is eventually consistent: the ids of issues zen-tui wrote lately go
        # in every search's reconcileIssues, so the refresh after a write shows it.
        self._ids: dict[str, int] = {}  # issue key -> numeric id, as searches returned it
        self._written: dict[int, None] = {}  # the last RECONCILE_MAX written ids, in order
        # JQL -> what Jira says of it, asked once when its search first came back empty
        # (/search/jql has no warnings: an unknown user silently matches nothing)
        self._verdicts: dict[str, str | None] = {}
        # (issue key, transition id) -> what Jira said refusing that move without a comment
        # (a workflow rule's, which no metadata shows): the move's form then requires one
        self._ruled: dict[tuple[str, str], str] = {}

    @cached_property
    def creating(self) -> JiraCreate:
        from zen_tui.services.jira_create import JiraCreate

        return JiraCreate(self)

    @cached_property
    def editing(self) -> JiraEdit:
        from zen_tui.services.jira_edit import JiraEdit

        return JiraEdit(self)

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
        """The section's JQL (searches are POSTs, never cached: each one asks the server)."""
        read = Read(interactive, revalidate)
        query = section.query.strip() or DEFAULT_JQL
        jql = with_cursor(query, cursor)
        items: list[Item] = []
        outcomes: list[CacheOutcome] = []
        first: Response | None = None
        token: str | None = None
        error: GatewayError | None = None
        last = False
        guard = PageGuard(
            self.service, self.account, f"{API}/search/jql", limit=limit, page_size=PAGE
        )
        skipped = 0
        times = PageTimes()
        # One list for every page of this search, as Jira asks: an action applied while
        # the pages come in joins the next search's
        reconcile = list(self._written)
        while not last and len(items) < limit:
            try:
                size = min(PAGE, limit - len(items))
                resp = await self._search(jql, token, size, read, reconcile)
            except GatewayError as err:
                if first is None:
                    raise
                error = err
                break
            first = first or resp
            outcomes.append(resp.cache)
            page_items, bad, token, last = self._page(resp.json())
            items.extend(page_items)
            times.page(resp.fetched_at)
            times.note(page_items)
            skipped += bad
            stop = None if last else guard.stop_after(len(page_items) + bad)
            if stop is not None:
                error = error or stop
                break
        assert first is not None
        zone = await self.zone() if items else UTC
        note = None
        if not items and error is None and not skipped:
            # a delta finding nothing is normal: only a full listing asks (the verdict cached)
            note = self._verdicts.get(query) if cursor else await self._verdict(query)
        return FetchResult(
            items=items[:limit],
            fetched_at=times.oldest(),
            fetched=times.of(items[:limit]),
            cache=merge_cache(outcomes),
            stale_error=error,
            complete=last and error is None and len(items) <= limit,
            partial=error is not None,  # a page failed or paging stopped: the rest is unread
            cursor=cursor_of([i.updated_at for i in items], zone) or cursor,
            skipped=skipped,
            note=note,
        )

    async def _verdict(self, jql: str) -> str | None:
        """What Jira says of a query whose search found nothing, asked at most once per
        query: /jql/parse's warnings and errors (validation=warn), else None. A failed ask
        is no error: the section stays empty, as it would without it, and the next empty
        full listing asks again (a server down for a while must not hide the warning)."""
        if jql in self._verdicts:
            return self._verdicts[jql]
        self._verdicts[jql] = None  # one ask at a time: polls meanwhile see "nothing to say"
        try:
            resp = await self.gateway.request(
                "POST",
                f"{API}/jql/parse",
                endpoint=f"{API}/jql/parse",
                params={"validation": "warn"},
                json={"queries": [jql]},
                idempotency_key=f"jqlparse:{hashlib.sha256(jql.encode()).hexdigest()[:16]}",
            )
            said = _findings(resp.json())
        except GatewayError:
            del self._verdicts[jql]
            return None
        if said:
            self._verdicts[jql] = f"no issues; Jira says: {said}"
        return self._verdicts[jql]

    async def _search(
        self, jql: str, token: str | None, size: int, read: Read, reconcile: list[int]
    ) -> Response:
        body: dict[str, Any] = {"jql": jql, "fields": FIELDS, "maxResults": size}
        if token:
            body["nextPageToken"] = token
        if reconcile:
            body["reconcileIssues"] = reconcile
        digest = hashlib.sha256(f"{jql}|{token}".encode()).hexdigest()[:16]
        try:
            return await self.gateway.request(
                "POST",
                f"{API}/search/jql",
                endpoint=f"{API}/search/jql",
                json=body,
                idempotency_key=f"search:{digest}",  # a read: safe to retry
                **read.options(),
            )
        except ApiGone as err:
            raise gone_message(err, "Jira issue search") from None
        except ApiError as err:
            # A first page's 400 is the section's JQL (an unknown project, field or value, a
            # syntax error); a later page's is the paging token, read as a partial listing.
            if err.status == 400 and token is None:
                raise query_refused(err) from None
            raise

    def _page(self, body: Any) -> tuple[list[Item], int, str | None, bool]:
        r = self.r.at(f"{API}/search/jql")
        root = r.root(body)
        one = partial(parse_issue, r, self.account, self.site)
        raws = r.arr(root, "issues")
        self._learn_ids(raws)
        items, skipped = parse_each(raws, one, self.account, r.endpoint)
        token = r.opt_text(root, "nextPageToken")
        is_last = r.opt_bool(root, "isLast")
        return items, skipped, token, bool(is_last) or token is None

    def _learn_ids(self, raws: list[Any]) -> None:
        for raw in raws:
            if isinstance(raw, dict) and str(raw.get("id", "")).isdigit() and raw.get("key"):
                self._ids[str(raw["key"])] = int(raw["id"])

    def wrote(self, key: str, issue_id: str | int | None = None) -> None:
        """An issue zen-tui changed (or created): reconcile it in the next searches."""
        known = str(issue_id) if issue_id is not None else str(self._ids.get(key, ""))
        if not known.isdigit():
            return  # never seen in a search: nothing to name it by
        number = int(known)
        self._ids[key] = number
        self._written.pop(number, None)
        self._written[number] = None
        while len(self._written) > RECONCILE_MAX:
            del self._written[next(iter(self._written))]

    async def details(self, item: Item) -> ItemDetail:
        errors = Notes()
        detail: dict[str, Any] = {"item_id": item.id, "body": body_of(item)}
        issue = await self._read(f"{API}/issue/{item.key}", errors, _DETAIL_FIELDS)
        if isinstance(issue, dict):
            r = self.r.at(f"{API}/issue/{{key}}")
            fields = r.opt_obj(issue, "fields") or {}
            detail["body"] = strip_zw(adf.to_text(fields.get("description")))
            comments = _embedded_comments(r, fields)
            detail["comments"] = tuple(self._comment(r, c) for c in comments)
        moves = await self._read(f"{API}/issue/{item.key}/transitions", errors, _SCREENS)
        if isinstance(moves, dict):
            r = self.r.at(f"{API}/issue/{{key}}/transitions")
            offered = r.opt_arr(moves, "transitions")
            detail["transitions"] = tuple(r.text(t, "name") for t in offered)
            needs = {r.text(t, "name"): self._asked(r, t, item.key) for t in offered}
            detail["screens"] = {name: fields for name, fields in needs.items() if fields}
        return ItemDetail(**detail, error="; ".join(errors) or None, missing=errors.missing)

    def _asked(self, r: Reader, transition: Any, key: str) -> tuple[ScreenField, ...]:
        """What the move's form asks for: the fields its screen requires, then the comment
        it lists as optional (required once Jira refused this move without one)."""
        needs = screen_fields(r, transition)
        box = comment_box(r, transition)
        if box is None or any(need.key == "comment" for need in needs):
            return needs
        said = self._ruled.get((key, str(r.opt_scalar(transition, "id"))))
        return (*needs, replace(box, required=True, refused=said) if said else box)

    async def exists(self, item: Item) -> bool | None:
        """The issue itself, uncached: Jira's 404 ("does not exist or you do not have
        permission to see it": deleted, moved out of reach, Browse permission gone) is False
        once GET /myself answers; anything else cannot tell."""
        path = f"{API}/issue/{item.key}"
        try:
            await self.gateway.request(
                "GET",
                path,
                endpoint=self.template(path),
                params={"fields": "id"},
                **PREVIEW.options(),
            )
        except GatewayError as err:
            # Only a 404: Jira's 410 is an API it retired, not an issue it deleted.
            missing = isinstance(err, ApiError) and err.status == 404
            return await self._gone_if_answers(f"{API}/myself") if missing else None
        return True

    def _comment(self, r: Reader, raw: Any) -> tuple[str, str]:
        author = r.opt_obj(raw, "author") or {}
        return r.opt_text(author, "displayName") or "", strip_zw(adf.to_text(raw.get("body")))

    def items_for_webhook(self, event: str, payload: dict[str, Any]) -> list[Item]:
        """jira:issue_created / jira:issue_updated / comment_* payloads carry the issue."""
        if event == "jira:issue_deleted" or not isinstance(payload.get("issue"), dict):
            return []
        r = self.r.at(f"webhook:{event}")
        return [parse_issue(r, self.account, self.site, payload["issue"])]

    # ---- writing ---------------------------------------------------------------------------

    async def me(self) -> str:
        """The token's accountId (GET /myself, cached as user_info)."""
        if self._me is None:
            await self._myself()
        assert self._me is not None
        return self._me

    async def zone(self) -> tzinfo:
        """The user's profile time zone, in which Jira reads JQL dates (UTC if unknown)."""
        if self._zone is None:
            try:
                await self._myself()
            except GatewayError:
                return UTC  # try again next time; a UTC cursor is only a little off
        return self._zone or UTC

    async def _myself(self) -> None:
        resp = await self.gateway.request(
            "GET", f"{API}/myself", endpoint=f"{API}/myself", cache_type="user_info"
        )
        r = self.r.at(f"{API}/myself")
        body = r.root(resp.json())
        self._me = self._me or r.text(body, "accountId")
        self._zone = zone_of(r.opt_text(body, "timeZone"))

    async def transitions(self, key: str) -> list[tuple[str, str, str]]:
        """(id, name, target status name) of each transition available now."""
        return [move for move, _ in await self.screened_transitions(key)]

    async def screened_transitions(
        self, key: str
    ) -> list[tuple[tuple[str, str, str], tuple[ScreenField, ...]]]:
        """Each transition available now with the fields its screen requires (one read)."""
        r, listed = await self._transitions(key, _SCREENS)
        return [(_move(r, t), screen_fields(r, t)) for t in listed]

    async def unconditional_moves(self, key: str) -> list[tuple[str, str, str]] | None:
        """The transitions with no screen the issue has now (plain_moves), when none of its
        workflow's transitions from where it is has a condition (each issue in its status
        and workflow then has the same); None when one has (open to some issues there, not
        to others). One read, the transitions failing a condition included (Jira hides them
        otherwise)."""
        r, listed = await self._transitions(key, {**_SCREENS, **_UNAVAILABLE})
        if any(
            r.opt_bool(t, "isConditional") or r.opt_bool(t, "isAvailable") is False for t in listed
        ):
            return None
        return [_move(r, t) for t in listed if _plain(r, t)]

    async def plain_moves(self, key: str) -> list[tuple[str, str, str]]:
        """The transitions open now with no screen: what a move by status takes, which sets
        no field and adds no comment, as Jira's bulk lookup lists them ("do not involve any
        additional field updates"). One with only an optional comment box on its screen is
        left out too: a workflow rule may want that comment (the move's own form asks)."""
        r, listed = await self._transitions(key, _SCREENS)
        return [_move(r, t) for t in listed if _plain(r, t)]

    async def _transitions(self, key: str, params: dict[str, str]) -> tuple[Reader, list[Any]]:
        resp = await self.gateway.request(
            "GET",
            f"{API}/issue/{key}/transitions",
            endpoint=f"{API}/issue/{{key}}/transitions",
            params=params,
            priority=priority(True),  # read for an own action: someone is waiting on it
        )
        r = self.r.at(f"{API}/issue/{{key}}/transitions")
        return r, r.arr(r.root(resp.json()), "transitions")

    def remember_target(self, idempotency_key: str, move: tuple[str, str, str]) -> None:
        """The status a transition (id, name, target) leads to, so verify() can tell whether
        it happened, also after a crash: once the issue moved, the transition's name is no
        longer offered, so the target cannot be looked up again."""
        self._targets[idempotency_key] = move[2]
        kept = {"to": move[2], "transition_id": move[0]}
        self.resolved(idempotency_key, {k: v for k, v in kept.items() if v})

    def _made(self, created: str) -> dict[str, str]:
        """What a create records: the key, and (for the outbox's chains and cross-links, as
        GitHub's create_issue records them) the key and the issue's page."""
        url = f"{self.site.rstrip('/')}/browse/{created}"
        return {"created": created, "created_key": created, "created_url": url}

    async def apply(self, action: Action, *, idempotency_key: str) -> ActionResult:
        key = self.key_of(action.item_id)
        try:
            return await self._write(action, idempotency_key, key)
        except (MissingParam, TooLong) as err:
            return ActionResult(ok=False, message=str(err), conflict=True)
        except ApiGone as err:
            raise gone_message(err, f"Jira {err.endpoint}") from None
        except ApiError as err:
            return refused(err)
        finally:  # the write may have landed: the next preview asks the server again
            self.wrote(key)  # and the next search reads through the index for it
            self.gateway.expire("issue_details", f"{API}/issue/{key}", _DETAIL_FIELDS)
            self.gateway.expire("issue_details", f"{API}/issue/{key}/transitions", _SCREENS)
            self.gateway.expire("issue_details", f"{API}/issue/{key}/editmeta")

    async def _write(self, action: Action, ikey: str, key: str) -> ActionResult:
        p = action.params
        verify = self.verifier(action, ikey)
        if action.kind == "create":
            from zen_tui.services.jira_create import create_args

            created = await self.creating.create_issue(
                **create_args(action, key), idempotency_key=ikey
            )
            self.resolved(ikey, self._made(created))  # `outbox` and a chained step read it
            return ActionResult(ok=True, message=f"created {created}")
        if action.kind in EDIT_KINDS:
            return ActionResult(ok=True, message=await self.editing.write(action, ikey, key))
        if action.kind == "transition":
            screens = await self.screened_transitions(key)
            found = pick_move(action.params, [move for move, _ in screens])
            if found is None:
                moves = [m for m, _ in screens]
                return not_available(action.params, moves, await self._status_or_none(key))
            needs = dict(screens)[found]
            fields = match_allowed(transition_fields(p), needs)
            refused_here = screen_refusal(found[1], needs, fields)
            if refused_here is not None:  # nothing sent: Jira would answer 400
                return refused_here
            fields, update = transition_update(fields, zw_marker(ikey))  # verify() finds it
            self.remember_target(ikey, found)
            body: Any = {"transition": {"id": found[0]}}
            if fields:
                body["fields"] = fields
            if update:
                body["update"] = update
            try:
                await self._send("POST", f"{API}/issue/{key}/transitions", body, ikey, verify)
            except ApiError as err:
                wants = None if update else comment_rule_refusal(found[1], err)
                if wants is None:
                    raise
                self._rule_wants_comment(key, found[0], err.message)
                return wants
        elif action.kind in ("assign", "unassign"):
            who = await self._assignee(action, ikey, key) if action.kind == "assign" else None
            await self._send("PUT", f"{API}/issue/{key}/assignee", {"accountId": who}, ikey)
        elif action.kind == "comment":
            text = p.get("body", "") + zw_marker(ikey)
            within(text, JIRA_TEXT_MAX, "comment too long for Jira", MARKER_ADDED)
            body = {"body": adf.from_text(text)}
            await self._send("POST", f"{API}/issue/{key}/comment", body, ikey, verify)
        else:
            return ActionResult(ok=False, message=f"Jira cannot {action.kind}", conflict=True)
        return ActionResult(ok=True, message=f"{action.kind} done")

    def _rule_wants_comment(self, key: str, transition_id: str, said: str) -> None:
        """Jira refused this move without a comment: its form requires one from now on."""
        self._ruled.pop((key, transition_id), None)
        self._ruled[(key, transition_id)] = said
        while len(self._ruled) > RULES_KEPT:
            del self._ruled[next(iter(self._ruled))]

    async def _assignee(self, action: Action, ikey: str, key: str) -> str:
        """The accountId an assign names: `account_id`, else the one user assignable to the
        issue whose display name is `display_name` (`zen-tui act assign ... display_name=Ada
        Lovelace`: account ids are opaque), else me. A name matching no one, or several,
        is refused with who matched: assigning someone else (or me) instead would be wrong."""
        p = action.params
        name = p.get("display_name", "").strip()
        if p.get("account_id") or not name:
            return p.get("account_id") or await self.me()
        users = await self.editing.assignable(key, name)
        named = [uid for uid, shown in users if shown.strip().casefold() == name.casefold()]
        if len(named) != 1:
            near = ", ".join(sorted({shown for _, shown in users if shown})) or "none"
            what = "no user" if not named else f"{len(named)} users"
            raise MissingParam(
                f"{what} assignable to {key} named {name!r} (matching: {near}); "
                "give the exact display name, or account_id=ID"
            )
        self._assignees[ikey] = named[0]
        self.resolved(ikey, {"account_id": named[0]})  # verify() after a crash reads it
        return named[0]

    def template(self, path: str) -> str:
        return _template(path)

    async def verify(self, action: Action, *, idempotency_key: str) -> bool | None:
        key = self.key_of(action.item_id)
        return await checked(self._check(action, idempotency_key, key))

    async def _check(self, action: Action, ikey: str, key: str) -> bool | None:
        if action.kind == "create":
            created = await self.creating.find(key, ikey)
            if created is not None:
                self.resolved(ikey, self._made(created))
            return created is not None
        if action.kind in EDIT_KINDS:
            return await self.editing.check(action, key)
        if action.kind == "comment":
            return await self._commented(key, ikey)
        fields = await self._fields(key, "status,assignee,resolution")
        r = self.r.at(f"{API}/issue/{{key}}")
        if action.kind == "transition":
            target = self._targets.get(ikey) or action.params.get("to")
            if not target:
                return None
            if (_name(r, fields, "status") or "").casefold() != target.casefold():
                return False
            # A transition whose screen set the resolution landed as asked only with that
            # resolution: in the right status with another (someone else resolved it, as
            # Won't Do say) it did not, and sending it again is what tells the user so.
            asked = asked_resolution(action.params)
            if not _same_resolution(r, r.opt_obj(fields, "resolution"), asked):
                return False
            # Likewise with a comment: in the status without it (a colleague moved the
            # issue there meanwhile) is not as asked, and the comment would be lost.
            return not asks_comment(action.params) or await self._commented(key, ikey)
        if action.kind in ("assign", "unassign"):
            assignee = r.opt_obj(fields, "assignee")
            current = r.opt_text(assignee, "accountId") if assignee else None
            if action.kind == "unassign":
                return current is None
            wanted = self._assignees.get(ikey) or action.params.get("account_id")
            if not wanted and action.params.get("display_name"):
                return None  # never resolved to an id: nothing to compare with
            return current == (wanted or await self.me())
        return None

    async def _commented(self, key: str, ikey: str) -> bool:
        """Whether the issue's latest 100 comments hold one carrying `ikey`'s hidden marker."""
        resp = await self.gateway.request(
            "GET",
            f"{API}/issue/{key}/comment",
            endpoint=f"{API}/issue/{{key}}/comment",
            params={"orderBy": "-created", "maxResults": 100},
            priority=priority(True),
        )
        r = self.r.at(f"{API}/issue/{{key}}/comment")
        comments = r.opt_arr(r.root(resp.json()), "comments")
        bodies = [adf.to_text(c.get("body")) for c in comments if isinstance(c, dict)]
        return any(ikey in zw_keys(text) for text in bodies)

    async def _status_or_none(self, key: str) -> str | None:
        """The issue's status now, for a refusal to say where its transitions lead from
        (Jira's transitions list does not say); None when it cannot be read: the refusal
        stands without it."""
        try:
            fields = await self._fields(key, "status")
        except GatewayError:
            return None
        return _name(self.r.at(f"{API}/issue/{{key}}"), fields, "status") or None

    async def _fields(self, key: str, fields: str) -> dict[str, Any]:
        resp = await self.gateway.request(
            "GET",
            f"{API}/issue/{key}",
            endpoint=f"{API}/issue/{{key}}",
            params={"fields": fields},
            priority=priority(True),
        )
        r = self.r.at(f"{API}/issue/{{key}}")
        return r.opt_obj(r.root(resp.json()), "fields") or {}

    async def available_moves(
        self, keys: list[str], statuses: Mapping[str, str] | None = None
    ) -> Moves:
        """Each issue's transitions (id, name, target status) now, what a bulk move can
        offer: one bulk lookup per status in `statuses` (each issue's as last seen), or each
        issue's own where the lookup is refused (BulkTransitions.available)."""
        from zen_tui.services.jira_bulk import BulkTransitions

        return await BulkTransitions.for_keys(self, keys, statuses).available()

    async def bulk_apply(
        self, actions: list[Action], keys: list[str], progress: Callable[[int, int], None]
    ) -> list[ActionResult]:
        """Transitions go through Jira's bulk API; anything else one by one."""
        # Jira's bulk transition sets no field: a move carrying some goes one by one
        moves = [i for i, a in enumerate(actions) if a.kind == "transition" and not _sets(a)]
        others = sorted(set(range(len(actions))) - set(moves))
        results: list[ActionResult] = [ActionResult(ok=False)] * len(actions)
        done_before = shown = 0

        def report(done: int, _total: int) -> None:
            nonlocal shown  # never backwards: a bulk move redone one by one counts anew
            shown = max(shown, min(len(actions), done_before + done))
            progress(shown, len(actions))

        if moves:
            from zen_tui.services.jira_bulk import BulkTransitions

            bulk = BulkTransitions(self, [actions[i] for i in moves], [keys[i] for i in moves])
            moved = await bulk.run(report) or [ActionResult(ok=False)] * len(moves)
            # 403, nothing submitted: each issue moved on its own; else those whose move is
            # not among their workflow's common transitions (this issue's own may have it)
            alone = list(range(len(moves))) if bulk.no_bulk_change else bulk.one_by_one
            if alone:
                base = len(moves) - len(alone)  # the bulk part's count, reported already
                again = await super().bulk_apply(
                    [actions[moves[j]] for j in alone],
                    [keys[moves[j]] for j in alone],
                    lambda done, total: report(base + done, total),
                )
                for j, res in zip(alone, again, strict=True):
                    moved[j] = res
            for i, res in zip(moves, moved, strict=True):
                results[i] = res
            done_before = len(moves)
        if others:
            rest = await super().bulk_apply(
                [actions[i] for i in others], [keys[i] for i in others], report
            )
            for i, res in zip(others, rest, strict=True):
                results[i] = res
        return results


def _findings(body: Any) -> str:
    """The warnings and errors of /jql/parse's one answer, as one line of plain text (a
    server's words: data, never markup or terminal control), cut as a refused query's
    reason is (shortened); "" for none or another shape."""
    queries = body.get("queries") if isinstance(body, dict) else None
    answer = queries[0] if isinstance(queries, list) and queries else None
    if not isinstance(answer, dict):
        return ""
    said = [
        str(m).strip()
        for key in ("warnings", "errors")
        if isinstance(answer.get(key), list)
        for m in answer[key]
        if str(m).strip()
    ]
    text = clean(" ".join(" ".join(dict.fromkeys(said)).split()))
    return shortened(text)


def _sets(action: Action) -> bool:
    """Whether a transition sets fields (resolution=, resolution_id=, fields=) as it moves."""
    return any(action.params.get(name) for name in ("resolution", "resolution_id", "fields"))


def _same_resolution(r: Reader, current: dict[str, Any] | None, asked: dict[str, Any]) -> bool:
    """Whether the issue's resolution is the one a transition asked for (by id, or by name in
    any case, as Jira takes either); asking none, any resolution will do."""
    if "id" in asked:
        return current is not None and r.opt_scalar(current, "id") == str(asked["id"])
    if "name" in asked:
        shown = (r.opt_text(current, "name") or "") if current else ""
        return shown.casefold() == str(asked["name"]).strip().casefold()
    return True


def _plain(r: Reader, transition: Any) -> bool:
    """A transition with no screen (and so no field to set)."""
    return not r.opt_bool(transition, "hasScreen") and not screen_fields(r, transition)


def _move(r: Reader, transition: Any) -> tuple[str, str, str]:
    """A transition as (id, name, target status name)."""
    return str(r.opt_scalar(transition, "id")), r.text(transition, "name"), _name(r, transition)


def _name(r: Reader, obj: dict[str, Any], key: str = "to") -> str:
    target = r.opt_obj(obj, key)
    return (r.opt_text(target, "name") or "") if target else ""


def _template(path: str) -> str:
    parts = path.split("/")
    if len(parts) > 5 and parts[4] == "issue":
        parts[5] = "{key}"
    return "/".join(parts)


def _embedded_comments(r: Reader, fields: dict[str, Any]) -> list[Any]:
    """An issue's `comment` field: a page of comments (`{"comments": [...], "total": ...}`,
    what Jira sends), or the bare list Atlassian's own OpenAPI example shows for
    GET /issue/{key}; either way the comments, not a failed preview."""
    if isinstance(fields.get("comment"), list):
        return r.opt_arr(fields, "comment")
    return r.opt_arr(r.opt_obj(fields, "comment") or {}, "comments")
