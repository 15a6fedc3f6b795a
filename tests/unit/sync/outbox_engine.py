"""A running engine's outbox over a real SQLite file, with fake clients and no polls, and
what the store says of it: for the tests of the gateway cards' outbox figures (the store's
counts, whoever changed them) in tests/unit/sync and tests/ui."""

from __future__ import annotations

from pathlib import Path

from msgspec.structs import replace

from tests.fakes.settings import engine_settings
from zen_tui.config import AccountConfig
from zen_tui.events import EventBus
from zen_tui.gateway.clock import Clock
from zen_tui.models import Action, ActionState, SectionInfo
from zen_tui.store import Store
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.wired import Wired

from .fakes import FakeClient
from .test_engine import FakeGateway

# Two GitHub accounts (one card: their figures add up) and a Jira one (a card of its own).
ACCOUNTS = {"gh": "github", "gh2": "github", "work": "jira"}
SECTION = SectionInfo(id="prs:0:gh", pane="prs", title="Mine", account="gh", service="github")
# What `zen-tui outbox` lists as not sent yet, and as failed (the test's oracle).
NOT_SENT = (ActionState.PENDING, ActionState.UNKNOWN, ActionState.SENDING)


def action(account: str, n: int) -> Action:
    return Action(kind="add_label", item_id=f"{account}:o/r#{n}", account=account, params={})


def outbox_engine(path: Path, clock: Clock) -> SyncEngine:
    """The engine as the dashboard runs it, its accounts' clients fakes (FakeClient.script
    says how each send ends), its polls paused: only the outbox works."""
    settings = replace(
        engine_settings(),
        accounts=[
            AccountConfig(name=name, service=service, base_url="http://127.0.0.1:9")
            for name, service in ACCOUNTS.items()
        ],
    )
    clients = {
        name: FakeClient(service=service, account=name) for name, service in ACCOUNTS.items()
    }
    gateways = {name: FakeGateway(service) for name, service in ACCOUNTS.items()}
    store = Store.open(path, clock=clock.time)
    wired = Wired(settings, store, EventBus(), clock, gateways, clients, [SECTION])  # type: ignore[arg-type]
    engine = SyncEngine(wired)
    engine.set_paused(True)
    return engine


def store_figures(store: Store, service: str) -> tuple[int, int]:
    """(not sent yet, failed) of the service's accounts, as the store holds them now."""
    mine = [account_figures(store, name) for name, s in ACCOUNTS.items() if s == service]
    return sum(p for p, _ in mine), sum(f for _, f in mine)


def account_figures(store: Store, account: str) -> tuple[int, int]:
    """(not sent yet, failed) of one account, as the store holds them now."""
    waiting = store.outbox_by_state(*NOT_SENT)
    failed = store.outbox_by_state(ActionState.FAILED)
    return (
        sum(1 for e in waiting if e.action.account == account),
        sum(1 for e in failed if e.action.account == account),
    )


def card_figures(card_text: str) -> tuple[int, int]:
    """(pending, failed) as a gateway card shows them: `out 4 ✗2`, `out 0`."""
    out = card_text[card_text.rindex("out ") + 4 :].split()
    return int(out[0]), int(out[1].lstrip("✗")) if len(out) > 1 else 0
