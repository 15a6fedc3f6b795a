"""Run the outbox replay in its own process (the SIGKILL test kills it mid-replay).

Usage: python -m tests.integration.replay_worker SPEC.json, where SPEC holds the simulator
accounts and the data dir. Exits 0 when the replay finished. With "mode": "sync_once" it runs
what `zen-tui sync --once` runs instead, after printing "ready" and reading one line from
stdin (so that several workers start together). With "mode": "act" it runs what `zen-tui act`
runs, with the spec's "kind", "item" and "params" ([[key, value], ...]).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from zen_tui.commands import sync
from zen_tui.demo import demo_settings
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build


async def main(spec: dict[str, Any]) -> int:
    accounts = [SimpleNamespace(**a) for a in spec["accounts"]]
    engine = SyncEngine(build(demo_settings(accounts, Path(spec["data_dir"]))))
    engine.outbox.recover()
    await engine.outbox.replay()
    await engine.stop()
    return 0


def sync_once(spec: dict[str, Any]) -> int:
    """`zen-tui sync --once` (its exit code: 0 live, 3 degraded), once stdin says go."""
    accounts = [SimpleNamespace(**a) for a in spec["accounts"]]
    settings = demo_settings(accounts, Path(spec["data_dir"]))
    print("ready", flush=True)
    sys.stdin.readline()
    return sync.run(argparse.Namespace(once=True), settings)


def act(spec: dict[str, Any]) -> int:
    """`zen-tui act KIND ITEM KEY=VALUE...` (its exit code: 0 applied, 3 left pending)."""
    from zen_tui.commands import act as act_command

    accounts = [SimpleNamespace(**a) for a in spec["accounts"]]
    settings = demo_settings(accounts, Path(spec["data_dir"]))
    args = argparse.Namespace(kind=spec["kind"], item=spec["item"], params=spec["params"])
    return act_command.run(args, settings)


if __name__ == "__main__":
    SPEC = json.loads(Path(sys.argv[1]).read_text())
    MODES = {"sync_once": sync_once, "act": act}
    mode = MODES.get(SPEC.get("mode", ""))
    sys.exit(mode(SPEC) if mode else asyncio.run(main(SPEC)))
