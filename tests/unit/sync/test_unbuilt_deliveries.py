"""Deliveries for an account whose client is not built yet, in any order with its build and
the polls (seeded random interleavings): the built account's copy is applied at once, and the
unbuilt one's first poll after its build lists in full, asking the server; never a delta."""

from __future__ import annotations

import json
import random

import pytest

from tests.fakes.settings import engine_settings
from zen_tui.config import WebhookConfig
from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.events import EventBus
from zen_tui.models import SectionInfo
from zen_tui.store import Store
from zen_tui.sync.engine import CURSOR_SCOPE, FULL_SCOPE, SyncEngine
from zen_tui.sync.wired import Wired

from .test_engine import SECTION, FakeGateway, Result, issue, poll
from .test_webhook_processor import POLLING, HookClient

LATE = SectionInfo(id="issues:1:k", pane="issues", title="Theirs", account="k", service="jira")


class QuietClient(HookClient):
    """Account k's client: its deliveries name nothing it shows (nothing to refresh)."""

    def items_for_webhook(self, event, payload):  # type: ignore[no-untyped-def]
        return []


def engine(store: Store) -> tuple[SyncEngine, HookClient]:
    settings = engine_settings(POLLING, WebhookConfig(enabled=True))
    built = HookClient()
    wired = Wired(
        settings,
        store,
        EventBus(),
        FakeClock(),
        {"j": FakeGateway()},  # type: ignore[dict-item]
        {"j": built},  # type: ignore[dict-item]
        [SECTION, LATE],
        {SECTION.id: 100, LATE.id: 100},
    )
    return SyncEngine(wired), built


def deliver(store: Store, eng: SyncEngine, n: int) -> None:
    body = json.dumps({"issue": {"n": 1, "title": f"title {n}", "key": "P-1"}}).encode()
    assert store.webhook_enqueue("jira", f"d{n}", "jira:issue_updated", body, 0.0)
    assert eng.webhooks is not None and eng.webhooks.processor.drain() == 1


@pytest.mark.parametrize("seed", range(60))
async def test_a_delivery_before_an_accounts_build_is_never_lost(seed: int) -> None:
    rng = random.Random(seed)
    store = Store.open(":memory:")
    eng, built = engine(store)
    built.answers = [Result([issue(1)], 10.0, cursor="cj")]
    await poll(eng)  # j's section shows P-1
    store.set_cursor(CURSOR_SCOPE, LATE.id, "ck")  # k synced in an earlier run
    store.set_cursor(FULL_SCOPE, LATE.id, repr(eng.wired.clock.time()))  # listed in full then
    late = QuietClient()
    steps = [rng.choice(["deliver", "poll j", "poll k"]) for _ in range(rng.randint(2, 14))]
    steps.insert(rng.randint(0, len(steps)), "build k")
    owed = is_built = polled_since_build = False
    sent = 0
    for step in steps:
        if step == "deliver":
            sent += 1
            deliver(store, eng, sent)
            owed |= not is_built
            if not is_built:  # a restart now would still list k in full
                assert store.get_cursor(CURSOR_SCOPE, LATE.id) is None
        elif step == "build k":
            eng.wired.clients["k"] = late  # type: ignore[assignment]
            eng.wired.gateways["k"] = FakeGateway()  # type: ignore[assignment]
            is_built = True
        elif step == "poll j":
            built.answers = [Result([issue(1)], 20.0, cursor="cj")]  # older than any delivery
            await eng.pollers[SECTION.id].poll_now(interactive=False)
        elif is_built:  # poll k
            late.answers = [Result([], 30.0, cursor="ck2")]
            await eng.pollers[LATE.id].poll_now(interactive=False)
            first = not polled_since_build
            polled_since_build = True
            expected = (None, True) if first and owed else ("ck" if first else "ck2", False)
            assert (late.cursors[-1], late.revalidated[-1]) == expected, steps
        if sent:  # j's copy was applied at once, and no poll took it back
            shown = eng.snapshot(SECTION.id)
            assert shown is not None and shown.items[0].title == f"title {sent}", steps
    await eng.stop()
