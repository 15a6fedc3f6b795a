"""Outbox chains: "create an issue, then reply in the thread with its link" lands exactly once
per step, whatever moment a process dies at (a real SQLite file, a new Outbox per "process").

The two fake services keep what was written on them, each write carrying the outbox's key as
a marker (as GitHub's HTML comment and Slack's zero-width marker do), and verify() looks for
it, so a lost answer is found instead of being sent again.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.helpers import seeds
from zen_tui.gateway.errors import ApiError, Unavailable
from zen_tui.gateway.events import EventBus
from zen_tui.models import Action, ActionState
from zen_tui.store import Store
from zen_tui.sync.backend import LinkAdded
from zen_tui.sync.outbox import Outbox

from .fakes import Result

S = ActionState
MESSAGE = "slack:C1:1700000000.000100"


class Crash(BaseException):
    """The process dies here: nothing after it runs (finally blocks aside)."""


class Service:
    """One fake service: writes land in `written` as (marker key, text); `crash` decides, per
    call, whether the process dies before the write, after it (the answer lost), or not."""

    def __init__(self, service: str, crash: Callable[[str], str | None]) -> None:
        self.service = service
        self.crash = crash
        self.written: list[tuple[str, str]] = []
        self.keep: Callable[[str, Mapping[str, str]], object] | None = None

    def keep_resolved(self, sink: Callable[[str, Mapping[str, str]], object]) -> None:
        self.keep = sink

    def _created(self, key: str) -> None:
        number = next(n for n, (k, _) in enumerate(self.written, 1) if k == key)
        assert self.keep is not None
        self.keep(key, {"created_key": f"o/r#{number}", "created_url": f"https://gh/o/r/{number}"})

    async def apply(self, action: Action, *, idempotency_key: str) -> Result:
        if action.kind == "reject":
            raise ApiError(service=self.service, account=action.account, status=422)
        if self.crash("before") == "before":
            raise Crash
        text = action.params.get("body", "")
        assert "{{" not in text, f"sent with a placeholder left: {text}"
        self.written.append((idempotency_key, text))
        if action.kind == "create_issue":
            self._created(idempotency_key)  # as GitHubClient does once the POST answered
        if self.crash("after") == "after":
            raise Crash
        return Result(ok=True)

    async def verify(self, action: Action, *, idempotency_key: str) -> bool | None:
        if self.crash("verify") == "verify":
            raise Crash
        found = any(k == idempotency_key for k, _ in self.written)
        if found and action.kind == "create_issue":
            self._created(idempotency_key)  # the answer was lost: verify finds and records it
        return found


def chain(n: int = 0) -> list[tuple[Action, str | None]]:
    create = Action("create_issue", MESSAGE, "gh", {"title": f"t{n}", "body": "from chat"})
    reply = Action("reply", MESSAGE, "slack", {"body": f"{n} filed: {{{{created_url}}}}"})
    return [(create, MESSAGE), (reply, None)]


def run_process(store: Store, gh: Service, slack: Service) -> tuple[Outbox, list[LinkAdded]]:
    bus = EventBus()
    links: list[LinkAdded] = []
    bus.subscribe(lambda e: links.append(e) if isinstance(e, LinkAdded) else None)
    return Outbox(store, {"gh": gh, "slack": slack}, bus), links  # type: ignore[dict-item]


async def until_settled(store: Store, gh: Service, slack: Service, rounds: int = 60) -> int:
    """Restart "processes" until nothing is left to send; returns how many crashed."""
    crashes = 0
    for _ in range(rounds):
        outbox, _ = run_process(store, gh, slack)
        try:
            outbox.recover()
            await outbox.replay()
        except Crash:
            crashes += 1
        finally:
            outbox.close()
        open_ = store.outbox_by_state(S.PENDING, S.SENDING, S.UNKNOWN)
        if not open_:
            return crashes
    raise AssertionError(f"still open after {rounds} restarts: {open_}")


# Seeds 0-19 in every run, 20-59 with `make soak` (each a few restarts over a SQLite file).
@pytest.mark.parametrize("seed", seeds(every_run=range(20), soak=range(20, 60)))
async def test_one_issue_and_one_reply_with_its_link_whatever_the_crash(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)

    def crash(point: str, rng: random.Random = rng) -> str | None:
        return point if rng.random() < 0.3 else None

    gh, slack = Service("github", crash), Service("slack", crash)
    with Store.open(tmp_path / f"zen-{seed}.db") as store:
        chains = [chain(n) for n in range(rng.randint(1, 3))]
        for steps in chains:
            run_process(store, gh, slack)[0].queue_chain(steps)
        await until_settled(store, gh, slack)
        entries = store.outbox_by_state()
        links = store.links_of([MESSAGE])[MESSAGE]
    assert {e.state for e in entries} == {S.DONE}, (seed, entries)
    assert len(gh.written) == len(chains), (seed, "issues", gh.written)
    assert len(slack.written) == len(chains), (seed, "replies", slack.written)
    urls = {f"https://gh/o/r/{n}" for n in range(1, len(chains) + 1)}
    assert {text.split(": ")[1] for _, text in slack.written} == urls, seed
    assert sorted(link.other_id for link in links) == sorted(
        f"gh:o/r#{n}" for n in range(1, len(chains) + 1)
    )


async def test_killed_after_the_issue_was_created_finishes_with_the_reply(tmp_path) -> None:
    """The exact case: the issue exists, the process died before it learned so."""
    script = iter(["after"])
    gh = Service("github", lambda point: next(script, None) if point == "after" else None)
    slack = Service("slack", lambda point: None)
    with Store.open(tmp_path / "zen.db") as store:
        outbox, _ = run_process(store, gh, slack)
        first, second = outbox.queue_chain(chain())
        outbox.close()
        crashes = await until_settled(store, gh, slack)
        reply = store.outbox_get(second.id)
        made = store.outbox_get(first.id)
    assert crashes == 1
    assert len(gh.written) == 1 and len(slack.written) == 1
    assert made is not None and made.reason == "already applied (verified)"
    assert reply is not None and reply.action.params["body"] == "0 filed: https://gh/o/r/1"


async def test_a_failed_first_step_fails_the_rest_unsent(tmp_path) -> None:
    gh, slack = Service("github", lambda p: None), Service("slack", lambda p: None)
    refused = Action("reject", MESSAGE, "gh", {})
    with Store.open(tmp_path / "zen.db") as store:
        outbox, _ = run_process(store, gh, slack)
        first, second = outbox.queue_chain([(refused, MESSAGE), chain()[1]])
        await outbox.replay()
        before, after = store.outbox_get(first.id), store.outbox_get(second.id)
        outbox.close()
    assert before is not None and before.state is S.FAILED
    assert after is not None and after.state is S.FAILED
    assert before.reason and after.reason == f"not sent: reject before it failed: {before.reason}"
    assert slack.written == []


async def test_a_waiting_step_does_not_hold_up_the_accounts_other_entries(tmp_path) -> None:
    down = {"gh": True}

    class Down(Service):
        async def apply(self, action: Action, *, idempotency_key: str) -> Result:
            if down["gh"]:
                raise Unavailable(service="github", account="gh", status=503)
            return await super().apply(action, idempotency_key=idempotency_key)

    gh, slack = Down("github", lambda p: None), Service("slack", lambda p: None)
    react = Action("react", MESSAGE, "slack", {"name": "eyes"})
    with Store.open(tmp_path / "zen.db") as store:
        outbox, links = run_process(store, gh, slack)
        first, second = outbox.queue_chain(chain())
        [other] = outbox.queue([react])
        await outbox.replay()
        states = [store.outbox_get(e.id).state for e in (first, second, other)]  # type: ignore[union-attr]
        down["gh"] = False
        await outbox.replay()
        final = [store.outbox_get(e.id).state for e in (first, second)]  # type: ignore[union-attr]
        outbox.close()
    assert states == [S.PENDING, S.PENDING, S.DONE]  # the reaction went; the reply waits
    assert final == [S.DONE, S.DONE]
    assert [(e.source, e.target) for e in links] == [(MESSAGE, "gh:o/r#1")]


async def test_a_step_before_that_recorded_nothing_fails_the_next_unsent(tmp_path) -> None:
    """A create that says nothing of what it made: the reply would carry a placeholder."""

    class Silent(Service):
        def _created(self, key: str) -> None:
            return None

    gh, slack = Silent("github", lambda p: None), Service("slack", lambda p: None)
    with Store.open(tmp_path / "zen.db") as store:
        outbox, _ = run_process(store, gh, slack)
        first, second = outbox.queue_chain(chain())
        await outbox.replay()
        states = [store.outbox_get(e.id) for e in (first, second)]
        outbox.close()
    assert [e.state for e in states if e is not None] == [S.DONE, S.FAILED]
    assert states[1] is not None and "did not say what it created" in (states[1].reason or "")
    assert slack.written == []


async def test_a_step_sent_directly_while_the_one_before_is_pending_waits_unsent(tmp_path) -> None:
    gh, slack = Service("github", lambda p: None), Service("slack", lambda p: None)
    with Store.open(tmp_path / "zen.db") as store:
        outbox, _ = run_process(store, gh, slack)
        first, second = outbox.queue_chain(chain())
        assert await outbox.send(second) is S.PENDING
        assert store.outbox_get(second.id).state is S.PENDING  # type: ignore[union-attr]
        assert await outbox.send(first) is S.DONE
        assert await outbox.send(store.outbox_get(second.id)) is S.DONE
        outbox.close()
    assert [text for _, text in slack.written] == ["0 filed: https://gh/o/r/1"]


async def test_a_kept_param_that_is_not_what_a_step_created_links_nothing(tmp_path) -> None:
    gh, slack = Service("github", lambda p: None), Service("slack", lambda p: None)
    with Store.open(tmp_path / "zen.db") as store:
        outbox, links = run_process(store, gh, slack)
        first, _ = outbox.queue_chain(chain())
        assert gh.keep is not None
        gh.keep(first.idempotency_key, {"labels": "bug"})  # resolved before the send
        outbox.close()
    assert links == []
