"""The `zen-tui` console script (and `python -m zen_tui`): one process, one command.

What only a whole process may choose lives here, not in `zen_tui.cli.main`, which tests and
scripts also call in-process: how the cyclic garbage collector runs.

A command builds what it needs once and keeps it to the end: modules, classes, the parser, the
config, the store. CPython's collector meanwhile walks all of it whenever allocations pile up,
several times during start-up, and once more at exit, before the interpreter tears the modules
down. It finds nothing to free either time, and for a command that reads the store and answers
(`list`, `health`, `outbox`: about 40 ms) that walking is about a fifth of its time. So:

- the console script starts with the collector off;
- a command that runs long or makes reference cycles as it goes (`sync`, `webhooks`, `act`,
  anything with asyncio or httpx, any `--demo`) turns it back on as it starts
  (`resume_collection`, called by the CLI), freezing what start-up built first; the
  dashboard once its first frame is out (commands/dashboard.py), so that nothing walks what
  its start builds (Textual, the UI, the engine, the first screen) before the user sees it;
- at exit, everything still alive is frozen before the interpreter's last collection, which
  then has nothing to walk. Module teardown still frees it all and `atexit` handlers (the log's
  flush) still run: only the walk is skipped.

gc.freeze moves every object the collector tracks to a generation it never collects: right for
what start-up built (it lives until exit anyway); a cycle made before the freeze is never freed,
which for the few the parser leaves is bounded by the command line.
"""

from __future__ import annotations

import gc
import sys

from zen_tui.collector import resume_collection as resume_collection  # the CLI's, the tests'

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from typing import NoReturn


def run() -> NoReturn:
    gc.disable()
    from zen_tui.cli import main  # after: its imports are most of start-up's allocations

    status = main()
    gc.freeze()  # the interpreter's last collection: nothing left to walk
    sys.exit(status)
