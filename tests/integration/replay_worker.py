"""Run the outbox replay in its own process (the SIGKILL test kills it mid-replay).

Usage: python -m tests.integration.replay_worker SPEC.json, where SPEC holds the simulator
accounts and the data dir. Exits 0 when the replay finished.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from zen_tui.config import demo_settings
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.wiring import build


async def main(spec: dict[str, Any]) -> int:
    accounts = [SimpleNamespace(**a) for a in spec["accounts"]]
    engine = SyncEngine(build(demo_settings(accounts, Path(spec["data_dir"]))))
    engine.outbox.recover()
    await engine.outbox.replay()
    await engine.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(json.loads(Path(sys.argv[1]).read_text()))))
