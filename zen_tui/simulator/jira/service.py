"""Simulated Jira Cloud platform REST v3 under `/jira` (site root; REST at /jira/rest/api/3).

Auth: Basic base64(email:token) with the account's API token, or Bearer with an access token
from the simulated Atlassian OAuth (`jira_oauth`). With OAuth the real base URL is
`https://api.atlassian.com/ex/jira/{cloudid}`; the same REST routes are also served under
`/jira/ex/jira/{cloudid}`. As on the real service, an OAuth (3LO) access token is accepted
there only: the site URL answers it 401 (3LO calls go via api.atlassian.com, never the
site). Errors are ErrorCollection bodies; every response has X-ARequestId.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route

from zen_tui.simulator.core.budget import FixedWindow
from zen_tui.simulator.core.world import ServiceSim, World
from zen_tui.simulator.jira import adf
from zen_tui.simulator.jira import fields as jira_fields
from zen_tui.simulator.jira import meta as jira_meta
from zen_tui.simulator.jira import writes as jira_writes
from zen_tui.simulator.jira.bulk import (
    BULK_MAX,
    NO_BULK_CHANGE,
    NOT_A_TASK,
    BadCursor,
    BulkTask,
    available_transitions,
    bulk_error,
    progress,
)
from zen_tui.simulator.jira.jql import VALIDATIONS, JqlError, Known, parse, parsed
from zen_tui.simulator.jira.model import (
    FLAGGED_FIELD,
    PRIORITIES,
    PROJECTS,
    RESOLUTIONS,
    STATUSES,
    JiraComment,
    JiraHistory,
    JiraIssue,
    JiraUser,
    Renderer,
    account_id,
    colleague_names,
    seed_issues,
    select_fields,
)
from zen_tui.simulator.jira.oauth import AtlassianOAuth
from zen_tui.simulator.jira.screens import is_date, rule_refusal, screen_update, screen_values
from zen_tui.simulator.jira.search import (
    SearchIndex,
    api_version,
    decode_token,
    encode_token,
    error_collection,
    jql_vocabulary,
    page_window,
    project_key,
    reconcile_ids,
    rich_error,
    rich_text,
    search_params,
    sort_issues,
    values,
)

Body = Any
Handler = Callable[[Request, Body], Response]
REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
NOT_FOUND = "Issue does not exist or you do not have permission to see it."
PUBLIC = {"/serverInfo"}  # Jira answers these without credentials


class JiraSim(ServiceSim):
    name = "jira"
    prefix = "/jira"
    # Jira's three limits, each with its own scope (Atlassian's rate-limiting guide), each
    # 429 naming its own in RateLimit-Reason: a burst budget per endpoint and HTTP method
    # (jira-burst-based), a write budget per issue (jira-per-issue-on-write), and for OAuth
    # (3LO) traffic an hourly points quota for the tenant (jira-quota-tenant-based). All
    # times world.rate_scale; Atlassian publishes no figures for the first two.
    burst_per_minute = 600  # requests per minute per endpoint and method
    issue_writes_per_minute = 20  # writes per minute to one issue
    # OAuth (3LO) traffic also spends an hourly points quota, reset on the hour: 1 per call,
    # plus 1 per object a read returns (an issue, a comment); a write costs the 1 alone.
    points_per_hour = 100_000
    # Seconds a change takes to reach the search index (real Jira: eventually consistent;
    # `reconcileIssues` reads through it). 0 = searches see every change at once.
    search_lag = 0.0
    # Comma-separated project keys the user has lost Browse permission on: their issues leave
    # every search and read, and JQL naming them is a 400 that does not tell them from a
    # project that does not exist (as Jira answers).
    hidden_projects = ""
    # Whether the user holds Jira's global "Make bulk changes" permission, which both bulk
    # transition endpoints need; without it they answer 403 (the issues' own transitions
    # still work: that is a project permission of its own).
    bulk_change = True
    settings: ClassVar[dict[str, type]] = {  # see /_sim/settings
        "search_lag": float,
        "hidden_projects": str,
        "bulk_change": bool,
        "burst_per_minute": int,
        "issue_writes_per_minute": int,
        "points_per_hour": int,
    }

    def __init__(self, world: World, token: str, email: str) -> None:
        super().__init__(world, token)
        self.email = self.username = email
        rng = world.rng
        self.me = account_id(rng)
        self.users: dict[str, JiraUser] = {self.me: JiraUser(self.me, "Me (simulated)", email)}
        for name in colleague_names():
            uid = account_id(rng)
            self.users[uid] = JiraUser(uid, name, name.split()[0].lower() + "@example.com")
        self.cloud_id = str(uuid.UUID(int=rng.getrandbits(128)))
        self.oauth = AtlassianOAuth(world.clock, self.cloud_id, "zen-sim")
        self.issues: dict[str, JiraIssue] = {}
        self.by_id: dict[str, JiraIssue] = {}
        self.tasks: dict[str, BulkTask] = {}
        self.site_url = "http://127.0.0.1/jira"
        self.bursts: dict[str, FixedWindow] = {}  # "GET /issue/{key}" -> its burst budget
        self.issue_writes: dict[str, FixedWindow] = {}  # issue key -> its write budget
        # On the world's clock as it is at each call (a test may set it), reset on the hour.
        self.quota = FixedWindow(self.points_per_hour, 3600.0, lambda: world.clock(), aligned=True)
        self._next_comment = 900000
        self.index = SearchIndex()
        # transition id -> the message an admin gave its workflow rule (answered in
        # errorMessages when the rule refuses a move; without one, Jira's field error)
        self.rule_messages: dict[str, str] = {}

    # -- ServiceSim ------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        colleagues = [u for u in self.users if u != self.me]
        issues = seed_issues(self.world.rng, count, colleagues, self.me, self.world.clock())
        for issue in issues:
            self._add(issue)

    def _add(self, issue: JiraIssue) -> None:
        self.issues[issue.key] = issue
        self.by_id[str(issue.id)] = issue

    def routes(self) -> list[BaseRoute]:
        rest = self._rest_routes()
        return [*rest, *self.oauth.routes(), Mount("/ex/jira/{cloudid}", routes=rest)]

    def _rest_routes(self) -> list[BaseRoute]:
        """v3, and the same resources under v2 and latest (plain-text rich fields there);
        anything else under /rest/ (agile, removed APIs) gets Jira's JSON 404."""
        table = self._table()
        routes: list[BaseRoute] = [
            Route(
                f"/rest/api/{version}{path}",
                self._wrap(fn, f"{m} {path}", public=path in PUBLIC),
                methods=[m],
            )
            for version in ("3", "2", "latest")
            for m, path, fn in table
        ]
        every = ["GET", "POST", "PUT", "DELETE", "PATCH"]
        return [*routes, Route("/rest/{path:path}", self._unrouted(routes), methods=every)]

    def _table(self) -> list[tuple[str, str, Handler]]:
        meta, writes = jira_meta, jira_writes
        core: list[tuple[str, str, Handler]] = [
            ("GET", "/search/jql", self.search),
            ("POST", "/search/jql", self.search),
            ("GET", "/search", self.removed),
            ("POST", "/search", self.removed),
            ("POST", "/search/approximate-count", self.count),
            ("POST", "/jql/parse", self.parse_jql),
            ("POST", "/issue", partial(writes.create_issue, self)),
            ("GET", "/issue/{key}", self.get_issue),
            ("PUT", "/issue/{key}", self.edit_issue),
            ("DELETE", "/issue/{key}", self.delete_issue),
            ("GET", "/issue/{key}/transitions", self.get_transitions),
            ("POST", "/issue/{key}/transitions", self.transition),
            ("GET", "/issue/{key}/comment", self.get_comments),
            ("POST", "/issue/{key}/comment", self.add_comment),
            ("PUT", "/issue/{key}/assignee", self.assign),
            ("GET", "/myself", self.myself),
            ("POST", "/bulk/issues/transition", self.bulk_transition),
            ("GET", "/bulk/issues/transition", self.bulk_available),
            ("GET", "/bulk/queue/{task}", self.bulk_progress),
        ]
        catalogue: list[tuple[str, str, Callable[..., Response]]] = [
            ("GET", "/serverInfo", meta.server_info),
            ("GET", "/configuration", meta.configuration),
            ("GET", "/field", meta.fields),
            ("GET", "/project", meta.projects),
            ("GET", "/project/search", meta.project_search),
            ("GET", "/project/{key}", meta.project),
            ("GET", "/project/{key}/statuses", meta.project_statuses),
            ("GET", "/issuetype", meta.issue_types),
            ("GET", "/issuetype/{id}", meta.issue_types),
            ("GET", "/status", meta.statuses),
            ("GET", "/status/{ref}", meta.statuses),
            ("GET", "/priority", meta.priorities),
            ("GET", "/resolution", meta.resolutions),
            ("GET", "/issueLinkType", meta.link_types),
            ("GET", "/issueLinkType/{id}", meta.link_types),
            ("GET", "/user", meta.user),
            ("GET", "/user/search", meta.user_search),
            ("GET", "/user/assignable/search", meta.assignable_search),
            ("GET", "/user/picker", meta.user_picker),
            ("GET", "/user/assignable/multiProjectSearch", meta.multi_project_assignable),
            ("GET", "/users/search", meta.all_users),
            ("GET", "/statuses/search", meta.statuses_search),
            ("GET", "/filter/favourite", meta.favourite_filters),
            ("GET", "/jql/autocompletedata", meta.jql_autocomplete),
            ("GET", "/jql/autocompletedata/suggestions", meta.jql_suggestions),
            ("GET", "/issue/{key}/editmeta", meta.editmeta),
            ("GET", "/issue/picker", meta.issue_picker),
            ("POST", "/issue/bulkfetch", meta.bulk_fetch),
            ("GET", "/issue/createmeta/{project}/issuetypes", meta.createmeta_types),
            ("GET", "/issue/createmeta/{project}/issuetypes/{type}", meta.createmeta_fields),
            ("GET", "/issue/{key}/comment/{id}", writes.get_comment),
            ("PUT", "/issue/{key}/comment/{id}", writes.edit_comment),
            ("DELETE", "/issue/{key}/comment/{id}", writes.delete_comment),
            ("GET", "/issue/{key}/worklog", writes.get_worklogs),
            ("POST", "/issue/{key}/worklog", writes.add_worklog),
            ("GET", "/issue/{key}/worklog/{id}", writes.get_worklog),
            ("DELETE", "/issue/{key}/worklog/{id}", writes.delete_worklog),
            ("DELETE", "/issue/{key}/remotelink/{id}", writes.delete_remote_link),
            ("GET", "/issue/{key}/remotelink", writes.get_remote_links),
            ("POST", "/issue/{key}/remotelink", writes.add_remote_link),
            ("GET", "/issue/{key}/changelog", writes.changelog),
            ("POST", "/issueLink", writes.add_issue_link),
            ("GET", "/issueLink/{id}", writes.get_issue_link),
            ("DELETE", "/issueLink/{id}", writes.delete_issue_link),
        ]
        # Static paths first: Starlette takes the first match, so /issue/createmeta/... must
        # not be read as /issue/{key}/...
        bound = [(m, p, partial(fn, self)) for m, p, fn in catalogue]
        return sorted([*core, *bound], key=lambda row: row[1].count("{"))

    @staticmethod
    def _unrouted(routes: list[BaseRoute]) -> Callable[[Request], Awaitable[Response]]:
        """Jira's JSON answer for an unknown resource (404) or a wrong method (405), where
        the framework would send plain text."""

        async def endpoint(request: Request) -> Response:
            if any(r.matches(request.scope)[0] == Match.PARTIAL for r in routes):
                return error_collection(405, "Method Not Allowed")
            return error_collection(404, f"null for uri: {request.url}")

        return endpoint

    def rate_limited_response(
        self, retry_after: float, reason: str = "", limit: int | None = None
    ) -> Response:
        """Jira's 429: Retry-After, the reset, and which limit refused (`reason`; a fault
        rule names none: a burst limit, the commonest)."""
        reset = datetime.fromtimestamp(
            math.ceil((self.world.clock() + retry_after) / 60) * 60, UTC
        ).strftime("%Y-%m-%dT%H:%MZ")
        headers = {
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Reset": reset,
            "X-RateLimit-Limit": str(limit or self._scaled(self.burst_per_minute)),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-NearLimit": "true",
            "RateLimit-Reason": reason or "jira-burst-based",
            "X-ARequestId": uuid.uuid4().hex,
        }
        return error_collection(429, "Rate limit exceeded.", headers=headers)

    def _quota_headers(self) -> dict[str, str]:
        """The beta IETF-style headers Jira sends to OAuth apps under the points model, as
        observed (developer community, 2026-03): `t` counts down to the hour; below 20 % left
        NearLimit and the reason come too; once nothing is left the Policy header is no longer
        sent, and X-Beta-RateLimit-Reset names the reset instead."""
        remaining, reset_at = self.quota.remaining, self.quota.reset_at
        left = max(1, math.ceil(reset_at - self.world.clock()))
        headers = {"Beta-RateLimit": f'"tenant-app-quota";r={remaining};t={left}'}
        if remaining > 0:
            headers["Beta-RateLimit-Policy"] = f'"tenant-app-quota";q={self.quota.limit};w=3600'
        else:
            stamp = datetime.fromtimestamp(reset_at, UTC).strftime("%Y-%m-%dT%H:%MZ")
            headers["X-Beta-RateLimit-Reset"] = stamp
        if remaining < self.quota.limit * 0.2:
            headers["X-Beta-RateLimit-NearLimit"] = "true"
            headers["X-Beta-RateLimit-Reason"] = "jira-quota-tenant-based"
        return headers

    def error_response(self, status: int, message: str) -> Response:
        headers = {"X-ARequestId": uuid.uuid4().hex}
        if status == 503:
            headers["Retry-After"] = "5"  # Jira's 503s may carry Retry-After too
        return error_collection(status, message, headers=headers)

    def activity(self) -> None:
        """A colleague creates an issue (sometimes for me), moves one along, or comments."""
        with self.world.lock:
            rng = self.world.rng
            actor = rng.choice([u for u in self.users if u != self.me])
            roll = rng.random()
            if roll < 0.2 or not self.issues:
                self._create(actor, assignee=self.me if rng.random() < 0.5 else actor)
                return
            issue = self.issues[rng.choice(list(self.issues))]
            if roll < 0.6 and issue.transitions(screenless=True):
                moves = issue.transitions(screenless=True)
                self._apply_transition(issue, rng.choice(moves).id, actor)
            else:
                line = rng.choice(["Any update here?", "Reproduced on staging.", "Merged a fix."])
                self._comment(issue, actor, adf.from_text(line))

    def _create(self, reporter: str, assignee: str | None) -> JiraIssue:
        issue = self._new_issue(None, reporter, assignee)
        self._announce_created(issue, reporter)
        return issue

    def _new_issue(self, project: str | None, reporter: str, assignee: str | None) -> JiraIssue:
        """A fresh To Do issue (random summary and fields; callers overwrite what they set)."""
        [issue] = seed_issues(self.world.rng, 1, [reporter], self.me, self.world.clock())
        issue.project = project or issue.project
        number = 1 + sum(1 for i in self.issues.values() if i.project == issue.project)
        issue.id, issue.key = 10000 + len(self.issues), f"{issue.project}-{number}"
        issue.assignee, issue.reporter, issue.status, issue.comments = (
            assignee,
            reporter,
            "10000",
            [],
        )
        issue.resolution = issue.resolved = issue.sprint = None
        issue.created = issue.updated = self.world.clock()
        self._add(issue)
        return issue

    def _announce_created(self, issue: JiraIssue, reporter: str) -> None:
        render = Renderer(self.site_url, self.users, self.issues)
        self.world.emit(
            "jira",
            "jira:issue_created",
            {
                "timestamp": int(issue.created * 1000),
                "webhookEvent": "jira:issue_created",
                "issue_event_type_name": "issue_created",
                "user": render.user(reporter),
                "issue": render.issue(issue, None),
            },
        )

    # -- plumbing ---------------------------------------------------------------------------
    def _wrap(
        self, handler: Handler, name: str, *, public: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        """`name`: the endpoint and method ("POST /search/jql"), whose burst budget a call
        spends (the same for v2, v3 and latest)."""

        async def endpoint(request: Request) -> Response:
            response = await self._serve(request, handler, name, public)
            response.headers["X-ARequestId"] = uuid.uuid4().hex
            return response

        return endpoint

    async def _serve(
        self, request: Request, handler: Handler, name: str, public: bool = False
    ) -> Response:
        if self._authenticate(request) is None and not (public and _anonymous(request)):
            return error_collection(
                401,
                "Client must be authenticated to access this resource.",
                headers={"WWW-Authenticate": 'Basic realm="protected-area"'},
            )
        cloud = request.path_params.get("cloudid")
        if cloud is not None and cloud != self.cloud_id:
            return error_collection(
                404,
                f"No Jira site with cloud id {cloud}; see "
                "/oauth/token/accessible-resources for the right one.",
            )
        body: Body = None
        if request.method in ("POST", "PUT"):
            raw = await request.body()
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return error_collection(400, "Request body is not valid JSON; send a JSON object.")
        with self.world.lock:
            self.quota.limit = self._scaled(self.points_per_hour)
            oauth = self._is_oauth(request)
            if oauth and self.quota.remaining <= 0:
                return self._quota_exceeded()
            burst = self._budget(self.bursts, name, self.burst_per_minute)
            if not burst.take():
                return self.rate_limited_response(burst.retry_after(), limit=burst.limit)
            refused = self._issue_write_refused(request)
            if refused is not None:
                return refused
            self.world.counters.spend("jira", "requests")
            self.site_url = _site(request)
            response = handler(request, body)
            if oauth:  # reads name the objects they returned (request.state.objects)
                cost = 1 + getattr(request.state, "objects", 0)
                self.quota.take(cost)
                self.world.counters.spend("jira", "points", cost)
                response.headers.update(self._quota_headers())
            if burst.remaining < burst.limit * 0.2:
                response.headers["X-RateLimit-NearLimit"] = "true"
            return response

    def _scaled(self, figure: int) -> int:
        return max(1, int(figure * self.world.rate_scale))

    def _budget(self, budgets: dict[str, FixedWindow], key: str, per_minute: int) -> FixedWindow:
        """`key`'s one-minute budget, at today's figure (settings and rate_scale may change)."""
        budget = budgets.setdefault(key, FixedWindow(per_minute, 60.0, self.world.clock))
        budget.limit = self._scaled(per_minute)
        return budget

    def _issue_write_refused(self, request: Request) -> Response | None:
        """A write to one issue (any change under /issue/{key}) over that issue's budget:
        Jira's per-issue 429, which says nothing of writes to other issues or of reads."""
        ref = request.path_params.get("key")
        if request.method == "GET" or ref is None:
            return None
        issue = self._find(ref)
        key = issue.key if issue is not None else ref.upper()
        budget = self._budget(self.issue_writes, key, self.issue_writes_per_minute)
        if budget.take():
            return None
        reason = "jira-per-issue-on-write"
        return self.rate_limited_response(budget.retry_after(), reason, budget.limit)

    def _is_oauth(self, request: Request) -> bool:
        scheme, _, cred = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and cred != self.token

    def _quota_exceeded(self) -> Response:
        reason = "jira-quota-tenant-based"
        response = self.rate_limited_response(self.quota.retry_after(), reason, self.quota.limit)
        response.headers.update(self._quota_headers())
        response.headers["X-Beta-RateLimit-Reason"] = reason
        return response

    def _authenticate(self, request: Request) -> str | None:
        scheme, _, cred = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            if cred == self.token:
                return self.me
            # A 3LO token works at api.atlassian.com/ex/jira/{cloudid} only, not the site URL.
            via_cloud = request.path_params.get("cloudid") is not None
            return self.me if via_cloud and self.oauth.valid(cred) else None
        if scheme.lower() == "basic":
            try:
                email, _, token = base64.b64decode(cred).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            if email.lower() == self.email.lower() and token == self.token:
                return self.me
        return None

    def _render(self, request: Request) -> Renderer:
        return Renderer(_site(request), self.users, self.issues, api_version(request))

    def _find(self, key: str) -> JiraIssue | None:
        issue = self.issues.get(key.upper()) or self.by_id.get(key)
        return issue if issue is not None and self.browsable(issue.project) else None

    def hidden(self) -> frozenset[str]:
        return frozenset(k.strip().upper() for k in self.hidden_projects.split(",") if k.strip())

    def browsable(self, project: str) -> bool:
        return project not in self.hidden()

    def project_key(self, ref: str) -> str | None:
        """A visible project's key from its key or id; None when unknown or not browsable."""
        key = project_key(ref)
        return key if key is not None and self.browsable(key) else None

    def visible_projects(self) -> list[str]:
        return [k for k in PROJECTS if self.browsable(k)]

    def known(self) -> Known:
        """What JQL may name, by field: what the user can see (ids, keys and names)."""
        visible = [i for i in self.issues.values() if self.browsable(i.project)]
        return jql_vocabulary(self.visible_projects(), visible)

    def _touch(self, issue: JiraIssue) -> None:
        issue.updated = max(self.world.clock(), issue.updated)

    # -- search -----------------------------------------------------------------------------
    def search(self, request: Request, body: Body) -> Response:
        params = search_params(request, body)
        try:
            query = parse(str(params.get("jql") or ""), **self._parsing())
        except JqlError as exc:
            return error_collection(400, *exc.messages)
        wanted = select_fields(params.get("fields"), default_all=False)
        id_only = not wanted or wanted <= {"id", "key"}
        cap = 5000 if id_only else 100
        try:
            limit = min(cap, max(1, int(params.get("maxResults") or 50)))
        except (TypeError, ValueError):
            return error_collection(400, "maxResults must be a whole number.")
        jql_hash = hashlib.sha1(str(params.get("jql")).encode()).hexdigest()[:12]
        offset = decode_token(params.get("nextPageToken"), jql_hash, self.world.clock())
        if offset is None:
            return error_collection(400, "The provided next page token is invalid or expired.")
        reconciled = reconcile_ids(params.get("reconcileIssues"))
        if isinstance(reconciled, str):
            return error_collection(400, reconciled)
        now = self.world.clock()
        visible = (i for i in self.issues.values() if self.browsable(i.project))
        pool = self.index.issues(visible, now, self.search_lag, reconciled)
        matches = [i for i in pool if query.where and query.where(values(i))]
        sort_issues(matches, query.order or [("key", True)])
        page = matches[offset : offset + limit]
        request.state.objects = len(page)  # points-based quota: objects returned
        render = self._render(request)
        if params.get("fields"):
            issues = [render.issue(i, wanted, comment_cap=20) for i in page]
        else:
            issues = [{"id": str(i.id)} for i in page]  # the default is id only
        result: dict[str, Any] = {"issues": issues, "isLast": offset + limit >= len(matches)}
        if not result["isLast"]:
            result["nextPageToken"] = encode_token(offset + limit, jql_hash, self.world.clock())
        return JSONResponse(result)

    def _parsing(self) -> dict[str, Any]:
        return {
            "now": self.world.clock(),
            "me": self.me,
            "known": self.known(),
            "people": self.people(),
        }

    def people(self) -> frozenset[str]:
        """The users JQL may name, lower-cased: account ids, emails and display names."""
        return frozenset(
            v.lower() for u in self.users.values() for v in (u.account_id, u.email, u.display_name)
        )

    def parse_jql(self, request: Request, body: Body) -> Response:
        """POST /jql/parse: each query's errors and warnings under `validation` (strict by
        default), and the syntax tree (`structure`) of one that has neither (jql.parsed)."""
        mode = request.query_params.get("validation", "strict")
        if mode not in VALIDATIONS:
            return error_collection(
                400, f"Invalid validation mode '{mode}'. Use one of: strict, warn, none."
            )
        queries = body.get("queries") if isinstance(body, dict) else None
        if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
            return error_collection(400, "The request body must list the JQL queries to parse.")
        answers = [parsed(jql, mode, **self._parsing()) for jql in queries]
        return JSONResponse({"queries": answers})

    def removed(self, request: Request, body: Body) -> Response:
        return error_collection(410, REMOVED)

    def count(self, request: Request, body: Body) -> Response:
        try:
            query = parse(str(body.get("jql") or ""), **self._parsing())
        except JqlError as exc:
            return error_collection(400, *exc.messages)
        found = sum(
            1
            for i in self.issues.values()
            if self.browsable(i.project) and query.where and query.where(values(i))
        )
        return JSONResponse({"count": found})

    # -- one issue --------------------------------------------------------------------------
    def get_issue(self, request: Request, body: Body) -> Response:
        issue = self._find(request.path_params["key"])
        if issue is None:
            return error_collection(404, NOT_FOUND)
        wanted = select_fields(request.query_params.getlist("fields"), default_all=True)
        render = self._render(request)
        result = render.issue(issue, wanted)
        request.state.objects = 1  # points-based quota: the issue returned
        expand = {e.strip() for e in request.query_params.get("expand", "").split(",")}
        if "renderedFields" in expand:
            result["renderedFields"] = {
                "description": adf.to_html(issue.description),
                "comment": {
                    "comments": [
                        {**render.comment(issue, c), "body": adf.to_html(c.body)}
                        for c in issue.comments
                    ]
                },
            }
        if "names" in expand:
            result["names"] = jira_fields.names()
        if "schema" in expand:
            result["schema"] = {f.id: f.schema for f in jira_fields.FIELDS}
        if "editmeta" in expand:
            result["editmeta"] = jira_fields.editmeta(render, issue.project)
        if "transitions" in expand or "transitions.fields" in expand:
            with_fields = "transitions.fields" in expand
            result["transitions"] = [render.transition(t, with_fields) for t in issue.transitions()]
        if "changelog" in expand:
            result["changelog"] = jira_writes.changelog_expand(render, issue)
        return JSONResponse(result)

    def edit_issue(self, request: Request, body: Body) -> Response:
        issue = self._find(request.path_params["key"])
        if issue is None:
            return error_collection(404, NOT_FOUND)
        fields, update = body.get("fields") or {}, body.get("update") or {}
        if not isinstance(fields, dict) or not isinstance(update, dict):
            return error_collection(400, "fields and update must be JSON objects.")
        fields = dict(fields)
        for name, ops in update.items():
            if not isinstance(ops, list) or not all(isinstance(o, dict) for o in ops):
                message = f'update.{name} must be a list of {{"set"|"add"|"remove": x}} objects.'
                return error_collection(400, errors={name: message})
            current = list(fields.get("labels", issue.labels)) if name == "labels" else None
            for op in ops:  # "set" works on any field; "add"/"remove" on labels only
                if "set" in op:
                    fields[name] = op["set"]
                    current = list(op["set"]) if isinstance(op["set"], list) else current
                elif current is not None:
                    current = _apply_label_ops(current, [op])
                else:
                    return error_collection(
                        400, errors={name: f"Field '{name}' only takes the 'set' operation."}
                    )
            if name == "labels":
                fields["labels"] = current
        errors = self._edit_errors(request, fields)
        if errors:
            return error_collection(400, errors=errors)
        changes = self._apply_edit(request, issue, fields)
        self._mutated("edit", issue, changes)
        return Response(status_code=204)

    def _edit_errors(
        self, request: Request, fields: dict[str, Any], *, creating: bool = False
    ) -> dict[str, str]:
        """Per-field errors for PUT issue (and POST issue's own fields), as Jira words them."""
        allowed = jira_fields.CREATABLE if creating else jira_fields.EDITABLE
        errors = {
            name: f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
            for name in fields
            if name not in allowed
        }
        if (
            fields.get("description") is not None
            and rich_text(request, fields["description"]) is None
        ):
            errors["description"] = (
                "description must be a string." if api_version(request) == "2" else adf.ADF_ERROR
            )
        if "priority" in fields and _priority_id(fields["priority"]) is None:
            errors["priority"] = "Specify a valid priority id or name."
        if "summary" in fields and not str(fields["summary"] or "").strip():
            errors["summary"] = "You must specify a summary of the issue."
        if "labels" in fields and not isinstance(fields["labels"], list):
            errors["labels"] = "labels must be a list of strings."
        if fields.get("duedate") is not None and not is_date(fields["duedate"]):
            errors["duedate"] = "Error parsing date string: use yyyy-MM-dd."
        for role in ("assignee", "reporter"):
            if role in fields and not self._account(fields[role])[0]:
                errors[role] = "Specify a user by accountId (or null to unassign)."
        if FLAGGED_FIELD in fields and jira_fields.flag_value(fields[FLAGGED_FIELD]) is None:
            errors[FLAGGED_FIELD] = 'Flagged takes [] or [{"value": "Impediment"}].'
        if "parent" in fields and not creating and self._parent_key(fields["parent"]) is None:
            errors["parent"] = "Given parent issue does not exist."
        return errors

    def _account(self, value: Any) -> tuple[bool, str | None]:
        """(valid, account id) for an assignee value; None unassigns."""
        if value is None:
            return True, None
        # Jira takes {"accountId": ..} and also {"id": ..} (jiratui sends the latter).
        who = value.get("accountId") or value.get("id") if isinstance(value, dict) else None
        return (True, who) if isinstance(who, str) and who in self.users else (False, None)

    def _parent_key(self, value: Any) -> str | None:
        ref = value.get("key") or value.get("id") if isinstance(value, dict) else None
        found = self._find(str(ref)) if ref else None
        return found.key if found else None

    def _apply_edit(
        self, request: Request, issue: JiraIssue, fields: dict[str, Any]
    ) -> list[tuple[str, Any, Any]]:
        changes: list[tuple[str, Any, Any]] = []
        if "summary" in fields:
            changes.append(("summary", issue.summary, fields["summary"]))
            issue.summary = str(fields["summary"])
        if "description" in fields:
            changes.append(("description", "", "(updated)"))
            raw = fields["description"]
            issue.description = (rich_text(request, raw) if raw else None) or adf.from_text("")
            issue.text_cache = None
        if "labels" in fields:
            changes.append(("labels", " ".join(issue.labels), " ".join(fields["labels"])))
            issue.labels = [str(x) for x in fields["labels"]]
        if "priority" in fields:
            new = _priority_id(fields["priority"]) or issue.priority
            changes.append(("priority", PRIORITIES[issue.priority], PRIORITIES[new]))
            issue.priority = new
        if "duedate" in fields:
            changes.append(("duedate", issue.duedate, fields["duedate"]))
            issue.duedate = fields["duedate"]
        if "assignee" in fields:
            who = self._account(fields["assignee"])[1]
            changes.append(("assignee", self._name(issue.assignee), self._name(who)))
            issue.assignee = who
        if FLAGGED_FIELD in fields:
            flagged = bool(jira_fields.flag_value(fields[FLAGGED_FIELD]))
            changes.append(
                (
                    "Flagged",
                    "Impediment" if issue.flagged else None,
                    "Impediment" if flagged else None,
                )
            )
            issue.flagged = flagged
        if fields.get("reporter") is not None:
            issue.reporter = self._account(fields["reporter"])[1] or issue.reporter
        if "parent" in fields:
            key = self._parent_key(fields["parent"])
            changes.append(("parent", issue.parent, key))
            issue.parent = key
        return changes

    def _name(self, account: Any) -> str | None:
        return self.users[account].display_name if account in self.users else None

    def get_transitions(self, request: Request, body: Body) -> Response:
        issue = self._find(request.path_params["key"])
        if issue is None:
            return error_collection(404, NOT_FOUND)
        render = self._render(request)
        expand = {e.strip() for e in request.query_params.get("expand", "").split(",")}
        with_fields = "transitions.fields" in expand
        items = [render.transition(t, with_fields) for t in issue.transitions()]
        return JSONResponse({"expand": "transitions", "transitions": items})

    def transition(self, request: Request, body: Body) -> Response:
        issue = self._find(request.path_params["key"])
        if issue is None:
            return error_collection(404, NOT_FOUND)
        chosen = body.get("transition")
        # Jira also takes a bare id ({"transition": "21"}), which jiratui sends.
        bare = isinstance(chosen, str | int) and not isinstance(chosen, bool)
        tid = (
            str(chosen.get("id") or "") if isinstance(chosen, dict) else str(chosen) if bare else ""
        )
        if not tid:
            return error_collection(400, errors={"transition": "Transition id is required."})
        chosen = next((t for t in issue.transitions() if t.id == tid), None)
        if chosen is None:
            return error_collection(400, f"Transition id '{tid}' is not valid for this issue.")
        values, errors = screen_values(chosen, body.get("fields"))
        comments, wrong = screen_update(chosen, request, body.get("update"), body.get("fields"))
        if errors or wrong:
            return error_collection(400, errors={**wrong, **errors})
        refused = rule_refusal(chosen, comments, self.rule_messages.get(tid, ""))
        if refused is not None:  # the workflow's validators run once the screen's fields pass
            return refused
        self._apply_transition(
            issue, tid, self.me, values.get("resolution"), duedate=values.get("duedate")
        )
        for doc in comments:  # added with the move, as the screen's comment
            self._comment(issue, self.me, doc)
        return Response(status_code=204)

    def _apply_transition(
        self,
        issue: JiraIssue,
        tid: str,
        actor: str,
        resolution: str | None = None,
        *,
        duedate: str | None = None,
    ) -> bool:
        """Move the issue; a transition to Done sets `resolution` (its screen's), else the
        workflow's own post function sets "Done" (and a move out of Done clears it). A screen's
        `duedate` is set with the move, in the same changelog entry."""
        chosen = next((t for t in issue.transitions() if t.id == tid), None)
        if chosen is None:
            return False
        before = STATUSES[issue.status][0]
        issue.status = chosen.to
        changes: list[tuple[str, Any, Any]] = [("status", before, STATUSES[chosen.to][0])]
        if duedate is not None:
            changes.append(("duedate", issue.duedate, duedate))
            issue.duedate = duedate
        done = STATUSES[chosen.to][2] == "done"
        chosen_res = (resolution or "10000") if done else None
        if chosen_res != issue.resolution:  # Jira resolves on Done, clears on reopen
            shown = RESOLUTIONS.get(issue.resolution or ""), RESOLUTIONS.get(chosen_res or "")
            changes.append(("resolution", *shown))
            issue.resolution = chosen_res
            issue.resolved = self.world.clock() if done else None
        self._mutated("transition", issue, changes, actor)
        return True

    def get_comments(self, request: Request, body: Body) -> Response:
        issue = self._find(request.path_params["key"])
        if issue is None:
            return error_collection(404, NOT_FOUND)
        q = request.query_params
        window = page_window(request, default=50, cap=100)
        if isinstance(window, Response):
            return window
        start, size = window[0], max(1, window[1])
        ordered = issue.comments[::-1] if q.get("orderBy") == "-created" else issue.comments
        render = self._render(request)
        page = [render.comment(issue, c) for c in ordered[start : start + size]]
        request.state.objects = len(page)  # points-based quota: the comments returned
        total = len(issue.comments)
        return JSONResponse(
            {
                "comments": page,
                "maxResults": size,
                "startAt": start,
                "total": total,
                "isLast": start + size >= total,
            }
        )

    def add_comment(self, request: Request, body: Body) -> Response:
        issue = self._find(request.path_params["key"])
        if issue is None:
            return error_collection(404, NOT_FOUND)
        doc = rich_text(request, body.get("body"))
        if doc is None:
            return error_collection(400, errors={"comment": rich_error(request)})
        comment = self._comment(issue, self.me, doc)
        return JSONResponse(self._render(request).comment(issue, comment), status_code=201)

    def _comment(self, issue: JiraIssue, author: str, doc: dict[str, Any]) -> JiraComment:
        self._next_comment += 1
        now = self.world.clock()
        comment = JiraComment(self._next_comment, author, doc, now, now)
        issue.comments.append(comment)
        issue.text_cache = None
        self._touch(issue)
        if author == self.me:
            self.world.counters.mutation("jira", "comment", key=issue.key, comment=comment.id)
        self._emit_comment("comment_created", issue, comment)
        return comment

    def _emit_comment(self, event: str, issue: JiraIssue, comment: JiraComment) -> None:
        render = Renderer(self.site_url, self.users, self.issues)
        self.world.emit(
            "jira",
            event,
            {
                "timestamp": int(self.world.clock() * 1000),
                "webhookEvent": event,
                "comment": render.comment(issue, comment),
                "issue": render.issue(issue, {"summary", "status", "assignee", "updated"}),
            },
        )

    def delete_issue(self, request: Request, body: Body) -> Response:
        """204; an issue with subtasks needs `deleteSubtasks=true` (400 otherwise), as Jira."""
        issue = self._find(request.path_params["key"])
        if issue is None:
            return error_collection(404, NOT_FOUND)
        subtasks = [i for i in self.issues.values() if i.parent == issue.key and i.is_subtask]
        if subtasks and request.query_params.get("deleteSubtasks", "false").lower() != "true":
            return error_collection(
                400,
                f"The issue '{issue.key}' has subtasks. "
                "To delete it, set deleteSubtasks=true (the subtasks are deleted too).",
            )
        for doomed in [*subtasks, issue]:
            self.delete(doomed, self.me)
        self.world.counters.mutation("jira", "delete", key=issue.key, subtasks=len(subtasks))
        return Response(status_code=204)

    def delete(self, issue: JiraIssue, actor: str) -> None:
        """Gone, with the links to it; the webhook carries the issue as it was."""
        render = Renderer(self.site_url, self.users, self.issues)
        payload = {
            "timestamp": int(self.world.clock() * 1000),
            "webhookEvent": "jira:issue_deleted",
            "issue_event_type_name": "issue_deleted",
            "user": render.user(actor),
            "issue": render.issue(issue, None),
        }
        del self.issues[issue.key]
        self.by_id.pop(str(issue.id), None)
        for other in self.issues.values():
            other.links = [k for k in other.links if issue.key not in (k.inward, k.outward)]
        self.world.emit("jira", "jira:issue_deleted", payload)

    def assign(self, request: Request, body: Body) -> Response:
        issue = self._find(request.path_params["key"])
        if issue is None:
            return error_collection(404, NOT_FOUND)
        if "accountId" not in body:
            return error_collection(400, errors={"accountId": "accountId is required (or null)."})
        who = body["accountId"]
        if who is not None and not isinstance(who, str):
            return error_collection(400, errors={"accountId": "accountId must be a string."})
        if who == "-1":
            who = self.me  # the project default assignee (the lead) is "me" here
        if who is not None and who not in self.users:
            return error_collection(400, errors={"assignee": f"User '{who}' does not exist."})
        before = self.users[issue.assignee].display_name if issue.assignee else None
        issue.assignee = who
        after = self.users[who].display_name if who else None
        self._mutated("assign", issue, [("assignee", before, after)])
        return Response(status_code=204)

    def myself(self, request: Request, body: Body) -> Response:
        return JSONResponse(self._render(request).user(self.me, full=True))

    def _mutated(
        self, kind: str, issue: JiraIssue, changes: list[tuple[str, Any, Any]], actor: str = ""
    ) -> None:
        """Bump `updated`, count the mutation (client ones only) and emit the webhook event."""
        actor = actor or self.me
        self._touch(issue)
        self._next_comment += 1
        issue.history.append(JiraHistory(self._next_comment, actor, self.world.clock(), changes))
        if actor == self.me:
            self.world.counters.mutation("jira", kind, key=issue.key, changes=changes)
        render = Renderer(self.site_url, self.users, self.issues)
        items = [
            {"field": f, "fieldtype": "jira", "fromString": a, "toString": b} for f, a, b in changes
        ]
        self.world.emit(
            "jira",
            "jira:issue_updated",
            {
                "timestamp": int(self.world.clock() * 1000),
                "webhookEvent": "jira:issue_updated",
                "issue_event_type_name": "issue_assigned" if kind == "assign" else "issue_generic",
                "user": render.user(actor),
                "issue": render.issue(issue, None),
                "changelog": {"id": str(self._next_comment), "items": items},
            },
        )

    # -- bulk -------------------------------------------------------------------------------
    def bulk_transition(self, request: Request, body: Body) -> Response:
        if not self.bulk_change:
            return bulk_error(NO_BULK_CHANGE, 403)
        inputs = body.get("bulkTransitionInputs")
        if not isinstance(inputs, list) or not inputs:
            return bulk_error("bulkTransitionInputs must be a non-empty list.")
        parsed: list[tuple[list[str], str]] = []
        for item in inputs:
            ids = item.get("selectedIssueIdsOrKeys") if isinstance(item, dict) else None
            tid = item.get("transitionId") if isinstance(item, dict) else None
            if not isinstance(ids, list) or not ids or not tid:
                return bulk_error(
                    "Each input needs selectedIssueIdsOrKeys (a list) and transitionId."
                )
            parsed.append(([str(x) for x in ids], str(tid)))
        if sum(len(ids) for ids, _ in parsed) > BULK_MAX:
            return bulk_error(f"You can transition at most {BULK_MAX} issues at once.")
        task = BulkTask(str(10000 + len(self.tasks)), self.me, parsed, self.world.clock())
        self.tasks[task.id] = task
        return JSONResponse({"taskId": task.id}, status_code=201)

    def bulk_available(self, request: Request, body: Body) -> Response:
        if not self.bulk_change:
            return bulk_error(NO_BULK_CHANGE, 403)
        refs = [r for r in request.query_params.get("issueIdsOrKeys", "").split(",") if r.strip()]
        if not refs or len(refs) > BULK_MAX:
            return bulk_error(
                f"issueIdsOrKeys must list 1 to {BULK_MAX} comma-separated issue ids or keys."
            )
        found = {ref: self._find(ref.strip()) for ref in refs}
        missing = [ref for ref, issue in found.items() if issue is None]
        if missing:
            return bulk_error("Some of the issues in the issueIdsOrKeys are not valid")
        q = request.query_params
        after, before = q.get("startingAfter"), q.get("endingBefore")
        if after is not None and before is not None:
            return bulk_error("Give startingAfter or endingBefore, not both.")
        try:
            page = available_transitions([i for i in found.values() if i], after, before)
        except BadCursor:
            return bulk_error("The pagination cursor is not valid.")
        return JSONResponse(page)

    def bulk_progress(self, request: Request, body: Body) -> Response:
        task = self.tasks.get(request.path_params["task"])
        if task is None:
            return JSONResponse(NOT_A_TASK, status_code=400)
        task.polls += 1
        # One step per poll or per elapsed second, whichever is further along.
        step = max(task.polls - 1, int(self.world.clock() - task.created))
        now = self.world.clock()
        if step >= 1 and task.started is None:
            task.started = now
        if step >= 2 and task.finished is None:
            self._run_bulk(task)
            task.finished = now
        return JSONResponse(progress(task))

    def _run_bulk(self, task: BulkTask) -> None:
        for ids, tid in task.inputs:
            for ref in ids:
                issue = self._find(ref)
                if issue is None:
                    task.invalid += 1
                elif self._bulk_movable(issue, tid) and self._apply_transition(issue, tid, self.me):
                    task.processed.append(issue.id)
                else:
                    task.failed[str(issue.id)] = [
                        f"Transition id '{tid}' is not valid for this issue."
                    ]

    def _bulk_movable(self, issue: JiraIssue, tid: str) -> bool:
        """Bulk transitions set no fields: a transition with a screen is not offered by
        GET /bulk/issues/transition, and fails here like any other unavailable one."""
        return any(t.id == tid for t in issue.transitions(screenless=True))


def _site(request: Request) -> str:
    root = request.scope.get("root_path", "")
    return f"{request.url.scheme}://{request.url.netloc}{root}"


def _apply_label_ops(labels: list[Any], ops: list[dict[str, Any]]) -> list[Any]:
    for op in ops:
        if "add" in op and op["add"] not in labels:
            labels.append(op["add"])
        if "remove" in op and op["remove"] in labels:
            labels.remove(op["remove"])
    return labels


def _priority_id(value: Any) -> str | None:
    if isinstance(value, dict):
        if str(value.get("id")) in PRIORITIES:
            return str(value["id"])
        names = {v.lower(): k for k, v in PRIORITIES.items()}
        return names.get(str(value.get("name", "")).lower())
    return None


def _anonymous(request: Request) -> bool:
    return not request.headers.get("authorization")
