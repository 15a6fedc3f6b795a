"""`zen-tui act KIND ITEM_ID [KEY=VALUE ...]`: queue a triage action in the outbox and try to
send it now (with anything queued before it, in order).

Exit status: 0 applied, 3 pending (offline, breaker open, rate limited, or outcome unknown:
the next `zen-tui sync` or the dashboard sends/verifies it), 1 failed (reason printed),
2 bad input (unknown account, malformed item id, a kind the service does not take, a
missing, unknown or invalid parameter; checked before anything is queued).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from zen_tui.actions import InvalidAction, validate
from zen_tui.config import AccountConfig, Settings
from zen_tui.models import Action, ActionState
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.wiring import build

PENDING = 3


def run(args: argparse.Namespace, settings: Settings) -> int:
    account = _account_of(args.item, settings)
    if account is None:
        print(f"zen-tui: cannot tell the account of {args.item!r}; item ids look like "
              "ACCOUNT:KEY (see `zen-tui list ... --json`)", file=sys.stderr)  # fmt: skip
        return 2
    action = Action(kind=args.kind, item_id=args.item, account=account.name,
                    params=dict(args.params))  # fmt: skip
    try:
        validate(action, account.service)  # before queueing: a bad action never enters the outbox
    except InvalidAction as exc:
        print(f"zen-tui: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_act(settings, action))


async def _act(settings: Settings, action: Action) -> int:
    engine = SyncEngine(build(settings))
    try:
        [entry_id] = await engine.submit([action])
        entry = engine.store.outbox_get(entry_id)
    finally:
        await engine.stop()
    assert entry is not None
    reason = f": {entry.reason}" if entry.reason else ""
    if entry.state is ActionState.DONE:
        print(f"applied {action.kind} on {action.item_id}{reason}")
        return 0
    if entry.state is ActionState.FAILED:
        print(f"failed {action.kind} on {action.item_id}{reason}", file=sys.stderr)
        return 1
    print(f"pending {action.kind} on {action.item_id}{reason} (kept in the outbox)")
    return PENDING


def _account_of(item_id: str, settings: Settings) -> AccountConfig | None:
    name, sep, _ = item_id.partition(":")
    return next((a for a in settings.accounts if sep and a.name == name), None)
