"""Jira triage beyond transition/comment/assign: edit fields (editmeta), assign to anyone
(assignable-user search), link issues (issueLinkType), edit/delete own comments, and the
issue's history (changelog). The reads feed the dashboard's forms and pickers; each write is
an outbox action kind with a verify() that tells whether it already landed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from zen_tui.actions import split_labels
from zen_tui.gateway.errors import ApiError
from zen_tui.models import Action
from zen_tui.services import adf
from zen_tui.services.base import MissingParam, answered, param, priority
from zen_tui.services.jira_create import CreateField, fields_from_params
from zen_tui.services.jira_parse import tail_pages
from zen_tui.services.markers import strip_zw

if TYPE_CHECKING:
    from zen_tui.services.jira import JiraClient

API = "/rest/api/3"
EDITABLE = ("summary", "priority", "labels", "duedate")  # what the edit form offers
USERS_SHOWN = 20  # assignable users per search


class LinkType(msgspec.Struct, frozen=True):
    id: str
    name: str
    inward: str  # "is blocked by"
    outward: str  # "blocks": the phrase for "THIS <outward> TARGET"


class Comment(msgspec.Struct, frozen=True):
    id: str
    author_id: str
    author: str
    text: str


class Change(msgspec.Struct, frozen=True):
    when: str  # Jira's timestamp, as sent
    who: str
    what: str  # "status: To Do -> In Progress"


class JiraEdit:
    """Reads for the forms, and the writes and checks of the edit-like kinds."""

    def __init__(self, client: JiraClient) -> None:
        self.client = client

    # ---- reads ------------------------------------------------------------------------------

    async def _get(
        self, path: str, endpoint: str, params: dict[str, Any] | None = None, cached: bool = True
    ) -> Any:
        options: dict[str, Any] = (
            {"cache_type": "issue_details", "allow_stale": True} if cached else {}
        )
        resp = await self.client.gateway.request(
            "GET", path, endpoint=endpoint, params=params, priority=priority(True), **options
        )
        return resp.json()

    async def edit_fields(self, key: str) -> list[tuple[CreateField, str]]:
        """The editable fields of EDITABLE this issue's edit screen offers (editmeta), each with
        its current value as text, in EDITABLE's order."""
        endpoint = f"{API}/issue/{{key}}/editmeta"
        r = self.client.r.at(endpoint)
        meta = r.opt_obj(r.root(await self._get(f"{API}/issue/{key}/editmeta", endpoint)), "fields")
        now = await self.client._fields(key, ",".join(EDITABLE))
        out = []
        for name in EDITABLE:
            f = (meta or {}).get(name)
            if not isinstance(f, dict):
                continue
            allowed = tuple(
                r.opt_text(v, "name") or r.opt_text(v, "value") or ""
                for v in r.opt_arr(f, "allowedValues")
            )
            spec = CreateField(
                id=name,
                name=r.opt_text(f, "name") or name,
                required=bool(r.opt_bool(f, "required")),
                kind=r.opt_text(r.opt_obj(f, "schema") or {}, "type") or "string",
                allowed=tuple(a for a in allowed if a),
            )
            out.append((spec, _as_text(now.get(name))))
        return out

    async def assignable(self, key: str, query: str) -> list[tuple[str, str]]:
        """(accountId, display name) of users who can be assigned `key`, matching `query`
        (as typed: Jira matches name and email prefixes). Never cached: each keystroke asks."""
        endpoint = f"{API}/user/assignable/search"
        params = {"issueKey": key, "query": query, "maxResults": USERS_SHOWN}
        r = self.client.r.at(endpoint)
        users = r.root_list(await self._get(endpoint, endpoint, params, cached=False))
        return [(r.text(u, "accountId"), r.opt_text(u, "displayName") or "") for u in users]

    async def link_types(self) -> list[LinkType]:
        endpoint = f"{API}/issueLinkType"
        r = self.client.r.at(endpoint)
        body = r.root(await self._get(endpoint, endpoint))
        return [
            LinkType(
                str(r.opt_scalar(t, "id")),
                r.text(t, "name"),
                r.opt_text(t, "inward") or "",
                r.opt_text(t, "outward") or "",
            )
            for t in r.arr(body, "issueLinkTypes")
        ]

    async def comments(self, key: str) -> list[Comment]:
        """The issue's comments, newest first (never cached: they are about to be edited)."""
        endpoint = f"{API}/issue/{{key}}/comment"
        r = self.client.r.at(endpoint)
        params = {"orderBy": "-created", "maxResults": 100}
        body = r.root(await self._get(f"{API}/issue/{key}/comment", endpoint, params, False))
        out = []
        for c in r.opt_arr(body, "comments"):
            author = r.opt_obj(c, "author") or {}
            out.append(
                Comment(
                    id=str(r.opt_scalar(c, "id")),
                    author_id=r.opt_text(author, "accountId") or "",
                    author=r.opt_text(author, "displayName") or "",
                    text=strip_zw(adf.to_text(c.get("body"))),
                )
            )
        return out

    async def my_comments(self, key: str) -> list[Comment]:
        me = await self.client.me()
        return [c for c in await self.comments(key) if c.author_id == me]

    async def history(self, key: str, limit: int = 200) -> list[Change]:
        """The issue's changelog, newest first (GET issue/{key}/changelog, paged oldest
        first: its newest `limit` histories are read, their changes cut to `limit`)."""
        endpoint = f"{API}/issue/{{key}}/changelog"

        async def page(params: dict[str, int]) -> Any:
            return await self._get(f"{API}/issue/{key}/changelog", endpoint, params)

        r = self.client.r.at(endpoint)
        changes: list[Change] = []
        for h in await tail_pages(page, r, "values", size=100, most=limit):
            who = r.opt_text(r.opt_obj(h, "author") or {}, "displayName") or "someone"
            when = r.opt_text(h, "created") or ""
            for item in r.opt_arr(h, "items"):
                field = r.opt_text(item, "field") or "?"
                old = r.opt_text(item, "fromString") or "-"
                new = r.opt_text(item, "toString") or "-"
                changes.append(Change(when, who, f"{field}: {old} -> {new}"))
        changes.reverse()  # Jira pages oldest first; within one second, keep that order
        changes.sort(key=lambda c: _epoch(c.when), reverse=True)
        return changes[:limit]

    # ---- writes -----------------------------------------------------------------------------

    async def write(self, action: Action, ikey: str, key: str) -> str:
        """Apply an edit-like action; the message for the outbox. Raises MissingParam."""
        c, p = self.client, action.params
        verify = c.verifier(action, ikey)
        if action.kind == "edit":
            body = {"fields": edit_fields(p)}
            await c._send("PUT", f"{API}/issue/{key}", body, ikey, verify)
            return f"edited {', '.join(sorted(body['fields']))} of {key}"
        if action.kind == "link":
            await self._link(key, param(action, "type"), param(action, "target"), ikey, action)
            return f"linked {key} to {p['target']}"
        comment = param(action, "comment_id")
        path = f"{API}/issue/{key}/comment/{comment}"
        if action.kind == "edit_comment":
            body = {"body": adf.from_text(param(action, "body"))}
            await c._send("PUT", path, body, ikey, verify)
            return f"edited comment {comment} on {key}"
        await c._send("DELETE", path, None, ikey, verify)
        return f"deleted comment {comment} on {key}"

    async def _link(self, key: str, kind: str, target: str, ikey: str, action: Action) -> None:
        """POST issueLink: THIS <outward phrase> TARGET (Jira: inwardIssue is the one the
        outward phrase starts from). Jira answers 201 with no body."""
        link_type = await self._link_type(kind)
        body = {
            "type": {"id": link_type.id},
            "inwardIssue": {"key": key},
            "outwardIssue": {"key": target},
        }
        c = self.client
        resp = await c.gateway.request(
            "POST",
            f"{API}/issueLink",
            endpoint=f"{API}/issueLink",
            json=body,
            priority=priority(True),
            idempotency_key=ikey,
            verify=c.verifier(action, ikey),
        )
        if not (resp.status == 201 and not resp.body):
            answered(resp)

    async def _link_type(self, wanted: str) -> LinkType:
        types = await self.link_types()
        w = wanted.strip().casefold()
        for t in types:
            if w in (t.id, t.name.casefold(), t.outward.casefold()):
                return t
        names = ", ".join(t.name for t in types) or "none"
        raise MissingParam(f"no issue link type {wanted!r}; use one of: {names}")

    # ---- checks -----------------------------------------------------------------------------

    async def check(self, action: Action, key: str) -> bool | None:
        p = action.params
        if action.kind == "edit":
            return _matches(await self.client._fields(key, ",".join(EDITABLE)), edit_fields(p))
        if action.kind == "link":
            return await self._linked(key, p.get("type", ""), p.get("target", ""))
        comment = p.get("comment_id", "")
        try:
            raw = await self._get(
                f"{API}/issue/{key}/comment/{comment}",
                f"{API}/issue/{{key}}/comment/{{id}}",
                cached=False,
            )
        except ApiError as err:
            if err.status == 404:  # gone: deleted (by us, before the answer was lost)
                return action.kind == "delete_comment"
            raise
        if action.kind == "delete_comment":
            return False
        text = strip_zw(adf.to_text(raw.get("body") if isinstance(raw, dict) else None))
        return text.strip() == p.get("body", "").strip()

    async def _linked(self, key: str, kind: str, target: str) -> bool:
        fields = await self.client._fields(key, "issuelinks")
        r = self.client.r.at(f"{API}/issue/{{key}}")
        link_type = await self._link_type(kind)
        for link in r.opt_arr(fields, "issuelinks"):
            t = r.opt_obj(link, "type") or {}
            other = r.opt_obj(link, "outwardIssue") or {}
            same = str(r.opt_scalar(t, "id")) == link_type.id
            if same and r.opt_text(other, "key") == target:
                return True
        return False


def edit_fields(params: dict[str, str]) -> dict[str, Any]:
    """The `fields` of PUT issue from an edit action's params."""
    fields = fields_from_params({k: v for k, v in params.items() if k != "summary"})
    if params.get("summary"):
        fields["summary"] = params["summary"]
    if not fields:
        raise MissingParam("edit needs one of summary=, priority=, labels=, duedate=, fields=")
    return fields


def _matches(now: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether the issue's fields already hold what an edit sets (only the simple ones;
    anything else cannot be told apart here and counts as not applied)."""
    for name, value in wanted.items():
        current = now.get(name)
        if name == "priority":
            want = (value or {}).get("name", "").casefold()
            have = (current or {}).get("name", "") if isinstance(current, dict) else ""
            if have.casefold() != want:
                return False
        elif name == "labels":
            if sorted(current or []) != sorted(value or []):
                return False
        elif name in ("summary", "duedate"):
            if (current or None) != (value or None):
                return False
        else:
            return False
    return True


def _as_text(value: Any) -> str:
    """A field's current value as the form shows it."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get("name") or value.get("value") or value.get("displayName") or "")
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _epoch(when: str) -> float:
    try:
        return datetime.strptime(when, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return 0.0


__all__ = ["Change", "Comment", "JiraEdit", "LinkType", "edit_fields", "split_labels"]
