"""Jira bulk transition: resolve names per issue, one POST per transition id, poll the task."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

from zen_tui.gateway.answer import JSON
from zen_tui.gateway.errors import ApiError, GatewayError
from zen_tui.models import Action, ActionResult
from zen_tui.services.base import refused
from zen_tui.services.fields import Reader
from zen_tui.services.jira_parse import not_available, pick_move

if TYPE_CHECKING:
    from zen_tui.services.jira import JiraClient

API = "/rest/api/3"
MAX_PER_CALL = 1000  # issues a bulk lookup or move takes (Atlassian's description of both)
# The lookup's answers that leave the issues' own transitions to tell: missing (404, 405,
# 501), or refused without the global bulk change permission (403).
LOOKUP_REFUSED = (403, 404, 405, 501)
FINAL = {"COMPLETE", "FAILED", "CANCELLED", "DEAD"}
POLL_FIRST, POLL_MAX, POLL_LIMIT = 0.5, 8.0, 600.0  # seconds


class Moves(NamedTuple):
    """Issue key -> its transitions (id, name, target status); `note`, why they were read
    one issue at a time ("" when the bulk lookup answered)."""

    by_key: dict[str, list[tuple[str, str, str]]]
    note: str = ""


def _slow_note(err: ApiError) -> str:
    why = (
        "refused (no global 'Make bulk changes' permission?)"
        if err.status == 403
        else f"not on this site (HTTP {err.status})"
    )
    return f"Jira's bulk transitions lookup {why}: each issue's transitions were read on its own"


class BulkTransitions:
    """One run over a batch of transition actions."""

    def __init__(self, client: JiraClient, actions: list[Action], keys: list[str]) -> None:
        self.client = client
        self.actions = actions
        self.keys = keys
        self.issue_keys = [client.key_of(a.item_id) for a in actions]
        self.r = Reader("jira", client.account)
        # Jira's 403 to the first bulk request: no global "Make bulk changes" permission,
        # nothing submitted; the caller moves the issues one by one instead.
        self.no_bulk_change = False
        # The lookup lists per workflow only the transitions common to all its issues asked:
        # where it says some were left out (isTransitionsFiltered) for several issues, an
        # issue's own may be more. Such issues' keys; and the actions (indexes) whose move is
        # not in their common list, left by run() for the caller to send one by one.
        self.partial: set[str] = set()
        self.filtered: list[tuple[list[str], list[tuple[str, str, str]]]] = []  # their groups
        self.one_by_one: list[int] = []
        self.statuses: dict[str, str] = {}  # issue key -> status as last seen (for_keys)
        self._submitted = False  # a bulk POST was taken

    @classmethod
    def for_keys(
        cls, client: JiraClient, issue_keys: list[str], statuses: Mapping[str, str] | None = None
    ) -> BulkTransitions:
        """For the lookup only (available()): no actions to run; `statuses`, each issue's
        status as last seen (the lookup is asked per status: see available())."""
        found = cls(client, [], [])
        found.issue_keys = list(issue_keys)
        found.statuses = dict(statuses or {})
        return found

    async def available(self) -> Moves:
        """Each issue's transitions now with no screen (as a bulk move sets no field).

        Jira's lookup lists per workflow only the transitions common to all the issues asked
        in it, so issues in different statuses would share only what every status offers:
        it is asked once per status (issues in one status and workflow have the same
        transitions, but for conditions), and a workflow's entry saying some were left out
        is checked on one of its issues (unconditional_moves) before standing for all of
        them; failing that, its issues are asked one by one, as where the lookup is refused.
        """
        found: dict[str, list[tuple[str, str, str]]] = {}
        try:
            for keys in self._by_status():
                await self._available_bulk(keys, found)
        except ApiError as err:
            if err.status not in LOOKUP_REFUSED:
                raise
            return Moves({k: await self._own(k) for k in self.issue_keys}, _slow_note(err))
        for members, common in self.filtered:
            if not await self._stands_for_all(members[0], common):
                for key in members:
                    found[key] = await self._own(key)
        return Moves(found)

    def _by_status(self) -> list[list[str]]:
        groups: dict[str, list[str]] = {}
        for key in self.issue_keys:
            groups.setdefault(self.statuses.get(key, ""), []).append(key)
        return list(groups.values())

    async def _stands_for_all(self, key: str, common: list[tuple[str, str, str]]) -> bool:
        """Whether a filtered entry's common list is each of its issues' own: one of them has
        exactly that (none with no screen left out) and no transition with a condition.
        An empty list is never taken: an issue moved since its status was seen may be in it."""
        if not common:
            return False
        own = await self.client.unconditional_moves(key)
        return own is not None and {m[0] for m in own} == {m[0] for m in common}

    async def _own(self, key: str) -> list[tuple[str, str, str]]:
        """One issue's own transitions with no screen (one read)."""
        return await self.client.plain_moves(key)

    async def run(self, progress: Callable[[int, int], None]) -> list[ActionResult]:
        """Each action's result, but for those left in one_by_one (for the caller to send one
        by one); none to rely on when no_bulk_change is set after it."""
        results: list[ActionResult | None] = [None] * len(self.actions)
        try:
            available = await self._available()
        except GatewayError as err:
            return [ActionResult(ok=False, message=str(err))] * len(self.actions)
        groups: dict[str, list[int]] = {}
        for i, action in enumerate(self.actions):
            moves = available.get(self.issue_keys[i], [])
            found = pick_move(action.params, moves)
            if found is None and self.issue_keys[i] in self.partial:
                self.one_by_one.append(i)  # maybe open to this issue alone: no bulk move
            elif found is None:
                results[i] = not_available(action.params, moves)
            else:
                self.client.remember_target(self.keys[i], found)
                groups.setdefault(found[0], []).append(i)
        done = sum(r is not None for r in results)
        progress(done, len(self.actions))
        for transition_id, members in groups.items():
            for start in range(0, len(members), MAX_PER_CALL):
                chunk = members[start : start + MAX_PER_CALL]
                outcome = await self._submit(transition_id, chunk, done, progress)
                if self.no_bulk_change:
                    return []
                for i in chunk:
                    results[i] = outcome
                    self.client.wrote(self.issue_keys[i])  # reconciled in the next searches
                done += len(chunk)
                progress(done, len(self.actions))
        return [r or ActionResult(ok=False) for r in results]

    async def _available(self) -> dict[str, list[tuple[str, str, str]]]:
        found: dict[str, list[tuple[str, str, str]]] = {}
        try:
            await self._available_bulk(self.issue_keys, found)
        except ApiError as err:
            if err.status not in LOOKUP_REFUSED:
                raise
            return await self._available_per_project()
        return found

    async def _available_per_project(self) -> dict[str, list[tuple[str, str, str]]]:
        """Without the bulk lookup: one issue per project stands for its project.

        Jira itself rejects an id that does not fit an issue; such issues come back as
        not processed and are verified one by one.
        """
        found: dict[str, list[tuple[str, str, str]]] = {}
        sample: dict[str, list[tuple[str, str, str]]] = {}
        for key in self.issue_keys:
            project = key.rsplit("-", 1)[0]
            if project not in sample:
                sample[project] = await self.client.transitions(key)
            found[key] = sample[project]
        return found

    async def _available_bulk(
        self, keys: list[str], found: dict[str, list[tuple[str, str, str]]]
    ) -> None:
        """Add the issues' transitions to `found`, from GET /bulk/issues/transition (at most
        1,000 issues a call, Jira's documented limit; each call's answer paged by cursor)."""
        wanted = sorted(set(keys))
        for start in range(0, len(wanted), MAX_PER_CALL):
            await self._lookup(wanted[start : start + MAX_PER_CALL], found)

    async def _lookup(self, chunk: list[str], found: dict[str, list[tuple[str, str, str]]]) -> None:
        """Every page of one call: Jira delivers 50 workflows a page; an answer's
        `startingAfter` is sent back for the next page and the last page has none (the spec's
        BulkTransitionGetAvailableTransitions). A workflow's issues are listed once, so each
        page before the last must list an issue asked for and not listed yet: one that does
        not means the cursor would never end, and the lookup fails saying so (at most one page
        per issue asked), rather than go round or move issues on half the listing."""
        asked = ",".join(chunk)
        endpoint = f"{API}/bulk/issues/transition"
        r = self.r.at(endpoint)
        params: dict[str, Any] = {"issueIdsOrKeys": asked}
        wanted, listed = set(chunk), set[str]()
        for pages in itertools.count(1):
            body = r.root(await self._get(endpoint, params))
            fresh = (self._collect(body, found) & wanted) - listed
            after = r.opt_scalar(body, "startingAfter")
            if not after:
                return
            if not fresh:
                raise r.fail(
                    f"the transitions listing's page cursor never ends: page {pages} lists "
                    "no issue not listed before, yet names a next page"
                )
            listed |= fresh
            params = {"issueIdsOrKeys": asked, "startingAfter": after}

    def _collect(
        self, body: dict[str, Any], found: dict[str, list[tuple[str, str, str]]]
    ) -> set[str]:
        """Add a page's groups (one per workflow) to `found`, and to `partial` the issues of a
        group of several whose list says it is filtered; the issue keys the page lists."""
        r = self.r.at(f"{API}/bulk/issues/transition")
        keys: set[str] = set()
        for group in r.arr(body, "availableTransitions"):
            members = [str(key) for key in r.opt_arr(group, "issues")]
            # without the flag, as good as filtered: moving one by one is never wrong
            filtered = r.opt_bool(group, "isTransitionsFiltered") is not False
            moves = [
                (
                    str(r.opt_scalar(t, "transitionId")),
                    r.text(t, "transitionName"),
                    r.opt_text(r.opt_obj(t, "to") or {}, "statusName") or "",
                )
                for t in r.opt_arr(group, "transitions")
            ]
            if len(set(members)) > 1 and filtered:
                self.partial.update(members)
                self.filtered.append((members, moves))
            for key in members:
                found[key] = moves
                keys.add(key)
        return keys

    async def _submit(
        self, transition_id: str, chunk: list[int], done: int, progress: Callable[[int, int], None]
    ) -> ActionResult:
        issues = [self.issue_keys[i] for i in chunk]
        body: JSON = {
            "bulkTransitionInputs": [
                {"selectedIssueIdsOrKeys": issues, "transitionId": transition_id}
            ],
            "sendBulkNotification": False,
        }
        ikey = hashlib.sha256("|".join(self.keys[i] for i in chunk).encode()).hexdigest()[:32]
        try:
            resp = await self.client.gateway.request(
                "POST",
                f"{API}/bulk/issues/transition",
                endpoint=f"{API}/bulk/issues/transition",
                json=body,
                idempotency_key=f"bulk:{ikey}",
            )
            self._submitted = True
            r = self.r.at(f"{API}/bulk/issues/transition")
            task = r.opt_scalar(r.root(resp.json()), "taskId")
            if not task:
                raise r.fail("no taskId in the bulk transition answer")
            return await self._wait(task, len(chunk), done, progress)
        except ApiError as err:
            self.no_bulk_change = err.status == 403 and not self._submitted
            return refused(err)
        except GatewayError as err:
            return ActionResult(ok=False, message=str(err))

    async def _wait(
        self, task: str, size: int, done: int, progress: Callable[[int, int], None]
    ) -> ActionResult:
        """Poll /bulk/queue/{taskId} with backoff until the task ends."""
        wait, waited = POLL_FIRST, 0.0
        r = self.r.at(f"{API}/bulk/queue/{{taskId}}")
        while True:
            # The id comes from the server: one path segment, never "../" or another host.
            body = r.root(await self._get(f"{API}/bulk/queue/{quote(task, safe='')}", None))
            status = r.text(body, "status")
            progress(done + _processed(r, body, size), len(self.actions))
            if status in FINAL:
                return _outcome(r, body, status, task, size)
            if waited >= POLL_LIMIT:
                return ActionResult(ok=False, message=f"bulk task {task} still {status}")
            await self.client.clock.sleep(wait)
            waited += wait
            wait = min(POLL_MAX, wait * 2)

    async def _get(self, path: str, params: dict[str, Any] | None) -> Any:
        endpoint = f"{API}/bulk/queue/{{taskId}}" if "/queue/" in path else path
        resp = await self.client.gateway.request("GET", path, endpoint=endpoint, params=params)
        return resp.json()


def _processed(r: Reader, body: dict[str, Any], size: int) -> int:
    processed = body.get("processedAccessibleIssues")
    if isinstance(processed, list):
        return min(size, len(processed))
    if isinstance(processed, int) and not isinstance(processed, bool):
        return min(size, processed)
    percent = r.opt_integer(body, "progressPercent") or 0
    return size * percent // 100


def _outcome(r: Reader, body: dict[str, Any], status: str, task: str, size: int) -> ActionResult:
    if status != "COMPLETE":
        return ActionResult(ok=False, message=f"bulk task {task} {status.lower()}", conflict=True)
    skipped = r.opt_integer(body, "invalidOrInaccessibleIssueCount") or 0
    if skipped or _processed(r, body, size) < size:
        # Jira names the misses by numeric id, not key: leave them to per-item verification.
        return ActionResult(ok=False, message=f"bulk task {task}: some issues not transitioned")
    return ActionResult(ok=True, message=f"bulk task {task} complete")
