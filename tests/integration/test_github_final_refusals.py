"""GitHub refusals no resend can fix, through the real engine, outbox and store on the whole
simulator (virtual time): each ends what it touches once, saying what is wrong and what to do.

- The REST API version zen-tui pins closed down (410 Gone, GitHub's "API Versions"): every
  section and every queued action says so, nothing is retried, no breaker opens.
- A review while the user has one started and not submitted on that pull request (one
  pending review per person, 422): the action fails saying what to do; once the user has
  done it, retrying the entry lands the review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zen_tui.models import Action, ActionState
from zen_tui.services.github import PENDING_REVIEW
from zen_tui.sync.engine import SyncEngine

from .gone_world import VirtualWorld
from .test_gone_after_send import entry_of
from .test_gone_items import shown

PINNED = "2022-11-28"
CLOSED = (
    f"GitHub no longer supports REST API version {PINNED} (410 Gone), the one this zen-tui is "
    "built for: update zen-tui"
)


def answered(vw: VirtualWorld, status: int, path_end: str = "") -> int:
    """How many GitHub answers of `status` the simulator gave (to paths ending `path_end`)."""
    return sum(
        n
        for (service, path, code), n in vw.world.counters.requests.items()
        if service == "github" and code == status and path.endswith(path_end)
    )


def github_reasons(engine: SyncEngine) -> list[str]:
    out = []
    for section in engine.sections:
        snapshot = engine.snapshot(section.id)
        if section.service == "github" and snapshot is not None:
            out.append(snapshot.freshness.reason or "")
    return out


async def test_a_closed_down_api_version_says_update_and_is_never_retried(
    tmp_path: Path,
) -> None:
    """Before: each section read `GitHub /search/issues (...) was removed by the provider`,
    and an action failed `gone: ... removed by the provider`, as if one endpoint had gone."""
    vw = VirtualWorld(tmp_path)
    async with vw.polling() as engine:
        item = next(i for i in shown(engine, "github") if i.key.count("#") == 1)
        vw.set("github", closed_versions=PINNED)
        await engine.refresh()
        took = await vw.run_until(lambda: all(CLOSED in r for r in github_reasons(engine)), 900)
        assert took != float("inf"), github_reasons(engine)

        action = Action("comment", item.id, "github", {"body": "closed-down version"})
        await engine.submit([action])
        await vw.run_until(lambda: entry_of(engine, action).state is ActionState.FAILED, 600)
        entry = entry_of(engine, action)
        assert entry.state is ActionState.FAILED
        assert entry.reason is not None and CLOSED in entry.reason
        assert answered(vw, 410, "/comments") == 1  # sent once: a final answer
        assert answered(vw, 201) == 0

        gateway = engine.wired.gateways["github"]
        assert gateway.breaker_state() == "closed"
        warnings = [w for w in gateway.health().deprecations if CLOSED in w]
        assert len(warnings) == 1, gateway.health().deprecations


async def test_a_review_under_a_leftover_pending_one_fails_saying_what_to_do(
    tmp_path: Path,
) -> None:
    """Before, the simulator took the approval (GitHub refuses it) and the entry ended done."""
    vw = VirtualWorld(tmp_path)
    async with vw.polling() as engine:
        item = next(i for i in shown(engine, "github") if i.key in pull_requests(vw))
        pr = pull_requests(vw)[item.key]
        draft = vw.github.state.add_review(pr, "me", "half-written", "PENDING")  # the web's

        action = Action("approve", item.id, "github")
        await engine.submit([action])
        await vw.run_until(lambda: entry_of(engine, action).state is ActionState.FAILED, 600)
        entry = entry_of(engine, action)
        assert (entry.state, entry.reason) == (ActionState.FAILED, f"conflict: {PENDING_REVIEW}")
        assert answered(vw, 422, "/reviews") == 1  # sent once: a final answer
        assert [r.state for r in pr.reviews if r.user == "me"] == ["PENDING"]

        pr.reviews.remove(draft)  # the user discards it on github.com
        await engine.outbox_retry(entry.id)
        await vw.run_until(lambda: entry_of(engine, action).state is ActionState.DONE, 600)
        assert entry_of(engine, action).state is ActionState.DONE
        assert [r.state for r in pr.reviews if r.user == "me"] == ["APPROVED"]


def pull_requests(vw: VirtualWorld) -> dict[str, Any]:
    """The simulator's open pull requests not the user's own, by key."""
    items = vw.github.state.items
    return {f"{i.repo.full_name}#{i.number}": i for i in items if i.is_pr and i.user != "me"}
