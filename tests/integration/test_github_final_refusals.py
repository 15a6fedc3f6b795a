"""GitHub refusals no resend can fix, through the real engine, outbox and store on the whole
simulator (virtual time): each ends what it touches once, saying what is wrong and what to do.

- The REST API version zen-tui pins closed down (410 Gone, GitHub's "API Versions"): every
  section and every queued action says so, nothing is retried, no breaker opens.
"""

from __future__ import annotations

from pathlib import Path

from zen_tui.models import Action, ActionState
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
