"""GitHub REST client: search-backed sections, notifications, PR details and triage writes."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote

import msgspec

from zen_tui.gateway.errors import (
    ApiError,
    ApiGone,
    GatewayError,
    IncompleteResults,
    QueryRefused,
    Unavailable,
)
from zen_tui.gateway.settings import LISTING
from zen_tui.lengths import GITHUB_BODY_MAX as BODY_MAX
from zen_tui.lengths import GITHUB_TITLE_MAX as TITLE_MAX
from zen_tui.lengths import MARKER_ADDED, within
from zen_tui.models import (
    Action,
    ActionResult,
    CacheOutcome,
    FetchResult,
    FileDiff,
    Item,
    ItemDetail,
    MergeMethods,
    PullDiff,
    PullRequest,
    SectionInfo,
    Service,
    body_of,
)
from zen_tui.services.base import (
    PREVIEW,
    AccountInfo,
    BaseClient,
    GatewayLike,
    Notes,
    PageGuard,
    PageTimes,
    Read,
    Response,
    Sleeper,
    checked,
    gone_message,
    list_json,
    merge_cache,
    note_stale,
    param,
    parse_each,
    priority,
    query_refused,
    refused,
    says_missing,
)
from zen_tui.services.fields import Reader
from zen_tui.services.github_graphql import (
    MAX_ROWS,
    ROWS_QUERY,
    RowAnswer,
    graphql_url,
    parse_rows,
    search_query,
)
from zen_tui.services.github_parse import (
    parse_issue_like,
    parse_thread,
    split_key,
    webhook_items,
    writer,
)
from zen_tui.services.github_query import (
    KIND_QUALIFIER,
    MAX_QUERY,
    changed_since,
    half_missing,
    kinds_named,
    length_refusal,
    merge_kinds,
    mixed_kinds_refused,
    too_long,
    with_terms,
)
from zen_tui.services.markers import has_html_marker, html_marker, strip_html

_REPO_QUALIFIER = re.compile(r"(?:^|\s)-?repo:\"?([^\s/\"]+/[^\s\"]+)")
_TYPE_QUALIFIER = re.compile(r"(^|\s)(is:(pr|issue|pull-request)|type:(pr|issue))(\s|$)")
_REVIEW_EVENTS = {"approve": "APPROVE", "request_changes": "REQUEST_CHANGES"}
# A merge method -> the repository's field saying it is allowed (full-repository), in order.
_MERGE_FIELDS = {"merge": "merge_commit", "squash": "squash_merge", "rebase": "rebase_merge"}
_REVIEW_STATES = {"approve": "APPROVED", "request_changes": "CHANGES_REQUESTED"}
PER_PAGE = 100
LIST_PAGES = 10  # a list read stops after 1,000 rows (reviews, statuses, check runs, labels)
ENRICH_MAX = MAX_ROWS  # PR rows enriched per fetch: one GraphQL search of up to 100 PRs
GRAPHQL_MIN_PAGE = 10  # the smallest page asked for after GitHub timed out on a bigger one
COMMENT_PAGES = 3  # the preview shows the first 300 comments and says so when there are more
VERIFY_PAGES = 10  # comment pages scanned for a marker before giving up ("can't tell")
FILES_MAX = 3000  # GitHub lists at most 3,000 files of a pull request
FILE_PAGES = FILES_MAX // PER_PAGE


def section_query(section: SectionInfo) -> str:
    """The search query of a section, scoped to its pane when it does not say is:pr/is:issue."""
    query = section.query.strip() or "involves:@me is:open archived:false"
    if _TYPE_QUALIFIER.search(query) or section.pane not in ("prs", "issues"):
        return query
    return with_terms(query, before=("is:pr" if section.pane == "prs" else "is:issue",))


def kinds_to_search(section: SectionInfo, query: str) -> list[str]:
    """The kinds a GitHub App user token must search apart for this section: its pane's, or
    the one its query names, else both (a section of issues and PRs, e.g. in the inbox)."""
    if section.pane == "prs":
        return ["pr"]
    if section.pane == "issues":
        return ["issue"]
    named = kinds_named(query)
    return sorted(named) if len(named) == 1 else ["issue", "pr"]


def is_notifications(section: SectionInfo) -> bool:
    return section.query.strip().split(" ", 1)[0] == "notifications"


class GitHubClient(BaseClient):
    """Sections are GitHub search queries, or `notifications [participating] [all]`."""

    service: Service = "github"

    def __init__(
        self, account: AccountInfo, gateway: GatewayLike, *, clock: Sleeper | None = None
    ) -> None:
        super().__init__(account, gateway, clock=clock)
        self.r = Reader("github", self.account)
        self._me: str | None = account.user
        self._threads: dict[str, str] = {}  # item key -> notification thread id
        self._known: dict[str, dict[str, Any]] = {}  # PR key -> its last GraphQL row fields
        # GitHub refused a search mixing issues and PRs (a GitHub App user token): from then on
        # each kind is searched on its own, without asking the refused way first every poll.
        # It is this token's rule: a new login builds the account's client again (wiring's
        # connect, again=True), which asks the mixed way first.
        self._one_kind_only = False

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
        """Search (or notification) results; a `cursor` (newest updated_at) asks for changes.
        `revalidate`: every read asks the server (ETag, so unchanged parts are free 304s)."""
        read = Read(interactive, revalidate)
        if is_notifications(section):
            return await self._notifications(section, limit, cursor, read)
        query = section_query(section)
        if self._one_kind_only:
            result = await self._by_kind(section, query, limit, cursor, read)
        else:
            try:
                result = await self._search(query, limit, cursor, read)
            except QueryRefused as err:
                if not mixed_kinds_refused(err):
                    raise
                result = await self._by_kind(section, query, limit, cursor, read)
            if mixed_kinds_refused(result.stale_error):  # refused, answered from a last copy
                result = await self._by_kind(section, query, limit, cursor, read)
        if section.pane != "prs":
            return result
        return await self._enrich(section, result, limit, read.interactive)

    async def _search(self, query: str, limit: int, cursor: str | None, read: Read) -> FetchResult:
        """One search query, every page; `cursor` asks only for what changed since it. The
        cursor's term can take a query near GitHub's longest (MAX_QUERY) past it, which GitHub
        refuses: then the query is asked whole and the rows older than the cursor dropped,
        rather than the section's query shown refused although the user's query is fine."""
        if not cursor:
            return await self._query(query, limit, None, read)
        delta = with_terms(query, after=(f"updated:>={cursor}",))
        if len(delta) <= MAX_QUERY:  # GitHub may count otherwise: its refusal says so too
            try:
                result = await self._query(delta, limit, cursor, read)
            except QueryRefused as err:
                if not too_long(err):
                    raise
            else:
                if not too_long(result.stale_error):
                    return result
        return changed_since(await self._query(query, limit, cursor, read), cursor)

    async def _query(self, query: str, limit: int, cursor: str | None, read: Read) -> FetchResult:
        """Every page of one search `q` as given; 422 is the query's refusal."""
        params = {"q": query, "per_page": min(PER_PAGE, max(1, limit)), "sort": "updated"}
        try:
            result = await self._paged(
                "/search/issues", params, limit, read, self._search_page, cursor
            )
        except ApiError as err:  # 422 on the first page: the section's `q` (a repo or user
            if err.status == 422:  # that does not exist or is not visible, a bad qualifier)
                raise query_refused(await self._unsearchable(err, query)) from None
            raise
        refused = result.stale_error  # the same, answered from the last good copy
        if isinstance(refused, ApiError) and refused.status == 422:
            error = query_refused(await self._unsearchable(refused, query))
            result = msgspec.structs.replace(result, stale_error=error)
        return result

    async def _by_kind(
        self, section: SectionInfo, query: str, limit: int, cursor: str | None, read: Read
    ) -> FetchResult:
        """The section searched once per kind (is:issue, is:pull-request), as a GitHub App
        user token must, merged newest first. One kind failing leaves the other's rows,
        marked partial with the reason; a refusal of either is the query's, as always."""
        self._one_kind_only = True
        results: list[FetchResult] = []
        failed: GatewayError | None = None
        for kind in kinds_to_search(section, query):
            typed = with_terms(query, before=(KIND_QUALIFIER[kind],))
            try:
                results.append(await self._search(typed, limit, cursor, read))
            except QueryRefused:
                raise
            except GatewayError as err:
                failed = failed or err
        if not results:
            assert failed is not None
            raise failed
        merged = merge_kinds(results, limit, cursor)
        return merged if failed is None else half_missing(merged, failed)

    async def _enrich(
        self, section: SectionInfo, result: FetchResult, limit: int, interactive: bool
    ) -> FetchResult:
        """Review decision, checks, requests and mergeability for the listed open PRs, from
        one GraphQL search. What the answer lacks keeps its last known value, and the result
        says why (served as partly stale), so a row never silently loses what it showed."""
        prs = [i for i in result.items if isinstance(i, PullRequest) and i.state == "open"]
        if not prs or ENRICH_MAX <= 0:
            return result
        # As many rows as the listing has (same query, same order): fewer rows, fewer points.
        first = min(ENRICH_MAX, limit, len(result.items))
        answer, error = await self._rows(section, first, interactive)
        self._known.update(answer.rows)
        items = [self._with_row(i, answer) for i in result.items]
        missing = [p.key for p in prs if p.key not in answer.rows]
        if error is None and missing and answer.errors:
            error = self._partial(answer, len(missing), len(prs))
        if error is None:
            return msgspec.structs.replace(result, items=items)
        return msgspec.structs.replace(
            result, items=items, cache="stale", stale_error=result.stale_error or error
        )

    def _with_row(self, item: Item, answer: RowAnswer) -> Item:
        if not isinstance(item, PullRequest) or item.state != "open":
            return item
        row = answer.rows.get(item.key) or self._known.get(item.key)
        return msgspec.structs.replace(item, **row) if row else item

    async def _rows(
        self, section: SectionInfo, first: int, interactive: bool
    ) -> tuple[RowAnswer, GatewayError | None]:
        """The section's first `first` PR rows from GraphQL search. GitHub can time out
        (502/504) on many check rollups at once: then ask for half as many a page, and page
        on with the cursor, rather than show no rows."""
        query = section_query(section)
        if self._one_kind_only and "pr" not in kinds_named(query, ("is",)):  # App token
            query = with_terms(query, before=(KIND_QUALIFIER["pr"],))
        query = search_query(query)
        if len(query) > MAX_QUERY:  # GitHub's search takes none longer, GraphQL's as REST's
            return RowAnswer(), self._rows_error(length_refusal(query, sent=False))
        answer, size, after = RowAnswer(), first, None
        while True:
            try:
                page = await self._row_page(
                    query, min(size, first - answer.nodes), after, interactive
                )
            except Unavailable as err:
                if err.status in (502, 504) and size > GRAPHQL_MIN_PAGE:
                    size = max(GRAPHQL_MIN_PAGE, size // 2)
                    continue
                return answer, err
            except GatewayError as err:
                return answer, err
            answer = answer.then(page)
            if page.errors and not page.rows:
                return answer, self._partial(answer, 0, 0)
            if page.next_cursor is None or answer.nodes >= first or not page.nodes:
                return answer, None
            after = page.next_cursor

    async def _row_page(
        self, query: str, first: int, after: str | None, interactive: bool
    ) -> RowAnswer:
        """One POST /graphql through the gateway (breaker, retry, `graphql` budget)."""
        resp = await self.gateway.request(
            "POST",
            graphql_url(self.info.base_url),
            endpoint="/graphql",
            json={
                "query": ROWS_QUERY,
                "variables": {"query": query, "first": first, "after": after},
            },
            scope="graphql",
            priority=priority(interactive),
        )
        return parse_rows(self.r.at("/graphql"), resp.json())

    def _partial(self, answer: RowAnswer, missing: int, total: int) -> GatewayError:
        """GraphQL errors on a 200: what did not come back, and GitHub's first reason."""
        what = f"{missing} of {total} PR rows not refreshed" if total else "PR rows not refreshed"
        return self._rows_error(answer.errors[0], what, status=200)

    def _rows_error(
        self, why: str, what: str = "PR rows not refreshed", *, status: int | None = None
    ) -> ApiError:
        """Why the PR rows' GraphQL search left rows as they were (`status` 200: GitHub said
        so in the answer; None: it was not asked)."""
        return ApiError(
            service="github",
            account=self.account,
            method="POST",
            endpoint="/graphql",
            status=status,
            message=f"GraphQL: {what}: {why}",
        )

    def _search_page(self, body: Any) -> tuple[list[Item], int]:
        r = self.r.at("/search/issues")
        raws = r.arr(r.root(body), "items")
        return parse_each(
            raws, partial(parse_issue_like, r, self.account), self.account, r.endpoint
        )

    async def _notifications(
        self, section: SectionInfo, limit: int, cursor: str | None, read: Read
    ) -> FetchResult:
        words = section.query.split()[1:]
        params: dict[str, Any] = {"per_page": min(50, max(1, limit))}
        params["participating"] = "true" if "participating" in words else "false"
        params["all"] = "true" if "all" in words else "false"
        if cursor:
            params["since"] = cursor
        try:
            result = await self._paged(
                "/notifications", params, limit, read, self._thread_page, cursor
            )
        except ApiError as err:
            raise _classic_only(err) or err from None
        refused = _classic_only(result.stale_error)  # the same, answered from a last copy
        # threads, not the issues and PRs themselves: see FetchResult.summaries
        return msgspec.structs.replace(
            result, stale_error=refused or result.stale_error, summaries=True
        )

    def _thread_page(self, body: Any) -> tuple[list[Item], int]:
        r = self.r.at("/notifications")

        def one(raw: Any) -> Item | None:
            parsed = parse_thread(r, self.account, raw)
            if parsed is None:
                return None
            self._threads[parsed[1].key] = parsed[0]
            return parsed[1]

        return parse_each(r.root_list(body), one, self.account, r.endpoint)

    async def _paged(
        self,
        path: str,
        params: dict[str, Any],
        limit: int,
        read: Read,
        parse: Callable[[Any], tuple[list[Item], int]],
        cursor: str | None = None,
    ) -> FetchResult:
        """Follow Link rel=next as given until `limit` items or the last page; a link off the
        account's base URL, too many pages or a run of empty ones stop it (the reason kept)."""
        items: list[Item] = []
        outcomes: list[CacheOutcome] = []
        first: Response | None = None
        url: str | None = path
        error: GatewayError | None = None
        seen: set[str] = {path}
        size = int(params.get("per_page", PER_PAGE))
        guard = PageGuard(self.service, self.account, path, limit=limit, page_size=size)
        skipped = 0
        gap: GatewayError | None = None  # why part of the query was not read (partial)
        times = PageTimes()
        while url and len(items) < limit:
            try:
                resp = await self._get(url, params if url == path else None, path, read)
            except GatewayError as err:
                if first is None:
                    raise
                gap = err
                break
            first = first or resp
            outcomes.append(resp.cache)
            error = error or resp.stale_error
            body = list_json(resp)
            page, bad = parse(body)
            items.extend(page)
            times.page(resp.fetched_at)
            times.note(page)
            skipped += bad
            gap = gap or self._incomplete(body, path)
            url = resp.links.get("next")
            if url is None or url in seen:  # a server repeating itself: stop rather than loop
                break
            stop = self.off_origin(url, path) or guard.stop_after(len(page) + bad)
            if stop is not None:
                gap = gap or stop
                break
            seen.add(url)
        error = gap or error
        assert first is not None
        unique = _dedupe(items)
        items = unique[:limit]
        return FetchResult(
            items=items,
            fetched_at=times.oldest(),
            fetched=times.of(items),
            cache=merge_cache(outcomes),
            stale_error=error,
            complete=url is None and error is None and len(unique) <= limit,
            partial=gap is not None,
            cursor=max((i.updated_at for i in items), default=None) or cursor,
            poll_interval=_poll_interval(first),
            skipped=skipped,
        )

    async def _unsearchable(self, err: ApiError, query: str) -> ApiError:
        """GitHub's search refuses a `repo:` naming a renamed or transferred repository by
        its old name (422). The repository itself answers at the old name, redirected
        (301): its new name tells the user what to put in the config. `err` as it was when
        nothing is found (another 422, a repository gone, the check failing), or when the
        refusal is of mixing issues and PRs (nothing to look up)."""
        if too_long(err):  # what was sent (zen-tui's own terms in it), and what to do
            return dataclasses.replace(err, message=length_refusal(query, err.message or ""))
        if mixed_kinds_refused(err):
            return err
        for name in dict.fromkeys(_REPO_QUALIFIER.findall(query)):
            try:
                resp = await self.gateway.request(
                    "GET", f"/repos/{name}", endpoint="/repos/{owner}/{repo}"
                )
                now = self.r.text(self.r.root(resp.json()), "full_name")
            except (GatewayError, ValueError):  # gone, or cannot tell: GitHub's own words
                continue
            if now.lower() != name.lower():
                fix = f"change repo:{name} in the section's query (config)"
                return dataclasses.replace(err, message=f"repository {name} is now {now}: {fix}")
        return err

    def _incomplete(self, body: Any, endpoint: str) -> IncompleteResults | None:
        """GitHub's search timed out server-side and sent what it had found: a subset."""
        if not (isinstance(body, dict) and body.get("incomplete_results") is True):
            return None
        return IncompleteResults(
            service=self.service, account=self.account, method="GET", endpoint=endpoint
        )

    async def _get(
        self, url: str, params: dict[str, Any] | None, endpoint: str, read: Read
    ) -> Response:
        try:
            return await self.gateway.request(
                "GET",
                url,
                endpoint=endpoint,
                params=params,
                cache_type=LISTING,
                allow_stale=True,
                **read.options(),
            )
        except ApiGone as err:
            raise gone_message(err, f"GitHub {endpoint}") from None

    async def details(self, item: Item) -> ItemDetail:
        """The preview: PR (then its checks), every review and the comments, read together."""
        try:
            owner, repo, number = split_key(item.key)
        except ValueError as err:
            return ItemDetail(item_id=item.id, error=str(err))
        base = f"/repos/{owner}/{repo}"
        detail: dict[str, Any] = {"item_id": item.id, "body": body_of(item)}
        errors = Notes()
        parts = [self._comments(base, number, detail, errors)]
        if isinstance(item, PullRequest):
            parts += [self._pr_detail(base, number, detail, errors)]
        await asyncio.gather(*parts)
        return ItemDetail(**detail, error="; ".join(errors) or None, missing=errors.missing)

    async def exists(self, item: Item) -> bool | None:
        """The issue or PR itself, uncached (GET .../issues/{n}): 404 (its repository is not
        visible to this account any more, or there is no such issue) or 410 (deleted) is
        False once GET /user answers; anything else (a 403 rate limit, a 5xx, a timeout)
        cannot tell."""
        try:
            owner, repo, number = split_key(item.key)
        except ValueError:  # a notification about a release, a discussion: not asked
            return None
        try:
            await self._fresh(f"/repos/{owner}/{repo}/issues/{number}")
        except GatewayError as err:
            return await self._gone_if_answers("/user") if says_missing(err) else None
        return True

    async def _comments(
        self, base: str, number: int, detail: dict[str, Any], errors: Notes
    ) -> None:
        rows = await self._read_all(f"{base}/issues/{number}/comments", errors, COMMENT_PAGES)
        if rows is not None:
            r = self.r.at("/repos/{owner}/{repo}/issues/{number}/comments")
            detail["comments"] = tuple(
                (writer(r, c), strip_html(r.opt_text(c, "body") or "")) for c in rows
            ) + _cut_note(rows, "comments")

    async def _pr_detail(
        self, base: str, number: int, detail: dict[str, Any], errors: Notes
    ) -> None:
        pr, reviews = await asyncio.gather(
            self._read(f"{base}/pulls/{number}", errors),
            self._read_all(f"{base}/pulls/{number}/reviews", errors),
        )
        r = self.r.at("/repos/{owner}/{repo}/pulls/{number}")
        extra: dict[str, str] = {}
        requested: tuple[str, ...] = ()
        if isinstance(pr, dict):
            detail["body"] = strip_html(r.opt_text(pr, "body") or "")
            mergeable = r.opt_bool(pr, "mergeable")
            extra["mergeable"] = "computing" if mergeable is None else str(mergeable).lower()
            requested = _requested(r, pr, base.split("/")[2])
            extra["requested_reviewers"] = ", ".join(requested)
            sha = r.opt_text(r.opt_obj(pr, "head") or {}, "sha")
            if sha:
                extra["head_sha"] = sha
                await self._checks(base, sha, detail, errors)
        if reviews is not None:
            r = self.r.at("/repos/{owner}/{repo}/pulls/{number}/reviews")
            pairs = tuple((writer(r, v), r.text(v, "state")) for v in reviews)
            detail["reviews"] = pairs + tuple((who, "requested") for who in requested)
            extra["review_decision"] = review_decision(pairs) or (
                "review_required" if requested else ""
            )
        detail["extra"] = extra

    async def diff(self, item: Item, *, revalidate: bool = False) -> PullDiff:
        """A PR's changed files with their patches (GET .../pulls/{n}/files, 100 a page, at
        most GitHub's 3,000), cached like the preview's other reads; a failure is the
        `error`, with the pages read so far kept."""
        if not isinstance(item, PullRequest):
            return PullDiff(item.id, error=f"{item.key} is not a pull request: no diff")
        try:
            owner, repo, number = split_key(item.key)
        except ValueError as err:
            return PullDiff(item.id, error=str(err))
        errors = Notes()
        path = f"/repos/{owner}/{repo}/pulls/{number}/files"
        rows = await self._read_all(path, errors, FILE_PAGES, revalidate=revalidate)
        if rows is None:
            return PullDiff(item.id, error="; ".join(errors))
        r = self.r.at("/repos/{owner}/{repo}/pulls/{number}/files")
        files = tuple(_file_diff(r, raw) for raw in rows)
        total, cut = len(files), None
        if rows.cut or len(files) >= FILES_MAX:
            pr = await self._read(f"/repos/{owner}/{repo}/pulls/{number}", errors)
            total = (r.opt_integer(pr, "changed_files") if isinstance(pr, dict) else None) or total
            cut = f"GitHub lists the first {len(files):,} of {total:,} files"
        return PullDiff(item.id, files, total, cut, "; ".join(errors) or None)

    async def merge_methods(self, key: str) -> MergeMethods:
        """The merge methods the repository of the PR `key` ('owner/repo#12') allows (GET
        /repos/{owner}/{repo}, cached and revalidated with its ETag like the preview's
        reads). GitHub's description has allow_merge_commit, allow_squash_merge and
        allow_rebase_merge as optional and says nothing of when: a repository that leaves
        any out does not say (allowed None)."""
        try:
            owner, repo, _number = split_key(key)
        except ValueError as err:
            return MergeMethods(error=str(err))
        path = f"/repos/{owner}/{repo}"
        try:
            resp = await self.gateway.request(
                "GET",
                path,
                endpoint="/repos/{owner}/{repo}",
                cache_type="issue_details",
                allow_stale=True,
                **PREVIEW.options(),
            )
            r = self.r.at("/repos/{owner}/{repo}")
            body = r.root(resp.json())
            flags = [r.opt_bool(body, f"allow_{field}") for field in _MERGE_FIELDS.values()]
        except GatewayError as err:  # an outage, a refusal, a malformed answer
            return MergeMethods(error=err.summary())
        if None in flags or not any(flags):  # not said (or said impossibly: none allowed)
            return MergeMethods()
        return MergeMethods(tuple(m for m, on in zip(_MERGE_FIELDS, flags, strict=True) if on))

    async def _checks(self, base: str, sha: str, detail: dict[str, Any], errors: Notes) -> None:
        """Commit statuses and check runs (GitHub Actions reports only the latter)."""
        statuses, runs = await asyncio.gather(
            self._read_all(f"{base}/commits/{sha}/status", errors, key="statuses"),
            self._read_all(f"{base}/commits/{sha}/check-runs", errors, key="check_runs"),
        )
        r = self.r.at("/repos/{owner}/{repo}/commits/{ref}/check-runs")
        detail["checks"] = tuple(
            (r.text(s, "context"), r.text(s, "state")) for s in statuses or ()
        ) + tuple((r.text(run, "name"), _run_state(r, run)) for run in runs or ())

    async def _read_all(
        self,
        path: str,
        errors: Notes,
        pages: int | None = None,
        *,
        key: str | None = None,
        revalidate: bool = False,
    ) -> ListRows | None:
        """Every page of a list read for the preview; None if the first page failed, the
        rows read so far (and a note in `errors`) if a later one did."""
        rows = ListRows()
        try:
            await self._pages(
                path,
                rows,
                pages or LIST_PAGES,
                key,
                cache_type="issue_details",
                errors=errors,
                revalidate=revalidate,
            )
        except GatewayError as err:
            errors.failed(err)
            return rows if rows.pages else None
        return rows

    async def _pages(
        self,
        path: str,
        rows: ListRows,
        pages: int,
        key: str | None,
        *,
        cache_type: str | None = None,
        errors: Notes | None = None,
        revalidate: bool = False,
    ) -> ListRows:
        """Follow Link rel=next from `path` (100 a page), at most `pages` pages: the one
        pagination of every GitHub list read (reviews, comments, statuses, check runs,
        labels). `rows.cut` says the bound stopped it with more to read; a page served from
        the stale cache is noted in `errors`, so the preview shows its age."""
        url: str | None = path
        params: dict[str, Any] | None = {"per_page": PER_PAGE}
        seen: set[str] = set()
        while url is not None and url not in seen:
            if rows.pages == pages:
                rows.cut = True
                break
            seen.add(url)
            resp = await self.gateway.request(
                "GET",
                url,
                endpoint=_template(path),
                params=params,
                cache_type=cache_type,
                priority=priority(True),
                allow_stale=cache_type is not None,
                revalidate=revalidate,
            )
            if errors is not None:
                note_stale(resp, errors)
            body = list_json(resp)
            r = self.r.at(_template(path))
            rows.extend(r.arr(r.root(body), key) if key else r.root_list(body))
            rows.pages += 1
            url, params = resp.links.get("next"), None
            off = None if url is None else self.off_origin(url, _template(path))
            if off is not None:
                raise off
        return rows

    def items_for_webhook(self, event: str, payload: dict[str, Any]) -> list[Item]:
        return webhook_items(self.r.at(f"webhook:{event}"), self.account, event, payload)

    # ---- writing ---------------------------------------------------------------------------

    async def apply(self, action: Action, *, idempotency_key: str) -> ActionResult:
        """One triage write. A final 4xx is a failed result; transient errors raise."""
        if action.kind == "create_issue":
            return await self._create_issue(action, idempotency_key)
        try:
            owner, repo, number = split_key(self.key_of(action.item_id))
            return await self._write(action, idempotency_key, f"/repos/{owner}/{repo}", number)
        except ValueError as err:  # a malformed key, a missing parameter, too long: final
            return ActionResult(ok=False, message=str(err), conflict=True)
        except ApiGone as err:
            raise gone_message(err, f"GitHub {err.endpoint}") from None
        except ApiError as err:
            if action.kind == "merge" and err.status == 405:
                if _method_refused(err):  # its settings changed since they were read
                    self.gateway.expire("issue_details", f"/repos/{owner}/{repo}")
                return ActionResult(ok=False, message=_not_mergeable(err), conflict=True)
            if action.kind == "merge" and err.status == 409:
                return ActionResult(ok=False, message="head moved; review again", conflict=True)
            if err.status == 422 and _ONE_PENDING in (err.message or ""):
                return ActionResult(ok=False, message=PENDING_REVIEW, conflict=True)
            return refused(err)

    async def _write(self, action: Action, key: str, base: str, number: int) -> ActionResult:
        p = action.params
        kind = action.kind
        verify = self.verifier(action, key)
        if kind in ("approve", "request_changes") or (kind == "comment" and p.get("review")):
            body = p.get("body", "")
            event = _REVIEW_EVENTS.get(kind, "COMMENT")
            if body or event != "APPROVE":
                body = f"{body}\n\n{html_marker(key)}".strip()
            payload: dict[str, Any] = {"event": event, "body": body}
            await self._send("POST", f"{base}/pulls/{number}/reviews", payload, key, verify)
        elif kind == "comment":
            body = f"{p.get('body', '')}\n\n{html_marker(key)}".strip()
            within(body, BODY_MAX, "comment too long for GitHub", MARKER_ADDED)
            await self._send(
                "POST", f"{base}/issues/{number}/comments", {"body": body}, key, verify
            )
        elif kind == "merge":
            payload = {"merge_method": p.get("merge_method", "merge")}
            if p.get("sha"):
                payload["sha"] = p["sha"]
            await self._send("PUT", f"{base}/pulls/{number}/merge", payload, key, verify)
        elif kind == "add_label":
            payload = {"labels": [param(action, "label")]}
            await self._send("POST", f"{base}/issues/{number}/labels", payload, key, verify)
        elif kind == "remove_label":
            await self._remove_label(base, number, param(action, "label"), key)
        elif kind in ("assign", "unassign"):
            who = p.get("assignee") or await self.me()
            method = "POST" if kind == "assign" else "DELETE"
            path = f"{base}/issues/{number}/assignees"
            resp = await self._send(method, path, {"assignees": [who]}, key)
            if kind == "assign" and not self._assigned(resp, who):
                return ActionResult(
                    ok=False, message=_unassignable(who, base), conflict=True, label="not allowed"
                )
        elif kind in ("close", "reopen"):
            state = "closed" if kind == "close" else "open"
            await self._send("PATCH", f"{base}/issues/{number}", {"state": state}, key)
        elif kind in ("mark_read", "mark_done"):
            thread = self._thread_of(action)
            if not thread:
                return ActionResult(
                    ok=False, message="no notification thread for this item", conflict=True
                )
            await self._mark(kind, thread, key)
        else:
            return ActionResult(ok=False, message=f"GitHub cannot {kind}", conflict=True)
        return ActionResult(ok=True, message=f"{kind} done")

    def _assigned(self, resp: Response, who: str) -> bool:
        """Whether the issue GitHub answered with has `who` among its assignees: it silently
        leaves out a user who cannot be assigned (no access to the repository), or anyone
        when the token's user lacks push access, and still answers 201."""
        r = self.r.at("/repos/{owner}/{repo}/issues/{number}/assignees")
        logins = {r.text(u, "login").lower() for u in r.opt_arr(r.root(resp.json()), "assignees")}
        return who.lower() in logins

    # ---- creating an issue (from a Slack message: the item is the message) -------------------

    async def _create_issue(self, action: Action, key: str) -> ActionResult:
        """POST /repos/{owner}/{repo}/issues, the body carrying the hidden marker verify() looks
        for; what was created is recorded (resolved) for the steps chained after it."""
        try:
            base = _repo_base(param(action, "repo"))
            text = f"{action.params.get('body', '')}\n\n{html_marker(key)}".strip()
            payload = {
                "title": within(param(action, "title"), TITLE_MAX, "title too long for GitHub"),
                "body": within(text, BODY_MAX, "issue body too long for GitHub", MARKER_ADDED),
            }
            resp = await self._send(
                "POST", f"{base}/issues", payload, key, self.verifier(action, key)
            )
        except ValueError as err:  # a missing parameter, a malformed repo, too long: final
            return ActionResult(ok=False, message=str(err), conflict=True)
        except ApiGone as err:
            raise gone_message(err, f"GitHub {err.endpoint}") from None
        except ApiError as err:
            return refused(err)
        body = resp.json()
        if body is None:  # the gateway's verify found it (a lost answer): already recorded
            return ActionResult(ok=True, message="issue already created (verified)")
        created = self._record_created(key, base, body)
        return ActionResult(ok=True, message=f"created {created}")

    def _record_created(self, key: str, base: str, issue: Any) -> str:
        r = self.r.at("/repos/{owner}/{repo}/issues")
        number = r.integer(r.root(issue), "number")
        created = f"{base.removeprefix('/repos/')}#{number}"
        self.resolved(key, {"created_key": created, "created_url": r.text(issue, "html_url")})
        return created

    async def _created_issue(self, action: Action, key: str) -> bool | None:
        """Whether an issue with this key's marker exists: my issues in the repo, newest
        created first, at most VERIFY_PAGES pages (None past that: cannot tell)."""
        base = _repo_base(param(action, "repo"))
        params: dict[str, Any] | None = {
            "state": "all",
            "creator": await self.me(),
            "sort": "created",
            "direction": "desc",
            "per_page": PER_PAGE,
        }
        url: str | None = f"{base}/issues"
        for _ in range(VERIFY_PAGES):
            if url is None:
                return False
            resp = await self.gateway.request(
                "GET", url, endpoint=_template(f"{base}/issues"), params=params
            )
            for issue in self.r.root_list(list_json(resp)):
                if has_html_marker(self.r.opt_text(issue, "body") or "", key):
                    self._record_created(key, base, issue)
                    return True
            url, params = resp.links.get("next"), None
            if url is not None and self.off_origin(url, "/repos/{owner}/{repo}/issues"):
                return None
        return None if url is not None else False

    def _thread_of(self, action: Action) -> str | None:
        """The notification thread an action is about: its own parameter, else the thread
        this item was last listed under."""
        return action.params.get("thread_id") or self._threads.get(self.key_of(action.item_id))

    async def _mark(self, kind: str, thread: str, key: str) -> None:
        """PATCH a thread read (205), or DELETE it: done (204). A done thread GitHub no longer
        knows (404) is what was wanted."""
        path = f"/notifications/threads/{quote(thread, safe='')}"
        if kind == "mark_read":
            await self._send("PATCH", path, None, key)
            return
        try:
            await self._send("DELETE", path, None, key)
        except ApiError as err:
            if err.status != 404:
                raise

    async def _remove_label(self, base: str, number: int, label: str, key: str) -> None:
        """DELETE the label. GitHub's 404 saying `Label does not exist` (not on the issue) is
        what was wanted; its plain 404 `Not Found` is the issue or repository not there or
        no longer visible to the user, which removed nothing: a refusal."""
        try:
            path = f"{base}/issues/{number}/labels/{quote(label, safe='')}"
            await self._send("DELETE", path, None, key)
        except ApiError as err:
            if err.status != 404 or not (err.message or "").startswith(_LABEL_ABSENT):
                raise

    def template(self, path: str) -> str:
        return _template(path)

    async def me(self) -> str:
        """The token's login (GET /user, cached as user_info)."""
        if self._me is None:
            resp = await self.gateway.request(
                "GET", "/user", endpoint="/user", cache_type="user_info"
            )
            r = self.r.at("/user")
            self._me = r.text(r.root(resp.json()), "login")
        return self._me

    async def verify(self, action: Action, *, idempotency_key: str) -> bool | None:
        """Whether the action is already applied on the server; None when we cannot tell."""
        if action.kind == "create_issue":
            try:
                return await checked(self._created_issue(action, idempotency_key))
            except ValueError:  # a malformed action: cannot tell
                return None
        try:
            owner, repo, number = split_key(self.key_of(action.item_id))
        except ValueError:
            return None
        base = f"/repos/{owner}/{repo}"
        try:
            return await checked(self._check(action, idempotency_key, base, number))
        except ValueError:  # a malformed action: cannot tell
            return None

    async def _check(self, action: Action, key: str, base: str, number: int) -> bool | None:
        kind, p = action.kind, action.params
        if kind == "comment" and not p.get("review"):
            return await self._comment_has_marker(f"{base}/issues/{number}/comments", key)
        if kind in ("approve", "request_changes", "comment"):
            me = (await self.me()).lower()
            reviews = await self._fresh_all(f"{base}/pulls/{number}/reviews")
            for review in reviews:
                mine = writer(self.r, review).lower() == me  # `user: null`: a deleted account
                if kind == "comment":
                    if has_html_marker(self.r.opt_text(review, "body") or "", key):
                        return True
                elif mine and self.r.text(review, "state") == _REVIEW_STATES[kind]:
                    return True
            return None if reviews.cut else False  # past the bound: cannot tell
        if kind == "merge":
            return await self._merged(base, number)
        if kind in ("add_label", "remove_label"):
            labels = await self._fresh_all(f"{base}/issues/{number}/labels")
            names = {self.r.text(lab, "name").lower() for lab in labels}  # GitHub ignores case
            present = param(action, "label").lower() in names
            return present if kind == "add_label" else not present
        if kind in ("mark_read", "mark_done"):
            return await self._thread_check(kind, self._thread_of(action))
        if kind not in ("close", "reopen", "assign", "unassign"):
            return None
        issue = self.r.root(await self._fresh(f"{base}/issues/{number}"))
        if kind in ("close", "reopen"):
            return self.r.text(issue, "state") == ("closed" if kind == "close" else "open")
        if kind in ("assign", "unassign"):
            who = (p.get("assignee") or await self.me()).lower()  # logins ignore case
            logins = {self.r.text(u, "login").lower() for u in self.r.opt_arr(issue, "assignees")}
            return (who in logins) if kind == "assign" else (who not in logins)
        return None

    async def _thread_check(self, kind: str, thread: str | None) -> bool | None:
        """Read: the thread says unread false. Done: GitHub answers 404 for it; a thread still
        there cannot tell (marking it done again is harmless)."""
        if not thread:
            return None
        try:
            found = self.r.root(
                await self._fresh(f"/notifications/threads/{quote(thread, safe='')}")
            )
        except ApiError as err:
            if kind == "mark_done" and err.status == 404:
                return True
            raise
        if kind == "mark_done":
            return None
        return self.r.opt_bool(found, "unread") is False

    async def _merged(self, base: str, number: int) -> bool:
        pr = self.r.root(await self._fresh(f"{base}/pulls/{number}"))
        return bool(self.r.opt_bool(pr, "merged") or self.r.opt_text(pr, "merged_at"))

    async def _comment_has_marker(self, path: str, key: str) -> bool | None:
        """Scan the comments newest page first (Link rel=last, then prev) for the marker."""
        resp = await self._comment_page(path, {"per_page": 100})
        if self._page_has_marker(resp, key):
            return True
        step, url = ("prev", resp.links.get("last")) if "last" in resp.links else ("next", None)
        url = url or resp.links.get("next")
        for _ in range(VERIFY_PAGES):
            if url is None:
                return False
            if self.off_origin(url, "/repos/{owner}/{repo}/issues/{number}/comments"):
                return None  # can't tell without following it: the outbox keeps checking
            resp = await self._comment_page(url, None)
            if self._page_has_marker(resp, key):
                return True
            url = resp.links.get(step)
            if step == "prev" and url is None:
                return False
        return None

    async def _comment_page(self, url: str, params: dict[str, Any] | None) -> Response:
        endpoint = "/repos/{owner}/{repo}/issues/{number}/comments"
        return await self.gateway.request("GET", url, endpoint=endpoint, params=params)

    def _page_has_marker(self, resp: Response, key: str) -> bool:
        comments = self.r.root_list(list_json(resp))
        return any(has_html_marker(self.r.opt_text(c, "body") or "", key) for c in comments)

    async def _fresh(self, path: str) -> Any:
        """An uncached read for verify(): the answer must reflect the server right now."""
        resp = await self.gateway.request(
            "GET", path, endpoint=_template(path), **PREVIEW.options()
        )
        return resp.json()

    async def _fresh_all(self, path: str) -> ListRows:
        """Every page of a list, uncached, for verify()."""
        return await self._pages(path, ListRows(), LIST_PAGES, None)


def _file_diff(r: Reader, raw: Any) -> FileDiff:
    """A `diff-entry`; `patch` is absent for binary files and diffs too large to show."""
    return FileDiff(
        filename=r.text(raw, "filename"),
        status=r.text(raw, "status"),
        additions=r.opt_integer(raw, "additions") or 0,
        deletions=r.opt_integer(raw, "deletions") or 0,
        patch=r.opt_text(raw, "patch"),
        previous_filename=r.opt_text(raw, "previous_filename"),
    )


class ListRows(list[Any]):
    """The rows of a paginated list read, with how many pages it took and whether the
    bound cut it short."""

    pages: int = 0
    cut: bool = False


def _cut_note(rows: ListRows, what: str) -> tuple[tuple[str, str], ...]:
    """A last line where a list was cut on purpose, so the preview says it is not all."""
    if not rows.cut:
        return ()
    return (("…", f"first {len(rows)} {what} shown; open it on GitHub for the rest"),)


def _requested(r: Reader, pr: dict[str, Any], org: str) -> tuple[str, ...]:
    """Requested users by login and teams as 'org/slug' (how GitHub mentions a team)."""
    users = tuple(r.text(u, "login") for u in r.opt_arr(pr, "requested_reviewers"))
    return users + tuple(f"{org}/{r.text(t, 'slug')}" for t in r.opt_arr(pr, "requested_teams"))


_RUN_FAILED = {"failure", "timed_out", "cancelled", "action_required", "startup_failure"}


def _run_state(r: Reader, run: dict[str, Any]) -> str:
    """A check run as the preview colours it: pending until completed, then its conclusion."""
    if r.opt_text(run, "status") != "completed":
        return "pending"
    conclusion = r.opt_text(run, "conclusion") or "neutral"
    return "failure" if conclusion in _RUN_FAILED else conclusion


def review_decision(reviews: tuple[tuple[str, str], ...]) -> str | None:
    """GitHub's rule of thumb: each reviewer's latest state counts; any change request wins.
    A PENDING review (started, not submitted: the list holds only the reader's own, GitHub
    shows it to no one else) is no review yet: the decision is everyone's, not the reader's."""
    latest: dict[str, str] = {}
    for author, state in reviews:
        if state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[author] = state
    states = set(latest.values())
    if "CHANGES_REQUESTED" in states:
        return "changes_requested"
    if "APPROVED" in states:
        return "approved"
    return "review_required" if any(state != "PENDING" for _, state in reviews) else None


def _template(path: str) -> str:
    """'/repos/o/r/pulls/12/reviews' -> '/repos/{owner}/{repo}/pulls/{number}/reviews'."""
    path = re.sub(r"^/repos/[^/]+/[^/]+", "/repos/{owner}/{repo}", path)
    path = re.sub(r"/(issues|pulls)/\d+", r"/\1/{number}", path)
    path = re.sub(r"/commits/[0-9a-f]{7,40}", "/commits/{ref}", path)
    path = re.sub(r"/labels/[^/]+$", "/labels/{name}", path)
    return re.sub(r"/threads/[^/]+$", "/threads/{thread_id}", path)


_REPO = re.compile(r"[\w.-]+/[\w.-]+")


def _repo_base(repo: str) -> str:
    """'acme/api' -> '/repos/acme/api'; ValueError (a final refusal) for anything else."""
    if not _REPO.fullmatch(repo):
        raise ValueError(f"repo {repo!r} is not OWNER/NAME, e.g. acme/api")
    return f"/repos/{repo}"


# GitHub's 403 for a token of a type an endpoint does not take (a fine-grained PAT, a GitHub
# App's token): what its notifications endpoints answer to anything but a classic token.
_TOKEN_TYPE_REFUSED = re.compile(r"Resource not accessible by (personal access token|integration)")
_CLASSIC_ONLY = (
    "GitHub's notifications take only a classic token (a personal access token (classic) or "
    "an OAuth app's), not a fine-grained token or a GitHub App login: log in with one that "
    "has the notifications scope, or search here instead, e.g. involves:@me"
)


def _classic_only(err: BaseException | None) -> QueryRefused | None:
    """A notifications read refused for the token's type, as the section's query (it cannot
    work under this login), saying what can; None for any other answer."""
    if not isinstance(err, ApiError) or err.status != 403:
        return None
    if not _TOKEN_TYPE_REFUSED.match(err.message or ""):
        return None
    return query_refused(dataclasses.replace(err, message=_CLASSIC_ONLY))


# GitHub's 404 message for a label the issue does not have (clients log it, e.g.
# googleapis/repo-automation-bots#1084); a repository or issue not there is "Not Found".
_LABEL_ABSENT = "Label does not exist"


# GitHub's 422 for a review while the same person has one started and not submitted on the
# pull request (one pending review per person: see the simulator's ONE_PENDING_REVIEW); only
# they can submit or discard it, and the web's "Start a review" leaves one behind.
_ONE_PENDING = "can only have one pending review per pull request"
PENDING_REVIEW = (
    "you have a review of this pull request started and not submitted (on github.com?), and "
    "GitHub takes no other review of yours there until it is: submit or discard it there, "
    "then retry this one (`r` in the outbox view, or `zen-tui outbox retry`)"
)


def _method_refused(err: ApiError) -> bool:
    """GitHub's 405 for a merge method the repository's settings turn off."""
    return (err.message or "").rstrip(".").endswith("not allowed on this repository")


def _not_mergeable(err: ApiError) -> str:
    """GitHub's 405 says why: a merge method the repository turns off ("Merge commits are not
    allowed on this repository."), a protected branch's rule ("At least 1 approving review is
    required ..."), or conflicts ("Pull Request is not mergeable"). The first is the user's
    to fix with another merge_method, so it says how."""
    why = (err.message or "").rstrip(".")
    if not why or why.lower() == "pull request is not mergeable":
        return "not mergeable"
    if _method_refused(err):
        why += "; merge with another merge_method (merge, squash, rebase)"
    return f"not mergeable: {why}"


def _unassignable(who: str, base: str) -> str:
    repo = base.removeprefix("/repos/")
    return (
        f"GitHub did not assign {who}: only users with access to {repo} can be assigned, "
        "and only by someone with push access"
    )


def _dedupe(items: list[Item]) -> list[Item]:
    seen: dict[str, Item] = {}
    for item in items:
        seen.setdefault(item.id, item)
    return list(seen.values())


def _poll_interval(resp: Response) -> float | None:
    value = resp.headers.get("x-poll-interval") or resp.headers.get("X-Poll-Interval")
    try:
        return float(value) if value else None
    except ValueError:
        return None
