"""GitHub REST look-alike (version 2022-11-28): seeded repos, PRs, issues and notifications.

Faithful where a client can tell: Link pagination (repo-scoped links point at
`/repositories/{id}/...` as the real API's do), quoted ETags with 304s that spend no quota,
`x-ratelimit-*` accounting per resource, secondary limits, and GitHub's error body shapes.
Plumbing lives in github_http.py, state in github_state.py, JSON shapes in github_render.py.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections import deque
from collections.abc import Callable
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zen_tui.simulator.core.settings import SettingsError
from zen_tui.simulator.core.world import ServiceSim, World
from zen_tui.simulator.github.dates import SORT_KEYS, BadDate, sort_qualifier
from zen_tui.simulator.github.files import MAX_FILES
from zen_tui.simulator.github.graphql_api import SEARCH_CAP, GraphQLApi
from zen_tui.simulator.github.http import (
    DEFAULT_VERSION,
    DOCS,
    VERSION_2026,
    ApiError,
    Bucket,
    Ctx,
    Reply,
    SecondaryLimit,
    api_base,
    as_of,
    bearer,
    dump,
    invalid,
    link_header,
    no_user_agent,
    not_modified,
    obj,
    page_params,
    parse_iso,
)
from zen_tui.simulator.github.query import (
    MAX_QUERY,
    TOO_LONG_MESSAGE,
    BadQuery,
    one_type,
    parse,
)
from zen_tui.simulator.github.render import Renderer, iso
from zen_tui.simulator.github.state import (
    AREAS,
    COLLEAGUES,
    MERGE_METHODS,
    TEAMS,
    TOPICS,
    Comment,
    GitHubState,
    Item,
    Repo,
    Thread,
    as_caller,
)

if TYPE_CHECKING:  # imported where the routes are made: it imports this module
    from zen_tui.simulator.github.oauth import DeviceFlow

API_VERSIONS = {DEFAULT_VERSION, VERSION_2026}
# GitHub's answer to an X-GitHub-Api-Version it does not serve. One it never had (a typo,
# `v3`): 400 Bad Request "and a message about the version not being supported" (docs,
# "Troubleshooting the REST API", "Not a supported version"); one past its end of support
# ("closed down", GitHub's `closed_versions` here): 410 Gone (docs, "API Versions"). The 400's
# body is GitHub's as clients record it: `message` "Bad Request", the reason as one string in
# `errors` (expipiplus1/update-nix-fetchgit#79; with `"status": "400"` beside it, as newer
# answers carry). The 410's body is not documented: the same words, with its own status.
_VERSION_REFUSED = (
    'The version you specified in the "X-GitHub-API-Version" request header, "{asked}", is '
    "not a supported version. The following versions are currently supported: {supported}."
)


def version_refused(asked: str, supported: list[str]) -> str:
    """GitHub's reason, the supported versions newest first as an English list."""
    named = [f'"{v}"' for v in supported]
    if named:
        named[0] += " (most recent)"
    if len(named) > 2:
        named[-1] = "and " + named[-1]
        return _VERSION_REFUSED.format(asked=asked, supported=", ".join(named))
    return _VERSION_REFUSED.format(asked=asked, supported=" and ".join(named))


RESOURCES = {"core": (5000, 3600.0), "search": (30, 60.0), "graphql": (5000, 3600.0)}
SECONDARY_LIMIT = 80  # content-creating requests per minute
POLL_INTERVAL = 60
NOTIFICATION_SCOPES = "notifications, repo"
# The recorded answer to a request naming a repository's earlier name (octokit/fixtures
# `rename-repository`): 301 for a read, 307 for a write, the same body for both.
REDIRECT_DOCS = "https://docs.github.com/v3/#http-redirects"
_REPO_PATH = re.compile(r"/repos/[^/]+/[^/]+")
ME = "me"  # the simulated user (id 1)


# GitHub's refusal of a search naming a repository or owner that does not exist or that the
# user may not see (it does not say which): the whole search fails, nothing is answered.
UNSEARCHABLE = {
    "message": "The listed users and repositories cannot be searched either because the "
    "resources do not exist or you do not have permission to view them.",
    "resource": "Search",
    "field": "q",
    "code": "invalid",
}
# The same for a query whose only unknown names are people (author:, assignee:, involves:...):
# GitHub's words as clients record them (e.g. `author:ghost`), with the same resource/field.
UNSEARCHABLE_USERS = {
    **UNSEARCHABLE,
    "message": "The listed users cannot be searched either because the users do not exist "
    "or you do not have permission to view the users.",
}
# GitHub documents (Search issues and pull requests, REST reference) that a request made with a
# GitHub App's user access token (ghu_...) cannot mix issues and pull requests: a query without
# `is:issue` or `is:pull-request` gets 422. The body is not documented; this message is the one
# clients report receiving (octokit's HttpError text in changesets/action#227, dashgit#129).
MIXED_TYPES = "Query must include 'is:issue' or 'is:pull-request'"
SEARCH_DOCS = "https://docs.github.com/rest/search/search#search-issues-and-pull-requests"
# GitHub's search limits (REST reference "Search", "Limitations on query length" and "About
# search"): a `q` of more than 256 characters is refused (query.MAX_QUERY); and no page
# reaches past the first 1,000 results (422, microsoft/vscode#93983 records it).
TOO_LONG = {
    "message": TOO_LONG_MESSAGE,
    "resource": "Search",
    "field": "q",
    "code": "invalid",
}
PAST_THE_CAP = f"Only the first {SEARCH_CAP} search results are available"
# What GitHub takes in an issue or comment (its validation errors, as clients report them:
# PyGithub#1906, renovatebot/renovate#2032, jmikedupont2/ai-ticket#51, DavyJonesLocker/
# party_foul#122): a body of at most 65,536 characters, a title of at most 256; longer is 422
# Validation Failed naming the field. An issue's errors say `custom`, a comment's
# `unprocessable` on the field `data`, each in its own words (the comment's capitalised).
BODY_MAX = 65_536
TITLE_MAX = 256


def too_long(resource: str, field_name: str, code: str, message: str) -> ApiError:
    error = {"resource": resource, "code": code, "field": field_name, "message": message}
    return ApiError(422, "Validation Failed", [error])


# A GitHub App's user-to-server token starts ghu_ (GitHub changelog 2021-03-31, token formats).
APP_USER_PREFIX = "ghu_"
FINE_GRAINED_PREFIX = "github_pat_"
# The notifications API takes only a classic token (a PAT or an OAuth app's): GitHub's docs
# say its endpoints "only support authentication using a personal access token (classic)";
# others get GitHub's usual 403 for a token type refused (GitHub Support, quoted in
# gitify-app/gitify#1492; community discussion 214486).
NOT_FOR_FINE_GRAINED = "Resource not accessible by personal access token"
NOT_FOR_APPS = "Resource not accessible by integration"
# The repository permissions a fine-grained token needs for each write (GitHub's "Permissions
# required for fine-grained personal access tokens"); alternatives separated by "; ", as in
# GitHub's x-accepted-github-permissions header (changelog 2023-08-10).
ISSUE_OR_PR = "issues=write; pull_requests=write"
PULLS = "pull_requests=write"
ALL_GRANTS = "issues=write,pull_requests=write,contents=write,administration=write"
WRITE_GRANTS = {
    "create_review": PULLS,
    "requested_reviewers": PULLS,
    "update_pull": PULLS,
    "merge": "contents=write",
    "create_issue": "issues=write",
    "update_issue": ISSUE_OR_PR,
    "add_labels": ISSUE_OR_PR,
    "remove_label": ISSUE_OR_PR,
    "assignees": ISSUE_OR_PR,
    "create_comment": ISSUE_OR_PR,
    "update_repo": "administration=write",
    "transfer_repo": "administration=write",
}
NOTIFICATIONS_DOCS = (
    "https://docs.github.com/rest/activity/notifications#about-github-notifications"
)
ISSUES_DISABLED = "Issues are disabled for this repo"
# A person may have one pending (started, not submitted) review per pull request: creating
# another review of any kind, submitted or not, is 422 with this reason while it is there
# (GitHub's words as clients record them: max-sixty/tend#1171, checked live with a COMMENT
# event; github/app#3371; microsoft/vscode-pull-request-github#1317 for one started on the web).
ONE_PENDING_REVIEW = "User can only have one pending review per pull request"
# PUT .../merge by a method the repository's settings turn off: 405, GitHub's own words.
MERGE_REFUSALS = {
    "merge": "Merge commits are not allowed on this repository.",
    "squash": "Squash merges are not allowed on this repository.",
    "rebase": "Rebase merges are not allowed on this repository.",
}


class GitHubSim(ServiceSim):
    name = "github"
    prefix = "/github"
    username = ME
    # search_incomplete_rate: the share of searches that time out server-side and answer
    # `incomplete_results: true` with a subset of the matches (see /_sim/settings).
    # hidden_repos: repositories (comma-separated owner/name) the user lost access to (made
    # private, removed from the team): 404 for everything under them, out of search and the
    # inbox. archived_repos: read-only (writes 403), out of `archived:false` searches. Neither
    # changes an item's `updated_at` or sends a webhook, as on GitHub.
    # device_flow_github_app: the device flow logs in to a GitHub App rather than an OAuth
    # app, so its tokens are user access tokens (ghu_), with a GitHub App's limits.
    # deleted_users: logins (comma-separated) whose accounts were deleted: what they wrote
    # answers with `user: null` (REST) and `author: null` (GraphQL).
    # poll_interval: the X-Poll-Interval notifications answer with (seconds; GitHub raises it
    # from 60 under load, and a client must not poll faster).
    # link_last: False leaves rel="last" out of every Link header, as GitHub does where it
    # cannot compute the last page; only `next` leads on.
    # empty_lists_no_content: a list read with nothing on its page answers 204 No Content
    # with no body rather than `[]`, as GitHub's contributors list does for an empty
    # repository (its pagination guide warns that some endpoints answer 204).
    # issues_disabled_repos: repositories (comma-separated) with issues turned off in their
    # settings (a fork's default): listing, creating or reading an issue there answers 410
    # "Issues are disabled for this repo"; its pull requests answer as before.
    # merge_methods: the merge methods (comma-separated: merge, squash, rebase) the
    # repositories allow, for all of them or per repository (`squash;acme/api=merge,rebase`,
    # GitHubState.set_merge_methods); the repository says so (allow_merge_commit,
    # allow_squash_merge, allow_rebase_merge) and a merge by another one answers 405 with
    # GitHub's reason ("Merge commits are not allowed on this repository.").
    # closed_versions: REST API versions (comma-separated) GitHub has closed down: a request
    # naming one answers 410 Gone (a version it never had: 400), see _VERSION_REFUSED.
    # merge_settings_shown: False leaves those three fields out of the repository, as
    # GitHub's description allows (they are optional there, with no word on when): a client
    # cannot tell the methods then, only the 405 can.
    settings: ClassVar[dict[str, type]] = {
        "search_incomplete_rate": float,
        "hidden_repos": str,
        "archived_repos": str,
        "device_flow_github_app": bool,
        "deleted_users": str,
        "poll_interval": int,
        "link_last": bool,
        "empty_lists_no_content": bool,
        "merge_methods": str,
        "merge_settings_shown": bool,
        "issues_disabled_repos": str,
        "closed_versions": str,
    }
    search_incomplete_rate = 0.0
    link_last = True
    empty_lists_no_content = False
    merge_settings_shown = True
    poll_interval = POLL_INTERVAL
    device_flow_github_app = False
    closed_versions = ""

    def __init__(self, world: World, token: str) -> None:
        super().__init__(world, token)
        self.extra_tokens: set[str] = set()  # issued by the device flow (github_oauth)
        self.fine_grained: dict[str, frozenset[str]] = {}  # github_pat_ token -> permissions
        # Other people's tokens: token -> login. Their /user is theirs, their inbox their own
        # (empty: the seeded notifications are ME's), as two logins on one machine see.
        self.other_users: dict[str, str] = {}
        self.state = GitHubState(world.rng, world.clock)
        self.render = Renderer(self.state)
        self.graphql = GraphQLApi(self.state, ME, on_delete=self._delete_issue)
        self.buckets = {r: Bucket(n, p, world.clock) for r, (n, p) in RESOURCES.items()}
        self._creations: deque[float] = deque()
        self._request_ids = itertools.count(1)
        self.oauth: DeviceFlow | None = None  # the device flow, made with the routes

    # ---- ServiceSim ----
    def seed(self, count: int) -> None:
        self.state.seed(count)

    @property
    def hidden_repos(self) -> str:
        return ",".join(r.full_name for r in self.state.repos.values() if r.hidden)

    @hidden_repos.setter
    def hidden_repos(self, names: str) -> None:
        with self.world.lock:
            self.state.set_repo_access(names, hidden=True)

    @property
    def archived_repos(self) -> str:
        return ",".join(r.full_name for r in self.state.repos.values() if r.archived)

    @archived_repos.setter
    def archived_repos(self, names: str) -> None:
        with self.world.lock:
            self.state.set_repo_access(names, archived=True)

    @property
    def issues_disabled_repos(self) -> str:
        return ",".join(r.full_name for r in self.state.repos.values() if not r.has_issues)

    @issues_disabled_repos.setter
    def issues_disabled_repos(self, names: str) -> None:
        with self.world.lock:
            self.state.set_repo_access(names, no_issues=True)

    @property
    def merge_methods(self) -> str:
        """The methods each repository allows, written as the setting takes them."""
        with self.world.lock:
            repos = list(self.state.repos.values())
        if len({r.merge_methods for r in repos}) <= 1:  # the same for all: written once
            return ",".join(repos[0].merge_methods if repos else MERGE_METHODS)
        return ";".join(f"{r.full_name}={','.join(r.merge_methods)}" for r in repos)

    @merge_methods.setter
    def merge_methods(self, spec: str) -> None:
        with self.world.lock:
            try:
                self.state.set_merge_methods(spec)
            except ValueError as err:
                raise SettingsError(f"settings: github.merge_methods: {err}") from None

    @property
    def deleted_users(self) -> str:
        return ",".join(sorted(self.state.deleted_users))

    @deleted_users.setter
    def deleted_users(self, logins: str) -> None:
        with self.world.lock:
            self.state.set_deleted_users(logins)

    def routes(self) -> list[BaseRoute]:
        from zen_tui.simulator.github.oauth import DeviceFlow

        self.oauth = flow = DeviceFlow(self)
        return flow.routes() + self._api_routes()

    def error_response(self, status: int, message: str) -> Response:
        return JSONResponse(
            {"message": message, "documentation_url": DOCS},
            status_code=status,
            headers=self._rate_headers("core"),
        )

    def rate_limited_response(self, retry_after: float, reason: str = "") -> Response:
        """A secondary limit: 429 with the core bucket's headers (remaining > 0). GitHub's
        secondary limits may carry no retry-after at all (then its docs say: wait >= 60 s, not
        until x-ratelimit-reset, which is the primary window); `retry_after` 0 sends none."""
        headers = self._rate_headers("core")
        if retry_after > 0:
            headers["retry-after"] = str(max(1, int(retry_after)))
        return JSONResponse(
            {
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                "before you try again.",
                "documentation_url": DOCS + "/using-the-rest-api/rate-limits-for-the-rest-api",
            },
            status_code=429,
            headers=headers,
        )

    def activity(self) -> None:
        """A colleague opens a PR, comments, labels or pushes (webhook events follow)."""
        state, rng = self.state, self.world.rng
        who = rng.choice(COLLEAGUES)
        open_items = [i for i in state.items[-500:] if i.state == "open"] or state.items
        item = rng.choice(open_items)
        roll = rng.random()
        if roll < 0.3:
            repo = rng.choice(list(state.repos.values()))
            # a whole title: "Add retries to (live)" read as a rendering bug
            title = f"{rng.choice(TOPICS).capitalize()} {rng.choice(AREAS)}"
            pr = state.new_item(repo, who, title, "", True)
            self._emit("pull_request", self.render.pr_event(pr, "opened", sender=who))
            if rng.random() < 0.5:
                state.set_reviewers(pr, [ME], adding=True)
                event = self.render.pr_event(pr, "review_requested", sender=who, reviewer=ME)
                self._emit("pull_request", event)
        elif roll < 0.6:
            comment = state.add_comment(item, who, f"@{ME} any thoughts on this?")
            self._emit("issue_comment", self.render.comment_event(item, comment))
        elif roll < 0.8:
            for name in state.add_labels(item, [rng.choice(list(item.repo.labels))]):
                self._emit(*self.render.labeled_event(item, "labeled", name))
        elif item.is_pr:
            before = item.head_sha
            state.push(item)
            payload = self.render.pr_event(item, "synchronize", sender=who)
            payload.update({"before": before, "after": item.head_sha})
            self._emit("pull_request", payload)

    def ping_payload(self, hook_url: str, hook_id: int) -> dict[str, Any]:
        """The `ping` for a webhook just registered (on the first repository)."""
        with self.world.lock:
            return self.render.ping(hook_url, hook_id, next(iter(self.state.repos.values())))

    # ---- request plumbing ----
    def _api_routes(self) -> list[BaseRoute]:
        h = self._endpoint
        repo = "/repos/{owner}/{repo}"
        rid = "/repositories/{repo_id:int}"
        routes: list[BaseRoute] = [
            Route("/user", h(self.get_user), methods=["GET"]),
            Route("/rate_limit", h(self.get_rate_limit, resource=None), methods=["GET"]),
            Route("/search/issues", h(self.search_issues, resource="search"), methods=["GET"]),
            Route("/graphql", h(self.not_found, resource="graphql"), methods=["POST"]),
            Route("/notifications", h(self.list_notifications), methods=["GET"]),
            Route("/notifications", h(self.mark_all_read), methods=["PUT"]),
            Route("/notifications/threads/{thread_id}", h(self.get_thread), methods=["GET"]),
            Route("/notifications/threads/{thread_id}", h(self.mark_thread), methods=["PATCH"]),
            Route(
                "/notifications/threads/{thread_id}", h(self.mark_thread_done), methods=["DELETE"]
            ),
            Route("/user/starred/{owner}/{repo}", h(self.star), methods=["PUT", "DELETE"]),
        ]
        for base in (repo, rid):
            routes += [
                Route(base, h(self.get_repo), methods=["GET"]),
                Route(base, h(self.update_repo), methods=["PATCH"]),
                Route(base + "/transfer", h(self.transfer_repo), methods=["POST"]),
                Route(base + "/pulls", h(self.list_pulls), methods=["GET"]),
                Route(base + "/pulls/{number}", h(self.get_pull), methods=["GET"]),
                Route(base + "/pulls/{number}/reviews", h(self.list_reviews), methods=["GET"]),
                Route(base + "/pulls/{number}/files", h(self.list_files), methods=["GET"]),
                Route(
                    base + "/pulls/{number}/reviews",
                    h(self.create_review, creates=True),
                    methods=["POST"],
                ),
                Route(
                    base + "/pulls/{number}/requested_reviewers",
                    h(self.requested_reviewers),
                    methods=["GET", "POST", "DELETE"],
                ),
                Route(base + "/pulls/{number}/merge", h(self.merge), methods=["PUT"]),
                Route(base + "/issues", h(self.list_issues), methods=["GET"]),
                Route(base + "/issues", h(self.create_issue, creates=True), methods=["POST"]),
                Route(base + "/issues/{number}", h(self.get_issue), methods=["GET"]),
                Route(base + "/issues/{number}", h(self.update_issue), methods=["PATCH"]),
                Route(base + "/issues/{number}/labels", h(self.list_labels), methods=["GET"]),
                Route(base + "/issues/{number}/labels", h(self.add_labels), methods=["POST"]),
                Route(
                    base + "/issues/{number}/labels/{name}",
                    h(self.remove_label),
                    methods=["DELETE"],
                ),
                Route(
                    base + "/issues/{number}/assignees",
                    h(self.assignees),
                    methods=["POST", "DELETE"],
                ),
                Route(base + "/issues/{number}/comments", h(self.list_comments), methods=["GET"]),
                Route(
                    base + "/issues/{number}/comments",
                    h(self.create_comment, creates=True),
                    methods=["POST"],
                ),
                Route(base + "/commits/{ref}/status", h(self.combined_status), methods=["GET"]),
                Route(base + "/commits/{ref}/check-runs", h(self.check_runs), methods=["GET"]),
                Route(base + "/commits/{ref}", h(self.get_commit), methods=["GET"]),
                Route(base + "/pulls/{number}", h(self.update_pull), methods=["PATCH"]),
            ]
        # Last: anything else is GitHub's JSON 404, not the framework's plain-text one.
        everything = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        routes.append(Route("/{path:path}", h(self.not_found), methods=everything))
        return routes

    def not_found(self, ctx: Ctx) -> Reply:
        raise ApiError(404, "Not Found")

    def accepts(self, token: str | None) -> bool:
        return token is not None and (
            token == self.token or token in self.extra_tokens or token in self.other_users
        )

    def new_device_token(self) -> str:
        """A token the device flow hands out: an OAuth app's (gho_), or a GitHub App's user
        access token (ghu_) when device_flow_github_app is on."""
        prefix = APP_USER_PREFIX if self.device_flow_github_app else "gho_"
        alphabet = "BCDFGHJKLMNPQRSTVWXZ0123456789"
        token = prefix + "".join(self.world.rng.choice(alphabet) for _ in range(36))
        self.extra_tokens.add(token)
        return token

    def add_fine_grained_token(self, grants: str = ALL_GRANTS) -> str:
        """A fine-grained personal access token of ME (github_pat_...) with the repository
        permissions `grants` ("issues=write,pull_requests=write"): reads and search as a
        classic token; a write its grants lack answers 403 naming the permissions it takes
        (x-accepted-github-permissions); no notifications (see NOT_FOR_FINE_GRAINED)."""
        with self.world.lock:
            token = f"{FINE_GRAINED_PREFIX}{len(self.extra_tokens):02d}SIM"
            self.extra_tokens.add(token)
            self.fine_grained[token] = frozenset(g.strip() for g in grants.split(",") if g)
        return token

    def add_user(self, login: str) -> str:
        """A token for another person, `login` (a second user logging in on the machine)."""
        with self.world.lock:
            self.state.users.setdefault(login, len(self.state.users) + 1)
            token = f"gho_{login}_{len(self.other_users)}"
            self.other_users[token] = login
        return token

    def _endpoint(
        self,
        handler: Callable[[Ctx], Reply],
        *,
        resource: str | None = "core",
        creates: bool = False,
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            if not request.headers.get("user-agent", "").strip():
                return no_user_agent()
            raw = await request.body()
            try:
                response = self._handle(request, raw, handler, resource, creates)
            except ApiError as exc:
                response = self._error(exc, resource or "core")
            version = request.headers.get("x-github-api-version") or DEFAULT_VERSION
            if version in self._served():  # GitHub says which version answered
                response.headers["x-github-api-version-selected"] = version
            elif "x-github-api-version-selected" in response.headers:  # none did
                del response.headers["x-github-api-version-selected"]
            return response

        return endpoint

    def _handle(
        self,
        request: Request,
        raw: bytes,
        handler: Callable[[Ctx], Reply],
        resource: str | None,
        creates: bool,
    ) -> Response:
        version = request.headers.get("x-github-api-version")
        if version is not None:
            self._check_version(version)
        token = bearer(request.headers.get("authorization"))
        if token is None:
            raise ApiError(401, "Requires authentication")
        if not self.accepts(token):
            raise ApiError(401, "Bad credentials")
        ctx = Ctx(request, dict(request.path_params), dict(request.query_params), None, "")
        ctx.user = self.other_users.get(token, ME)
        ctx.app_user = token.startswith(APP_USER_PREFIX)
        ctx.grants = self.fine_grained.get(token)
        ctx.api_base = api_base(request)
        ctx.api_version = version or DEFAULT_VERSION
        self.render.api_base = ctx.api_base
        if raw:
            try:
                ctx.body = json.loads(raw)
            except ValueError:
                raise ApiError(400, "Problems parsing JSON") from None
        with self.world.lock:
            if resource == "graphql":
                return self._graphql(ctx)
            moved = self.state.moved_repo(ctx.params)
            if moved is not None:
                return self._redirect(ctx, moved)
            self._check_access(ctx, request.method)
            if request.method in ("GET", "HEAD"):
                return self._read(ctx, handler, resource)
            return self._write(ctx, handler, resource or "core", creates)

    def _served(self) -> list[str]:
        """The API versions answered, newest first: all but those closed down."""
        closed = {v.strip() for v in self.closed_versions.split(",")}
        return sorted(API_VERSIONS - closed, reverse=True)

    def _check_version(self, version: str) -> None:
        """A version GitHub never had: 400; one it closed down (`closed_versions`): 410 Gone."""
        served = self._served()
        if version in served:
            return
        status = 410 if version in API_VERSIONS else 400
        raise ApiError(
            status,
            "Gone" if status == 410 else "Bad Request",
            version_refused(version, served),
            documentation_url=DOCS,
            extra={"status": str(status)},
        )

    def _read(self, ctx: Ctx, handler: Callable[[Ctx], Reply], resource: str | None) -> Response:
        reply = handler(ctx)
        if self.empty_lists_no_content and reply.status == 200 and reply.body == []:
            reply.status, reply.body = 204, None  # no content rather than [] (see settings)
        body = dump(as_of(reply.body, ctx.api_version))
        etag = '"' + hashlib.sha1(body + ctx.api_base.encode()).hexdigest() + '"'
        headers = {"etag": etag, **reply.headers}
        headers["cache-control"] = (
            "no-cache" if resource == "search" else "private, max-age=60, s-maxage=60"
        )
        headers["vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP"
        if reply.last_modified is not None:
            headers["last-modified"] = formatdate(reply.last_modified, usegmt=True)
        if not_modified(ctx.request, etag, reply.last_modified):
            return Response(status_code=304, headers={**headers, **self._rate_headers(resource)})
        if resource is not None:
            self._spend(resource)
        headers.update(self._rate_headers(resource))
        if reply.body is None:
            return Response(status_code=reply.status, headers=headers)
        return Response(body, reply.status, headers=headers, media_type="application/json")

    def _write(
        self, ctx: Ctx, handler: Callable[[Ctx], Reply], resource: str, creates: bool
    ) -> Response:
        self._granted(ctx, WRITE_GRANTS.get(handler.__name__))
        if creates:
            self._secondary_check()
        self._spend(resource)
        reply = handler(ctx)
        headers = {**reply.headers, **self._rate_headers(resource)}
        if reply.body is None:
            return Response(status_code=reply.status, headers=headers)
        body = dump(as_of(reply.body, ctx.api_version))
        return Response(body, reply.status, headers=headers, media_type="application/json")

    @staticmethod
    def _granted(ctx: Ctx, needs: str | None) -> None:
        """A fine-grained token without any of the permission sets a write takes: 403, and
        x-accepted-github-permissions says which would do (sets apart by "; ")."""
        if ctx.grants is None or needs is None:
            return
        if any(set(one.split(",")) <= ctx.grants for one in needs.split("; ")):
            return
        headers = {"x-accepted-github-permissions": needs}
        raise ApiError(403, NOT_FOR_FINE_GRAINED, headers=headers)

    def _graphql(self, ctx: Ctx) -> Response:
        """POST /graphql: always 200 once authenticated; errors travel in the body."""
        body = obj(ctx.body)
        query, variables = body.get("query"), body.get("variables") or {}
        if not isinstance(query, str) or not isinstance(variables, dict):
            answer: dict[str, Any] = {
                "errors": [{"message": "A query attribute must be specified and must be a string."}]
            }
            points = 0
        else:
            bucket = self.buckets["graphql"]
            answer, points = self.graphql.run(
                query,
                variables,
                bucket,
                self.world.rate_scale,
                app_user=ctx.app_user,
                user=ctx.user,
            )
        if points:
            self.world.counters.spend("github", "graphql", points)
        return Response(
            dump(answer), 200, headers=self._rate_headers("graphql"), media_type="application/json"
        )

    def _redirect(self, ctx: Ctx, repo: Repo) -> Response:
        """A path naming the repository's earlier name: where it lives now, by id (a read
        301, anything else 307 so the method and body are kept), as GitHub answers."""
        request = ctx.request
        root = str(request.scope.get("root_path", ""))
        path = request.url.path.removeprefix(root)
        location = ctx.api_base + _REPO_PATH.sub(f"/repositories/{repo.id}", path, count=1)
        if request.url.query:
            location += "?" + request.url.query
        status = 301 if request.method in ("GET", "HEAD") else 307
        body = {"message": "Moved Permanently", "url": location, "documentation_url": REDIRECT_DOCS}
        headers = {"location": location, **self._rate_headers("core")}
        return Response(dump(body), status, headers=headers, media_type="application/json")

    def _spend(self, resource: str) -> None:
        _limit, remaining, _used, reset = self.buckets[resource].state(self.world.rate_scale)
        if remaining <= 0:
            raise ApiError(
                403,
                f"API rate limit exceeded for user ID 1. (Resets at epoch {reset}.)",
            )
        self.buckets[resource].used += 1
        self.world.counters.spend("github", resource)

    def _secondary_check(self) -> None:
        now = self.world.clock()
        while self._creations and self._creations[0] <= now - 60:
            self._creations.popleft()
        if len(self._creations) >= SECONDARY_LIMIT:
            retry = max(1, int(self._creations[0] + 60 - now) + 1)
            raise SecondaryLimit(retry)
        self._creations.append(now)

    def _rate_headers(self, resource: str | None) -> dict[str, str]:
        name = resource or "core"
        limit, remaining, used, reset = self.buckets[name].state(self.world.rate_scale)
        return {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": name,
            "x-github-media-type": "github.v3; format=json",
            "x-github-api-version-selected": DEFAULT_VERSION,  # the endpoint sets the asked one
            "x-github-request-id": f"{next(self._request_ids):08X}:SIM",
            "x-oauth-scopes": "notifications, read:org, repo",
        }

    def _error(self, exc: ApiError, resource: str) -> Response:
        body: dict[str, Any] = {
            "message": exc.message,
            "documentation_url": exc.documentation_url or DOCS,
        }
        if exc.errors is not None:
            body["errors"] = exc.errors
        body.update(exc.extra)
        headers = {**self._rate_headers(resource), **exc.headers}
        if isinstance(exc, SecondaryLimit):
            headers["retry-after"] = str(exc.retry_after)
        return JSONResponse(body, status_code=exc.status, headers=headers)

    def _emit(self, event: str, payload: dict[str, Any]) -> None:
        self.world.emit("github", event, payload)

    def _delete_issue(self, item: Item) -> None:
        """GraphQL deleteIssue: the `issues` webhook says `deleted`, carrying the issue."""
        payload = self.render.issue_event(item, "deleted")
        self.state.delete_issue(item)
        self._mutated("delete_issue", item)
        self._emit("issues", payload)

    def _mutated(self, kind: str, item: Item, **record: Any) -> None:
        self.world.counters.mutation("github", kind, item=item.ref, number=item.number, **record)

    # ---- handlers: account ----
    def get_user(self, ctx: Ctx) -> Reply:
        extra = {
            "name": "Me Myself",
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": len(self.state.repos),
            "public_gists": 0,
            "followers": 3,
            "following": 5,
            "created_at": "2011-01-25T18:44:36Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 1024,
            "collaborators": 0,
            "two_factor_authentication": True,
        }
        if ctx.user != ME:
            extra = {**extra, "name": ctx.user.title(), "public_repos": 0, "followers": 0}
        return Reply({**self.render.user(ctx.user), **extra})

    def get_rate_limit(self, ctx: Ctx) -> Reply:
        resources = {}
        for name, bucket in self.buckets.items():
            limit, remaining, used, reset = bucket.state(self.world.rate_scale)
            resources[name] = {"limit": limit, "remaining": remaining, "used": used, "reset": reset}
        return Reply({"resources": resources, "rate": resources["core"]})

    # ---- handlers: search ----
    def search_issues(self, ctx: Ctx) -> Reply:
        query = ctx.query.get("q", "").strip()
        if not query:
            raise invalid("Search", "q")
        if len(query) > MAX_QUERY:
            raise ApiError(422, "Validation Failed", [TOO_LONG], documentation_url=SEARCH_DOCS)
        try:
            tree = parse(query)
        except BadQuery:
            raise invalid("Search", "q", "invalid") from None
        if ctx.app_user and not one_type(tree):
            raise ApiError(422, MIXED_TYPES, documentation_url=SEARCH_DOCS)
        refused = self.state.unsearchable(query)
        if refused is not None:
            why = UNSEARCHABLE if refused == "repositories" else UNSEARCHABLE_USERS
            raise ApiError(422, "Validation Failed", [why])
        sort, desc = ctx.query.get("sort"), ctx.query.get("order", "desc") != "asc"
        if sort is None and (in_query := sort_qualifier(query)) is not None:
            sort, desc = in_query  # `sort:updated-desc` in q, used when no sort= is given
        if sort not in SORT_KEYS:
            sort = "updated"  # best-match has no meaning here; most recent first
        try:  # `@me` is the caller (the token's user), as on GitHub
            matches = self.state.search(as_caller(query, ctx.user), sort, desc)
        except BadDate:
            raise invalid("Search", "q", "invalid") from None
        incomplete = self._timed_out()
        if incomplete:  # what the search found before its time ran out: any of the matches
            matches = [m for m in matches if self.world.rng.random() < 0.5]
        page, per_page = page_params(ctx)
        start = (page - 1) * per_page
        if start >= SEARCH_CAP:
            raise ApiError(422, PAST_THE_CAP, documentation_url=SEARCH_DOCS)
        total = len(matches)
        capped = matches[:SEARCH_CAP]
        items = [self.render.search_item(i) for i in capped[start : start + per_page]]
        # The next page must keep the order asked for: GitHub's links carry sort and order.
        keep: dict[str, str] = {k: ctx.query[k] for k in ("q", "sort", "order") if k in ctx.query}
        link = link_header(
            ctx, "/search/issues", keep, page, per_page, len(capped), with_last=self.link_last
        )
        body = {
            "total_count": total,
            "incomplete_results": incomplete,
            "search_type": "lexical",  # the current description (2026-03-10) requires it
            "items": items,
        }
        return Reply(body, headers=link)

    def _timed_out(self) -> bool:
        """This search hit GitHub's server-side time limit (search_incomplete_rate)."""
        rate = self.search_incomplete_rate
        return rate > 0 and self.world.rng.random() < rate

    # ---- handlers: repositories ----
    def get_repo(self, ctx: Ctx) -> Reply:
        return Reply(self._full_repo(self._repo(ctx)))

    def _full_repo(self, repo: Repo) -> dict[str, Any]:
        return self.render.full_repo(repo, merge_settings=self.merge_settings_shown)

    def update_repo(self, ctx: Ctx) -> Reply:
        """PATCH a repository: only `name` changes here (a rename: the old name redirects)."""
        repo = self._repo(ctx)
        name = obj(ctx.body).get("name")
        if name is not None:
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", name):
                raise invalid("Repository", "name", "invalid")
            self._move(repo, repo.owner, name)
        return Reply(self._full_repo(repo))

    def star(self, ctx: Ctx) -> Reply:
        """PUT / DELETE /user/starred/{owner}/{repo}: 204, and GitHub's `star` webhook
        (`created` with `starred_at`, `deleted` with null), plus `watch` `started` on a
        star (GitHub's watch event is about starring); a repeated one changes nothing.
        Events about no issue or PR: hooks subscribed to them get them all the same."""
        repo = self._repo(ctx)
        starring = ctx.request.method == "PUT"
        if (repo.id in self.state.starred) == starring:
            return Reply(None, status=204)
        if starring:
            self.state.starred.add(repo.id)
        else:
            self.state.starred.discard(repo.id)
        at = iso(self.world.clock()) if starring else None
        common = {"repository": self.render.repo(repo), "sender": self.render.user(ctx.user)}
        action = "created" if starring else "deleted"
        self._emit("star", {"action": action, "starred_at": at, **common})
        if starring:
            self._emit("watch", {"action": "started", **common})
        return Reply(None, status=204)

    def transfer_repo(self, ctx: Ctx) -> Reply:
        """POST …/transfer {"new_owner", "new_name"?}: 202, as GitHub (which finishes it later;
        here at once)."""
        repo = self._repo(ctx)
        body = obj(ctx.body)
        owner, name = body.get("new_owner"), body.get("new_name", repo.name)
        if not isinstance(owner, str) or not owner.strip():
            raise invalid("Repository", "new_owner")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", name):
            raise invalid("Repository", "new_name", "invalid")
        self._move(repo, owner, name)
        return Reply(self._full_repo(repo), status=202)

    def rename_repo(self, full_name: str, new_full_name: str) -> None:
        """For tests and the demo: move `owner/name` to `new_owner/new_name` (a rename, a
        transfer or both), as the REST calls above do, webhooks included."""
        with self.world.lock:
            repo = self.state.by_name.get(full_name.lower())
            if repo is None:
                raise KeyError(f"no repository {full_name!r}")
            owner, _sep, name = new_full_name.partition("/")
            self._move(repo, owner, name)

    def _move(self, repo: Repo, owner: str, name: str) -> None:
        old_owner, old_name = repo.owner, repo.name
        try:
            self.state.move_repo(repo, owner, name)
        except ValueError as exc:
            raise ApiError(
                422,
                "Validation Failed",
                [
                    {
                        "resource": "Repository",
                        "code": "custom",
                        "field": "name",
                        "message": str(exc),
                    }
                ],
            ) from None
        self.world.counters.mutation(
            "github", "repo_moved", repo=repo.id, old=f"{old_owner}/{old_name}", new=repo.full_name
        )
        if old_name != name:
            self._emit("repository", self.render.repo_event(repo, "renamed", name=old_name))
        if old_owner != owner:
            self._emit("repository", self.render.repo_event(repo, "transferred", owner=old_owner))

    def _check_access(self, ctx: Ctx, method: str) -> None:
        """A repository the user cannot see is GitHub's 404 (never a 403: GitHub does not say
        that it exists); an archived one refuses writes with 403."""
        if "owner" not in ctx.params and "repo_id" not in ctx.params:
            return
        repo = self.state.find_repo(ctx.params)
        if repo is not None and repo.hidden:
            raise ApiError(404, "Not Found")
        if repo is not None and repo.archived and method not in ("GET", "HEAD"):
            raise ApiError(403, "Repository was archived so is read-only.")

    # ---- handlers: pulls ----
    def _repo(self, ctx: Ctx) -> Repo:
        """The repository the path names; an unknown one is GitHub's 404."""
        repo = self.state.find_repo(ctx.params)
        if repo is None:
            raise ApiError(404, "Not Found")
        return repo

    @staticmethod
    def _listed_state(ctx: Ctx, resource: str) -> str:
        """A list's `state` filter (open, closed or all; open by default), else GitHub's 422."""
        state = ctx.query.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise invalid(resource, "state", "invalid")
        return state

    def _item(self, ctx: Ctx, pr: bool | None = None) -> Item:
        repo = self._repo(ctx)
        number = ctx.int_param("number")
        if number in repo.deleted:
            raise ApiError(410, "This issue was deleted")
        item = repo.items.get(number)
        if item is None or (pr is True and not item.is_pr):
            raise ApiError(404, "Not Found")
        if not item.is_pr:
            self._issues_enabled(repo)
        return item

    @staticmethod
    def _issues_enabled(repo: Repo) -> None:
        """A repository with issues turned off answers its issue endpoints 410 (not 404: the
        repository is there), in these words (octokit users match on them)."""
        if not repo.has_issues:
            raise ApiError(410, ISSUES_DISABLED)

    def list_pulls(self, ctx: Ctx) -> Reply:
        repo = self._repo(ctx)
        state = self._listed_state(ctx, "PullRequest")
        pulls = [i for i in repo.items.values() if i.is_pr and state in ("all", i.state)]
        key = "created" if ctx.query.get("sort", "created") == "created" else "updated"
        desc = ctx.query.get("direction", "desc") == "desc"
        pulls.sort(key=lambda i: i.created if key == "created" else i.updated, reverse=desc)
        return self._paged(ctx, pulls, f"/repositories/{repo.id}/pulls", self.render.pull_simple)

    def get_pull(self, ctx: Ctx) -> Reply:
        item = self._item(ctx, pr=True)
        self.state.settle_mergeable(item)
        return Reply(self.render.pull(item))

    def update_pull(self, ctx: Ctx) -> Reply:
        """PATCH a pull request: title, body, state (open/closed), as `update_issue` does."""
        item = self._item(ctx, pr=True)
        body = obj(ctx.body)
        state = body.get("state")
        if state is not None and state not in ("open", "closed"):
            raise invalid("PullRequest", "state", "invalid")
        if state == "open" and item.merged:
            raise invalid("PullRequest", "state", "invalid")  # a merged PR stays closed
        changed = self.state.update_issue(item, body)
        if "state" in changed:
            action = "closed" if state == "closed" else "reopened"
            self._mutated(f"pull_{action}", item)
            self._emit("pull_request", self.render.pr_event(item, action))
        elif changed:
            self._mutated("pull_edited", item, fields=sorted(changed))
            self._emit("pull_request", self.render.pr_event(item, "edited"))
        self.state.settle_mergeable(item)
        return Reply(self.render.pull(item))

    def list_files(self, ctx: Ctx) -> Reply:
        """The PR's changed files, 30 a page by default, at most 3,000 in all (as GitHub)."""
        item = self._item(ctx, pr=True)
        path = f"/repositories/{item.repo.id}/pulls/{item.number}/files"
        files = item.files[:MAX_FILES]
        return self._paged(ctx, files, path, lambda f: self.render.file_change(item, f))

    def list_reviews(self, ctx: Ctx) -> Reply:
        item = self._item(ctx, pr=True)
        path = f"/repositories/{item.repo.id}/pulls/{item.number}/reviews"
        seen = item.reviews_seen_by(ctx.user)
        return self._paged(ctx, seen, path, lambda r: self.render.review(item, r))

    def create_review(self, ctx: Ctx) -> Reply:
        item = self._item(ctx, pr=True)
        body = obj(ctx.body)
        event = body.get("event")
        text = body.get("body") or ""
        states = {
            "APPROVE": "APPROVED",
            "REQUEST_CHANGES": "CHANGES_REQUESTED",
            "COMMENT": "COMMENTED",
        }
        if event is not None and event not in states:
            raise invalid("PullRequestReview", "event", "invalid")
        if event in ("REQUEST_CHANGES", "COMMENT") and not text.strip():
            raise ApiError(
                422,
                "Unprocessable Entity",
                [f"Review body is required when event is {event}"],
            )
        # The review is the caller's (the token's user), as on GitHub: so is the own-PR rule.
        if event in ("APPROVE", "REQUEST_CHANGES") and item.user == ctx.user:
            verb = "approve" if event == "APPROVE" else "request changes on"
            raise ApiError(422, "Unprocessable Entity", [f"Can not {verb} your own pull request"])
        if any(r.user == ctx.user and r.state == "PENDING" for r in item.reviews):
            raise ApiError(422, "Unprocessable Entity", [ONE_PENDING_REVIEW])
        review = self.state.add_review(item, ctx.user, text, states.get(event or "", "PENDING"))
        self._mutated("review", item, event=event or "PENDING", body=text, user=ctx.user)
        if review.state != "PENDING":
            self._emit("pull_request_review", self.render.review_event(item, review))
        return Reply(self.render.review(item, review))

    def requested_reviewers(self, ctx: Ctx) -> Reply:
        item = self._item(ctx, pr=True)
        if ctx.request.method == "GET":
            users = [self.render.user(u) for u in item.reviewers]
            return Reply({"users": users, "teams": [self.render.team(t) for t in item.teams]})
        body = obj(ctx.body)
        logins, slugs = body.get("reviewers", []), body.get("team_reviewers", [])
        if not isinstance(logins, list) or not isinstance(slugs, list) or not logins + slugs:
            raise invalid("PullRequest", "reviewers")
        if not all(isinstance(name, str) for name in logins + slugs):
            raise invalid("PullRequest", "reviewers", "invalid")
        if [u for u in logins if u not in self.state.users] or [t for t in slugs if t not in TEAMS]:
            raise ApiError(
                422,
                "Reviews may only be requested from collaborators. One or more of the users "
                "or teams you specified is not a collaborator of the "
                f"{item.repo.full_name} repository.",
            )
        adding = ctx.request.method == "POST"
        self.state.set_reviewers(item, logins, adding)
        self.state.set_team_reviewers(item, slugs, adding)
        kind = "review_request" if adding else "review_request_removed"
        self._mutated(kind, item, users=logins, **({"teams": slugs} if slugs else {}))
        # One delivery per reviewer, as GitHub sends `review_requested` and, on removal,
        # `review_request_removed` (each naming its requested_reviewer or requested_team).
        action = "review_requested" if adding else "review_request_removed"
        for login in logins:
            self._emit("pull_request", self.render.pr_event(item, action, reviewer=login))
        for slug in slugs:
            self._emit("pull_request", self.render.pr_event(item, action, team=slug))
        return Reply(self.render.pull(item), status=201 if adding else 200)

    def merge(self, ctx: Ctx) -> Reply:
        item = self._item(ctx, pr=True)
        body = obj(ctx.body)
        method = body.get("merge_method", "merge")
        if method not in MERGE_REFUSALS:
            raise invalid("PullRequest", "merge_method", "invalid")
        if method not in item.repo.merge_methods:
            raise ApiError(405, MERGE_REFUSALS[method])
        self.state.settle_mergeable(item)
        if item.state != "open" or item.merged or item.mergeable is not True or item.draft:
            raise ApiError(405, "Pull Request is not mergeable")
        sha = body.get("sha")
        if sha is not None and sha != item.head_sha:
            raise ApiError(409, "Head branch was modified. Review and try the merge again.")
        merge_sha = self.state.merge(item, ME)
        self._mutated("merge", item, method=method, sha=merge_sha)
        self._emit("pull_request", self.render.pr_event(item, "closed"))
        return Reply(
            {"sha": merge_sha, "merged": True, "message": "Pull Request successfully merged"}
        )

    # ---- handlers: issues ----
    def list_issues(self, ctx: Ctx) -> Reply:
        repo = self._repo(ctx)
        self._issues_enabled(repo)
        state = self._listed_state(ctx, "Issue")
        creator = ctx.query.get("creator")
        items = [
            i
            for i in repo.items.values()
            if state in ("all", i.state) and creator in (None, i.user)
        ]
        # sort=created|updated|comments, direction=desc|asc (GitHub's defaults: created, desc)
        sort = ctx.query.get("sort", "created")
        keys = {"created": lambda i: i.created, "updated": lambda i: i.updated}
        items.sort(
            key=keys.get(sort, lambda i: len(i.comments)),
            reverse=ctx.query.get("direction", "desc") != "asc",
        )
        return self._paged(ctx, items, f"/repositories/{repo.id}/issues", self.render.issue)

    def create_issue(self, ctx: Ctx) -> Reply:
        repo = self._repo(ctx)
        self._issues_enabled(repo)
        body = obj(ctx.body)
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise invalid("Issue", "title")
        text = body.get("body") or ""
        if len(title) > TITLE_MAX:
            raise too_long(
                "Issue", "title", "custom", f"title is too long (maximum is {TITLE_MAX} characters)"
            )
        if len(text) > BODY_MAX:
            raise too_long(
                "Issue", "body", "custom", f"body is too long (maximum is {BODY_MAX} characters)"
            )
        assignees, labels = self._create_extras(body)
        item = self.state.new_item(repo, ME, title, text, is_pr=False)
        # Labels that do not exist yet are made (grey, no description), as adding one does.
        self.state.add_labels(item, labels)
        self.state.set_assignees(item, assignees, adding=True)
        self._mutated("issue_opened", item, body=item.body)
        self._emit("issues", self.render.issue_event(item, "opened"))
        return Reply(self.render.issue(item), status=201)

    def _create_extras(self, body: dict[str, Any]) -> tuple[list[str], list[str]]:
        """A new issue's assignees (`assignees`, or the deprecated `assignee`) and labels
        (names, or `{"name": ...}`). GitHub's REST reference: only a user with push access
        sets them, silently dropped otherwise (the simulated user has push access to every
        repository); a login that cannot be assigned is 422 `invalid` naming it, the whole
        issue refused (microsoft/vscode-pull-request-github#1868: "Value notauser cannot be
        set for field assignees")."""
        logins = body.get("assignees")
        if logins is None:
            logins = [body["assignee"]] if body.get("assignee") else []
        if not isinstance(logins, list) or not all(isinstance(u, str) for u in logins):
            raise invalid("Issue", "assignees", "invalid")
        for login in logins:
            if login not in self.state.users or login in self.state.deleted_users:
                error = {
                    "value": login,
                    "resource": "Issue",
                    "field": "assignees",
                    "code": "invalid",
                }
                raise ApiError(422, "Validation Failed", [error])
        names = body.get("labels") or []
        if isinstance(names, list):
            names = [n.get("name") if isinstance(n, dict) else n for n in names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise invalid("Issue", "labels", "invalid")
        return logins, names

    def get_issue(self, ctx: Ctx) -> Reply:
        return Reply(self.render.issue(self._item(ctx)))

    def update_issue(self, ctx: Ctx) -> Reply:
        item = self._item(ctx)
        body = obj(ctx.body)
        state = body.get("state")
        if state is not None and state not in ("open", "closed"):
            raise invalid("Issue", "state", "invalid")
        changed = self.state.update_issue(item, body)
        if state is not None and "state" in changed:
            action = "closed" if state == "closed" else "reopened"
            self._mutated(f"issue_{action}", item)
            if item.is_pr:
                self._emit("pull_request", self.render.pr_event(item, action))
            else:
                self._emit("issues", self.render.issue_event(item, action))
        elif changed:
            self._mutated("issue_edited", item, fields=sorted(changed))
        return Reply(self.render.issue(item))

    def list_labels(self, ctx: Ctx) -> Reply:
        item = self._item(ctx)
        return Reply([self.render.label(item.repo, n) for n in item.labels])

    def add_labels(self, ctx: Ctx) -> Reply:
        item = self._item(ctx)
        names = ctx.body.get("labels") if isinstance(ctx.body, dict) else ctx.body
        if isinstance(names, list):  # GitHub also takes [{"name": "bug"}, ...]
            names = [n.get("name") if isinstance(n, dict) else n for n in names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise invalid("Label", "labels", "invalid")
        added = self.state.add_labels(item, names)
        for name in added:
            self._mutated("label_added", item, label=name)
            self._emit(*self.render.labeled_event(item, "labeled", name))
        return Reply([self.render.label(item.repo, n) for n in item.labels])

    def remove_label(self, ctx: Ctx) -> Reply:
        item = self._item(ctx)
        name = ctx.params["name"]
        if not self.state.remove_label(item, name):
            raise ApiError(404, "Label does not exist")
        self._mutated("label_removed", item, label=name)
        self._emit(*self.render.labeled_event(item, "unlabeled", name))
        return Reply([self.render.label(item.repo, n) for n in item.labels])

    def assignees(self, ctx: Ctx) -> Reply:
        item = self._item(ctx)
        logins = obj(ctx.body).get("assignees")
        if not isinstance(logins, list) or not all(isinstance(u, str) for u in logins):
            raise invalid("Issue", "assignees")
        adding = ctx.request.method == "POST"
        changed = self.state.set_assignees(
            item, [u for u in logins if u in self.state.users], adding
        )
        action = "assigned" if adding else "unassigned"
        for login in changed:
            self._mutated(action, item, user=login)
            if not item.is_pr:
                self._emit("issues", self.render.issue_event(item, action, assignee=login))
                continue
            event = self.render.pr_event(item, action)  # a PR's: `pull_request` assigned
            self._emit("pull_request", {**event, "assignee": self.render.user(login)})
        return Reply(self.render.issue(item), status=201 if adding else 200)

    def list_comments(self, ctx: Ctx) -> Reply:
        item = self._item(ctx)
        comments = item.comments
        since = ctx.query.get("since")
        if since:
            cutoff = parse_iso(since)
            comments = [c for c in comments if c.updated >= cutoff]
        path = f"/repositories/{item.repo.id}/issues/{item.number}/comments"
        return self._paged(ctx, comments, path, lambda c: self.render.comment(item, c))

    def create_comment(self, ctx: Ctx) -> Reply:
        item = self._item(ctx)
        text = obj(ctx.body).get("body")
        if not isinstance(text, str) or not text.strip():
            raise invalid("IssueComment", "body")
        if len(text) > BODY_MAX:
            why = f"Body is too long (maximum is {BODY_MAX} characters)"
            raise too_long("IssueComment", "data", "unprocessable", why)
        # The token's user writes it, as on GitHub (another login's comment is that person's).
        comment: Comment = self.state.add_comment(item, ctx.user, text)
        self._mutated("comment", item, body=text, comment_id=comment.id, user=ctx.user)
        self._emit("issue_comment", self.render.comment_event(item, comment))
        return Reply(self.render.comment(item, comment), status=201)

    def combined_status(self, ctx: Ctx) -> Reply:
        item = self._by_sha(ctx)
        return Reply(self.render.combined_status(item, ctx.params["ref"]))

    def check_runs(self, ctx: Ctx) -> Reply:
        """Check runs for a ref, paginated as GitHub does (the Link header, 30 a page)."""
        item = self._by_sha(ctx)
        runs = self.render.check_run_list(item, ctx.params["ref"])
        path = f"/repositories/{item.repo.id}/commits/{ctx.params['ref']}/check-runs"
        page = self._paged(ctx, runs, path, lambda run: run)
        page.body = {"total_count": len(runs), "check_runs": page.body}
        return page

    def get_commit(self, ctx: Ctx) -> Reply:
        item = self._by_sha(ctx)
        return Reply(self.render.commit(item, ctx.params["ref"]))

    def _by_sha(self, ctx: Ctx) -> Item:
        repo = self.state.find_repo(ctx.params)
        item = repo.by_sha.get(ctx.params["ref"]) if repo else None
        if item is None:
            raise ApiError(422, f"No commit found for SHA: {ctx.params['ref']}")
        return item

    # ---- handlers: notifications ----
    @staticmethod
    def _classic_only(ctx: Ctx) -> None:
        """Notifications refuse a GitHub App's user token and a fine-grained PAT: 403."""
        if ctx.app_user or ctx.fine_grained:
            why = NOT_FOR_APPS if ctx.app_user else NOT_FOR_FINE_GRAINED
            raise ApiError(403, why, documentation_url=NOTIFICATIONS_DOCS)

    def list_notifications(self, ctx: Ctx) -> Reply:
        self._classic_only(ctx)
        show_all = ctx.query.get("all", "false") == "true"
        participating = ctx.query.get("participating", "false") == "true"
        threads = self.state.threads_for(
            show_all,
            participating,
            parse_iso(ctx.query["since"]) if ctx.query.get("since") else None,
            parse_iso(ctx.query["before"]) if ctx.query.get("before") else None,
        )
        if ctx.user != ME:  # the seeded threads are ME's inbox, not another person's
            threads = []
        reply = self._paged(ctx, threads, "/notifications", self.render.thread, default=50)
        reply.headers["x-poll-interval"] = str(max(1, self.poll_interval))
        reply.headers["x-accepted-oauth-scopes"] = NOTIFICATION_SCOPES
        reply.last_modified = self.state.notifications_changed
        return reply

    def mark_all_read(self, ctx: Ctx) -> Reply:
        self._classic_only(ctx)
        body = obj(ctx.body)
        at = parse_iso(body["last_read_at"]) if body.get("last_read_at") else self.world.clock()
        count = self.state.mark_all_read(at)
        self.world.counters.mutation("github", "notifications_read", count=count)
        return Reply(None, status=205, headers={"x-accepted-oauth-scopes": NOTIFICATION_SCOPES})

    def _thread(self, ctx: Ctx) -> Thread:
        self._classic_only(ctx)
        thread = self.state.threads.get(ctx.params["thread_id"])
        if thread is None:
            raise ApiError(404, "Not Found")
        return thread

    def get_thread(self, ctx: Ctx) -> Reply:
        return Reply(self.render.thread(self._thread(ctx)))

    def mark_thread(self, ctx: Ctx) -> Reply:
        thread = self._thread(ctx)
        self.state.mark_thread(thread)
        self.world.counters.mutation("github", "thread_read", thread=thread.id)
        return Reply(None, status=205)

    def mark_thread_done(self, ctx: Ctx) -> Reply:
        thread = self._thread(ctx)
        self.state.mark_thread_done(thread)
        self.world.counters.mutation("github", "thread_done", thread=thread.id)
        return Reply(None, status=204)

    # ---- pagination ----
    def _paged(
        self,
        ctx: Ctx,
        rows: list[Any],
        path: str,
        render: Callable[[Any], dict[str, Any]],
        default: int = 30,
    ) -> Reply:
        page, per_page = page_params(ctx, default)
        start = (page - 1) * per_page
        body = [render(r) for r in rows[start : start + per_page]]
        keep = {k: v for k, v in ctx.query.items() if k not in ("page", "per_page")}
        links = link_header(ctx, path, keep, page, per_page, len(rows), with_last=self.link_last)
        return Reply(body, headers=links)
