"""The chaos engine in its own process, for the SIGKILL test: polls every section and submits
its share of the action stream, then keeps running until killed.

Usage: python -m tests.chaos.worker SPEC.json; SPEC holds the simulator accounts, the data
dir, the batches (actions as JSON) and the seed and seconds for the stream. Anything that
reaches the loop's exception handler is appended to <data_dir>/loop-errors.txt.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from zen_tui.logs import setup_logging
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

from .plan import from_json
from .runner import chaos_settings, submit_stream


async def main(spec: dict[str, Any]) -> None:
    data_dir = Path(spec["data_dir"])
    setup_logging(data_dir, "INFO")
    errors = data_dir / "loop-errors.txt"

    def record(_loop: Any, context: dict[str, Any]) -> None:
        with errors.open("a") as out:
            out.write(f"{context.get('message')}: {context.get('exception')!r}\n")

    asyncio.get_running_loop().set_exception_handler(record)
    accounts = [SimpleNamespace(**a) for a in spec["accounts"]]
    engine = SyncEngine(build(chaos_settings(accounts, data_dir)))
    await engine.start()
    batches = [[from_json(a) for a in batch] for batch in spec["batches"]]
    await submit_stream(engine, batches, spec["seed"], spec["seconds"])
    await asyncio.Event().wait()  # keep polling and sending until killed


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
