"""A webhook receiver in its own process with the usual 1,024 open-file limit, logging to
<data dir>/logs like the app does: the flood test attacks it over real sockets.

Usage: python -m tests.integration.webhook_worker DATA_DIR SECRET. Prints the port once it
listens; stops when stdin closes.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from pathlib import Path

from zen_tui.config import WebhookConfig
from zen_tui.logs import route_to_log_file, setup_logging, shutdown_logging
from zen_tui.store import Store
from zen_tui.sync.webhooks import WebhookReceiver, WebhookServer

OPEN_FILES = 1024


async def main(data_dir: Path, secret: str) -> int:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(OPEN_FILES, hard), hard))
    setup_logging(data_dir, "INFO")
    route_to_log_file("uvicorn", "uvicorn.error")
    store = Store.open(data_dir / "zen-tui.db")
    receiver = WebhookReceiver(
        WebhookConfig(enabled=True, port=0), store, secrets={"github": secret}, clock=time.time
    )
    server = WebhookServer(receiver)
    if not await server.start():
        return 1
    print(server.port, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.stop()
    store.close()
    shutdown_logging()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(Path(sys.argv[1]), sys.argv[2])))
