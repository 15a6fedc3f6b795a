"""Per-service HTTP knowledge in one place: default headers, rate-limit headers, scopes.

Everything that differs between GitHub, Jira and Slack on the wire lives here, so the
layers (retry, limiter, transport) stay generic.
"""

from __future__ import annotations

import email.utils
import math
import re
from collections.abc import Mapping, Sequence

import msgspec

from zen_tui.json_input import loads
from zen_tui.models import parse_iso

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# GitHub's wait after a rate limit that names no time (its docs: >= 1 minute), doubled for
# each one after it in a row, up to SILENT_LIMIT_MAX (see ServiceProfile.silent_limit).
SILENT_LIMIT_WAIT = 60.0
SILENT_LIMIT_MAX = 16 * 60.0
# The least wait after a rate limit whose named time is not ahead of this clock: GitHub names
# its reset in whole epoch seconds (the window ends within that second) and a server's clock
# may run ahead, so a try sent at once is refused again, a request made while limited.
LIMIT_FLOOR = 1.0
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_READING = frozenset({"GET", "HEAD", "OPTIONS"})

# Slack Web API method -> its documented rate tier, from each method's reference page
# ("Rate Limits"): Tier 1-4 allow 1+, 20+, 50+, 100+ a minute; "special" methods have limits
# of their own (auth.test and chat.getPermalink hundreds a minute, chat.postMessage about one
# message a second per channel). The one table for the gateway and the Slack client (which
# must not name a tier of its own): every method zen-tui calls is here, at the tier Slack's
# own list gives (tests/contracts/slack-api-specs/rate-tiers, tested); any other uses
# "default" (see slack_scope).
SLACK_TIERS = {
    "auth.test": "special",
    "conversations.list": "tier2",
    "conversations.history": "tier3",
    "conversations.replies": "tier3",
    "users.info": "tier4",
    "search.messages": "tier2",
    "chat.postMessage": "special",
    "chat.getPermalink": "special",
    "reactions.add": "tier3",
    "reactions.remove": "tier2",  # not reactions.add's tier 3
}

# Jira's RateLimit-Reason -> the family of the scope it limits (Atlassian's guide): a burst
# limit is one endpoint and HTTP method, a per-issue limit the writes to one issue. The
# quotas (jira-quota-global-based, jira-quota-tenant-based), the older jira-cost-based and
# any reason not known here limit the whole account: its own scope.
_JIRA_REASONS = {"jira-burst-based": "burst", "jira-per-issue-on-write": "issue"}

# A Jira issue named in a REST path, by key (ZEN-12) or id; not /issue/picker, createmeta...
_JIRA_ISSUE = re.compile(r"(/rest/api/[^/]+/issue/)([A-Za-z][A-Za-z0-9_]*-\d+|\d+)(?=/|$)")
_KEY = r"\1{key}"  # an endpoint of one issue names the template, as the Jira client does

# One permission of x-accepted-github-permissions ("issues=write").
_PERMISSION = re.compile(r"\b[a-z_]{1,40}=(?:read|write|admin)\b")

# The header naming the REST API version GitHub answers as (its docs, "API Versions").
VERSION_HEADER = "X-GitHub-Api-Version"

# How GitHub's 410s about content end (see ServiceProfile.content_gone).
_GITHUB_CONTENT_GONE = ("was deleted", "disabled for this repo")

# Slack errors (HTTP 200, ok:false) a refreshed token may fix.
_SLACK_REFRESHABLE = frozenset({"token_expired"})

# Slack's ok:false codes for a rate limit. Every method's reference lists `ratelimited`
# ("Refer to the Retry-After header for when to retry"), chat.postMessage's also
# `rate_limited` ("Application has posted too many messages"), as codes of an ok:false body,
# which Slack's other errors send with HTTP 200: a limit said that way is one all the same.
_SLACK_RATE_LIMITED = frozenset({"ratelimited", "rate_limited"})

# Slack's ok:false codes for a failure on its side, as every method's reference describes
# them: `internal_error` ("likely due to a transient issue on our end"), `fatal_error` ("a
# catastrophic error"; both: "It's possible some aspect of the operation succeeded"),
# `service_unavailable` ("The service is temporarily unavailable"). Sent with HTTP 200, they
# are what a 5xx is. (Not `request_timeout`: "the POST data was either missing or
# truncated", about the request; nor the auth codes, which mean log in again.)
_SLACK_SERVER_FAILED = frozenset({"internal_error", "fatal_error", "service_unavailable"})

# Slack's tiers are per-minute budgets: a refusal naming no time waits out the minute.
_SLACK_WINDOW = 60.0

# Slack Web API methods whose last name part is one of these only read (users.info, ...).
_SLACK_READ_VERBS = frozenset({"history", "replies", "list", "info", "messages", "test"})


class Quota(msgspec.Struct, frozen=True):
    """What the server said about the budget on one response."""

    scope: str | None  # the server's resource name (GitHub x-ratelimit-resource), if any
    limit: int | None
    remaining: int | None
    reset_at: float | None  # epoch seconds


class PointsQuota(msgspec.Struct, frozen=True):
    """Jira's hourly points quota as its beta headers report it (Beta-RateLimit, and
    Beta-RateLimit-Policy while anything is left): what one answer said."""

    remaining: int  # r: points left in this window
    reset_at: float  # epoch seconds: now + t (else X-Beta-RateLimit-Reset)
    limit: int | None  # the policy's q; Jira stops sending the policy once r is 0
    near_limit: bool  # X-Beta-RateLimit-NearLimit: under 20 % of the quota left


class ServiceProfile(msgspec.Struct, frozen=True):
    name: str
    default_headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    request_id_header: str = ""
    # (requests, per seconds) sliding window for content-creating calls, if the API has one.
    mutation_window: tuple[int, float] | None = None

    def scope_for(self, method: str, path: str) -> str:
        if self.name == "github":
            if is_graphql(path):
                return "graphql"  # its own budget, in points (x-ratelimit-resource: graphql)
            return "search" if path.startswith("/search/") else "core"
        if self.name == "slack":
            api_method = path.rstrip("/").rsplit("/", 1)[-1]
            return slack_method_scope(api_method)
        return "default"

    def narrower_scopes(self, method: str, path: str, endpoint: str) -> tuple[str, ...]:
        """The limits a call meets besides its scope's, each a scope of its own: Jira's
        burst limit per endpoint and method ("burst:POST /rest/api/3/search/jql") and, for
        a write to one issue, that issue's writes ("issue:ZEN-12")."""
        if self.name != "jira":
            return ()
        burst = f"burst:{method.upper()} {_JIRA_ISSUE.sub(_KEY, endpoint)}"
        found = _JIRA_ISSUE.search(path)
        if found is None or self.reads(method, path):
            return (burst,)
        return (burst, f"issue:{found.group(2).upper()}")

    def refused_scope(self, headers: Mapping[str, str], scope: str, narrower: Sequence[str]) -> str:
        """The scope a rate-limited answer pauses: the one of `narrower` its limit names
        (Jira's RateLimit-Reason, lower-case `headers`), else the call's own `scope`."""
        if self.name != "jira":  # first: asked of every answer
            return scope
        reason = headers.get("ratelimit-reason") or headers.get("x-beta-ratelimit-reason")
        family = _JIRA_REASONS.get((reason or "").strip().lower())
        if family is None:
            return scope
        return next((s for s in narrower if s.startswith(f"{family}:")), scope)

    def idempotent(self, method: str, path: str) -> bool:
        """Safe to send twice. Slack reads are POSTs too, so its read methods count."""
        if method.upper() in IDEMPOTENT:
            return True
        if self.name == "github" and is_graphql(path):
            return True  # zen-tui sends only queries (reads) to GitHub's GraphQL endpoint
        if self.name == "slack":
            api_method = path.rstrip("/").rsplit("/", 1)[-1]
            return api_method.rsplit(".", 1)[-1] in _SLACK_READ_VERBS
        return False

    def reads(self, method: str, path: str) -> bool:
        """Only reads, changing nothing: what a gateway replaced by a new login refuses to
        start (Gateway.retire). GET and the like; GitHub's GraphQL queries, Slack's read
        methods and Jira's issue search and JQL check, which are POSTs."""
        if method.upper() in _READING:
            return True
        if method.upper() != "POST":
            return False
        if self.name == "jira":
            return path.rstrip("/").endswith(("/search/jql", "/jql/parse"))
        return self.idempotent(method, path)  # GitHub GraphQL, Slack read methods

    def creates(self, method: str, path: str) -> bool:
        """Counts against the content-creation window: a write, but not a GraphQL query."""
        return method.upper() in MUTATING and not (self.name == "github" and is_graphql(path))

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        return headers.get(self.request_id_header) if self.request_id_header else None

    def quota(self, headers: Mapping[str, str]) -> Quota | None:
        remaining = _int(headers.get("x-ratelimit-remaining"))
        reset_at = parse_reset(headers.get("x-ratelimit-reset"))
        if remaining is None and reset_at is None:
            return None
        return Quota(
            scope=headers.get("x-ratelimit-resource"),
            limit=_int(headers.get("x-ratelimit-limit")),
            remaining=remaining,
            reset_at=reset_at,
        )

    def points_quota(
        self, headers: Mapping[str, str], now: float
    ) -> tuple[PointsQuota | None, str | None]:
        """Jira's points quota from the beta headers (lower-case `headers`), and what was
        wrong with them if they came but could not be read: (quota, None), (None, problem),
        or (None, None) when none came (API-token traffic, other services). Never raises:
        the headers are a beta, their shape may change."""
        if self.name != "jira":
            return None, None
        said = headers.get("beta-ratelimit")
        if said is None:
            return None, None
        items = [
            (r, name, params)
            for name, params in rate_limit_items(said)
            if (r := _count(params.get("r"))) is not None
        ]
        if not items:
            return None, f"Beta-RateLimit {_shown(said)} names no remaining r="
        # Several policies: the one that runs out first (least left per second) governs.
        remaining, name, params = min(items, key=lambda i: i[0] / max(_seconds(i[2]), 1.0))
        reset_at = _reset_at(params, headers, now)
        if reset_at is None:
            return None, f"Beta-RateLimit {_shown(said)} says no reset (t=) in the future"
        return (
            PointsQuota(
                remaining=remaining,
                reset_at=reset_at,
                limit=_policy_quota(headers.get("beta-ratelimit-policy"), name),
                near_limit=headers.get("x-beta-ratelimit-nearlimit", "").strip().lower() == "true",
            ),
            None,
        )

    def token_refused(self, status: int, body: bytes) -> bool:
        """The answer refuses the token in its body, where no 401 says so: Slack's HTTP 200
        `ok:false` `token_expired`, which can come before the expiry the login stated (the
        token revoked or rotated elsewhere, a skewed clock). A refresh may fix it."""
        if self.name != "slack" or status != 200 or b"token_expired" not in body:
            return False
        return _slack_error(body) in _SLACK_REFRESHABLE

    def refused_in_body(self, status: int, body: bytes) -> str | None:
        """The error code of an answer that refuses in its body what its status calls a
        success: Slack's HTTP 200 `{"ok": false, "error": "invalid_auth"}`, how Slack reports
        most failures. None for any other answer. The gateway counts it as a failed call
        (RequestDone.error, as a 4xx is) and hands it on unchanged: what it means (log in
        again, a channel gone, ...) is the Slack client's to say."""
        if self.name != "slack" or status != 200 or b'"error"' not in body:
            return None
        return _slack_error(body)

    def failed_server_side(self, status: int, body: bytes) -> str | None:
        """The code of an HTTP 200 that says the server failed (Slack's `internal_error`,
        `fatal_error`, `service_unavailable`): handled as a 5xx is, retried when safe and
        counted by the breaker. None for any other answer."""
        code = self.refused_in_body(status, body)
        return code if code in _SLACK_SERVER_FAILED else None

    def content_gone(self, status: int, body: bytes) -> bool:
        """GitHub's 410 about content, not an endpoint or API version the service retired
        (the other 410s): one deleted issue (`This issue was deleted`), or a repository with
        issues turned off in its settings (`Issues are disabled for this repo`, a fork's
        default), which answers its issue endpoints so."""
        if status != 410 or self.name != "github":
            return False
        try:
            answer = loads(body)
        except ValueError:
            return False
        message = answer.get("message") if isinstance(answer, dict) else None
        return isinstance(message, str) and message.rstrip(".").endswith(_GITHUB_CONTENT_GONE)

    def version_refusal(self, status: int, body: bytes) -> str | None:
        """What to tell the user when GitHub refuses the REST API version this profile pins:
        400 for a version it never had, 410 Gone for one it closed down (its docs,
        "Troubleshooting the REST API" and "API Versions"); its reason names the version
        ('... request header, "2022-11-28", is not a supported version ...'). None for any
        other answer, a 410 about one deleted issue included."""
        version = self.default_headers.get(VERSION_HEADER)
        if version is None or status not in (400, 410):
            return None
        try:
            answer = loads(body)
        except ValueError:
            return None
        if not isinstance(answer, dict):
            return None
        said = f"{answer.get('message')} {answer.get('errors')}"
        if f'"{version}"' not in said or "version" not in said.lower():
            return None
        how = "no longer supports" if status == 410 else "does not support"
        code = "410 Gone" if status == 410 else "400 Bad Request"
        return (
            f"GitHub {how} REST API version {version} ({code}), the one this zen-tui is "
            "built for: update zen-tui"
        )

    def api_retired(self, status: int, body: bytes) -> bool:
        """A 410 whose readable answer says an endpoint or API version is gone (GitHub's and
        Jira's retired APIs answer in JSON). An unreadable one (a body cut short, a proxy's
        page) is no evidence of that: it stays a plain 410, as a deleted item answers, so the
        engine asks about the item itself and nobody is told to upgrade zen-tui wrongly."""
        if status != 410 or self.content_gone(status, body):
            return False
        try:
            answer = loads(body)
        except ValueError:
            return False
        return isinstance(answer, dict)

    def is_rate_limited(self, status: int, headers: Mapping[str, str], body: bytes) -> bool:
        """429 anywhere; a GitHub 403 that is really a primary or secondary rate limit; a GitHub
        GraphQL 200 whose errors say RATE_LIMITED (GraphQL reports its limit in the body); a
        Slack 200 whose ok:false says `ratelimited` or `rate_limited` (its error codes)."""
        if status == 429:
            return True
        if status == 200 and self.name == "slack":
            return b"limited" in body and _slack_error(body) in _SLACK_RATE_LIMITED
        if status == 200:
            graphql = self.name == "github" and headers.get("x-ratelimit-resource") == "graphql"
            return graphql and b'"RATE_LIMITED"' in body
        if status != 403 or self.name != "github":
            return False
        if headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers:
            return True
        return b"secondary rate limit" in body.lower()

    def server_retry_at(self, status: int, headers: Mapping[str, str], now: float) -> float | None:
        """When the server says we may try again: Retry-After first, else an exhausted reset.

        GitHub's reset is the primary window's end: it applies only when remaining is 0. A
        GitHub 429 with budget left is a secondary limit (wait >= 60 s, its docs say); Jira's
        429 reset names the limit that refused. A Slack limit naming no time (an ok:false
        `ratelimited` without Retry-After) waits out its tier's minute. A time named that is
        not LIMIT_FLOOR ahead (a whole-second reset just passed, a clock behind the
        server's) waits LIMIT_FLOOR."""
        said = parse_retry_after(headers.get("retry-after"), now)
        exhausted = headers.get("x-ratelimit-remaining") == "0"
        if said is None and (exhausted or (status == 429 and self.name != "github")):
            said = parse_reset(headers.get("x-ratelimit-reset"))
        if said is not None:  # refused now, so now is too early whatever time it names
            return max(said, now + LIMIT_FLOOR)
        # GitHub's secondary limit may say nothing about when: its docs ask for >= 60 s.
        if self.name == "github":
            return now + SILENT_LIMIT_WAIT
        return now + _SLACK_WINDOW if self.name == "slack" else None

    def refusal_hint(self, status: int, headers: Mapping[str, str]) -> str:
        """What fixes a GitHub 403 for a fine-grained token or a GitHub App: the permissions
        the endpoint takes, from x-accepted-github-permissions ("issues=write;
        pull_requests=write": either will do), as " (the token needs issues=write or
        pull_requests=write)"; "" when there is none. Only well-formed names are kept."""
        if self.name != "github" or status != 403:
            return ""
        accepted = headers.get("x-accepted-github-permissions") or ""
        sets = [" and ".join(_PERMISSION.findall(one)) for one in accepted.split(";")]
        wanted = " or ".join(one for one in sets if one)
        return f" (the token needs {wanted})" if wanted else ""

    def silent_limit(self, headers: Mapping[str, str]) -> bool:
        """A GitHub rate limit that says nothing of when to come back: no retry-after, budget
        left (a secondary limit). Its docs: wait at least a minute, and if it goes on, an
        exponentially longer time between tries (the gateway doubles it, SILENT_LIMIT_MAX)."""
        return (
            self.name == "github"
            and "retry-after" not in headers
            and headers.get("x-ratelimit-remaining") != "0"
        )


PROFILES: dict[str, ServiceProfile] = {
    "github": ServiceProfile(
        name="github",
        default_headers={
            "Accept": "application/vnd.github+json",
            VERSION_HEADER: "2022-11-28",
        },
        request_id_header="x-github-request-id",
        mutation_window=(80, 60.0),
    ),
    "jira": ServiceProfile(
        name="jira",
        default_headers={"Accept": "application/json"},
        request_id_header="x-arequestid",
    ),
    "slack": ServiceProfile(name="slack", request_id_header="x-slack-req-id"),
}


def slack_scope(api_method: str, tier: str) -> str:
    """A Slack method's rate-limit scope: its own bucket (Slack limits each method per app
    and workspace) at its tier's configured rate ("tier3:conversations.history")."""
    return f"{tier}:{api_method}"


def slack_method_scope(api_method: str) -> str:
    """`api_method`'s scope at its documented tier (SLACK_TIERS), else at "default"."""
    return slack_scope(api_method, SLACK_TIERS.get(api_method, "default"))


def _slack_error(body: bytes) -> str | None:
    """The `error` code of a Slack `ok: false` answer; None for anything else."""
    try:
        answer = loads(body)
    except ValueError:
        return None
    if not isinstance(answer, dict) or answer.get("ok") is not False:
        return None
    error = answer.get("error")
    return error if isinstance(error, str) else None


def is_graphql(path: str) -> bool:
    """GitHub's GraphQL endpoint: /graphql on github.com, /api/graphql on GitHub Enterprise."""
    return path.rstrip("/").endswith("/graphql")


def profile_for(service: str) -> ServiceProfile:
    return PROFILES.get(service) or ServiceProfile(name=service)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Retry-After as delay-seconds or an HTTP-date -> epoch seconds."""
    if not value:
        return None
    value = value.strip()
    try:
        return now + max(0.0, float(value))
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def parse_reset(value: str | None) -> float | None:
    """A reset header: GitHub epoch seconds, or Jira ISO 8601 (`yyyy-MM-ddTHH:mmZ`)."""
    if not value:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    parsed = parse_iso(value)
    return parsed.timestamp() if parsed else None


def rate_limit_items(value: str) -> list[tuple[str, dict[str, str]]]:
    """An IETF RateLimit-draft field (`"tenant-app-quota";r=17842;t=2107`, items separated by
    commas) as (name, {param: value}) pairs, read leniently: spaces anywhere around `;`, `,`
    and `=`, quoted or bare names and values, case-blind parameter names; an item without a
    name is named "". Nothing here raises: what cannot be read is left out."""
    items = []
    for raw in value.split(","):
        parts = [p.strip() for p in raw.split(";")]
        name = "" if "=" in parts[0] else _unquote(parts.pop(0))
        params = {}
        for part in parts:
            key, eq, val = part.partition("=")
            if eq and key.strip():
                params[key.strip().lower()] = _unquote(val)
        if name or params:
            items.append((name, params))
    return items


def _unquote(value: str) -> str:
    return value.strip().strip('"').strip()


def _count(value: str | None) -> int | None:
    """A non-negative whole number of points or seconds (`2107`, `2107.0`); else None."""
    try:
        number = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number >= 0 else None


def _seconds(params: Mapping[str, str]) -> float:
    t = _count(params.get("t"))
    return float(t) if t is not None else math.inf


def _reset_at(params: Mapping[str, str], headers: Mapping[str, str], now: float) -> float | None:
    """now + t; without a readable t, X-Beta-RateLimit-Reset if it is still ahead (Jira
    was seen sending the start of the window there instead)."""
    t = _count(params.get("t"))
    if t is not None:
        return now + t
    reset = parse_reset(headers.get("x-beta-ratelimit-reset"))
    return reset if reset is not None and reset > now else None


def _policy_quota(value: str | None, name: str) -> int | None:
    """q of the policy `name` in Beta-RateLimit-Policy (of its only policy if none is named)."""
    policies = rate_limit_items(value or "")
    named = [params for n, params in policies if n == name]
    if not named and len(policies) == 1:
        named = [policies[0][1]]
    return _count(named[0].get("q")) if named else None


def _shown(value: str) -> str:
    """A server's header as a log line may quote it: short, control characters escaped."""
    return repr(value[:80] + ("..." if len(value) > 80 else ""))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
