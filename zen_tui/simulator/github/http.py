"""HTTP plumbing for the GitHub look-alike: error type, request context, rate buckets,
conditional requests and Link pagination."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

DOCS = "https://docs.github.com/rest"
DEFAULT_VERSION = "2022-11-28"  # what GitHub answers a request naming no version as


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        errors: list[Any] | str | None = None,
        *,
        documentation_url: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.documentation_url = documentation_url  # None: the API's general docs page
        self.headers = headers or {}  # sent with the error (x-accepted-github-permissions)
        self.extra = extra or {}  # more fields of the body (the version refusal's `status`)


def no_user_agent() -> Response:
    """GitHub's edge refuses a request without a User-Agent: 403, plain text, before auth."""
    return Response(
        "Request forbidden by administrative rules. Please make sure your request has a "
        f"User-Agent header ({DOCS}/using-the-rest-api/getting-started-with-the-rest-api"
        "#user-agent). Check https://developer.github.com for other possible causes.\n",
        status_code=403,
        media_type="text/plain",
    )


def invalid(resource: str, field_name: str, code: str = "missing_field") -> ApiError:
    return ApiError(
        422, "Validation Failed", [{"resource": resource, "code": code, "field": field_name}]
    )


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: float | None = None  # epoch seconds; enables If-Modified-Since


@dataclass
class Ctx:
    """What a handler needs from the request."""

    request: Request
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    api_base: str
    api_version: str = DEFAULT_VERSION  # the request's X-GitHub-Api-Version
    user: str = "me"  # whose token made the request (see GitHubSim.add_user)
    app_user: bool = False  # the token is a GitHub App's user access token (ghu_)
    # A fine-grained personal access token's permissions ("issues=write", ...); None: the
    # token is not a fine-grained one.
    grants: frozenset[str] | None = None

    @property
    def fine_grained(self) -> bool:
        return self.grants is not None

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except (KeyError, ValueError):
            raise ApiError(404, "Not Found") from None


class Bucket:
    """One primary rate-limit window (core: 5000/h, search: 30/min), scaled by rate_scale."""

    def __init__(self, base_limit: int, period: float, clock: Callable[[], float]) -> None:
        self.base_limit = base_limit
        self.period = period
        self.clock = clock
        self.start = clock()
        self.used = 0

    def _roll(self) -> None:
        now = self.clock()
        if now >= self.start + self.period:
            self.start = now - ((now - self.start) % self.period)
            self.used = 0

    def limit(self, scale: float) -> int:
        return max(1, round(self.base_limit * scale))

    def state(self, scale: float) -> tuple[int, int, int, int]:
        """(limit, remaining, used, reset epoch seconds)."""
        self._roll()
        limit = self.limit(scale)
        return limit, max(0, limit - self.used), self.used, int(self.start + self.period)


class SecondaryLimit(ApiError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            403,
            "You have exceeded a secondary rate limit and have been temporarily blocked from "
            "content creation. Please retry your request again later.",
        )
        self.retry_after = retry_after


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("bearer", "token") else None


def api_base(request: Request) -> str:
    root = str(request.base_url).rstrip("/")
    return root + str(request.scope.get("root_path", ""))


# What REST API version 2026-03-10 took out of the answers the simulator gives (GitHub's
# "Breaking changes" page, version 2026-03-10): issues' and PRs' singular `assignee` (the
# `assignees` array says it), PRs' `merge_commit_sha`, repositories' `has_downloads` and
# `use_squash_pr_title_as_default`, and /rate_limit's `rate` (`resources.core` says it).
VERSION_2026 = "2026-03-10"
_GONE_IN_2026 = frozenset({"merge_commit_sha", "has_downloads", "use_squash_pr_title_as_default"})


def as_of(body: Any, version: str, *, top: bool = True) -> Any:
    """`body` as API `version` answers it: the fields a later version removed left out."""
    if version < VERSION_2026:
        return body
    if isinstance(body, list):
        return [as_of(b, version, top=False) for b in body]
    if not isinstance(body, dict):
        return body
    gone = set(_GONE_IN_2026)
    if "assignees" in body:
        gone.add("assignee")
    if top and "resources" in body:
        gone.add("rate")
    return {k: as_of(v, version, top=False) for k, v in body.items() if k not in gone}


def dump(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode() if body is not None else b""


def obj(body: Any) -> dict[str, Any]:
    return body if isinstance(body, dict) else {}


def not_modified(request: Request, etag: str, last_modified: float | None) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return etag in tags or "*" in tags
    ims = request.headers.get("if-modified-since")
    if ims and last_modified is not None:
        try:
            return int(last_modified) <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def page_params(ctx: Ctx, default: int = 30) -> tuple[int, int]:
    try:
        page = max(1, int(ctx.query.get("page", 1)))
        per_page = min(100, max(1, int(ctx.query.get("per_page", default))))
    except ValueError:
        raise invalid("Pagination", "per_page", "invalid") from None
    return page, per_page


def link_header(
    ctx: Ctx,
    path: str,
    query: dict[str, str],
    page: int,
    per_page: int,
    total: int,
    *,
    with_last: bool = True,
) -> dict[str, str]:
    """GitHub's Link header; `with_last` False leaves rel="last" out, as GitHub does where it
    cannot compute the last page (its pagination guide): a client must follow `next` alone."""
    last = max(1, -(-total // per_page))
    if last == 1 and page == 1:
        return {}

    def url(n: int) -> str:
        return f"{ctx.api_base}{path}?{urlencode({**query, 'per_page': per_page, 'page': n})}"

    parts = []
    if page > 1:
        parts.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if page < last:
        parts.append(f'<{url(page + 1)}>; rel="next"')
        if with_last:
            parts.append(f'<{url(last)}>; rel="last"')
    if page > 1:
        parts.append(f'<{url(1)}>; rel="first"')
    return {"link": ", ".join(parts)} if parts else {}


def parse_iso(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid("Query", "since", "invalid") from None
