"""No dataclass is defined on the start-up paths, except the ones listed here.

Why: `@dataclass` compiles its `__init__`, `__repr__`, `__eq__` (and, frozen, `__hash__`,
`__setattr__`, `__delattr__`) from source text every time the defining module is imported,
bytecode cache or not: about 1 ms per class on Python 3.11, paid by every process start. A
`msgspec.Struct` is built in C in ~0.02 ms. So the records on the paths a user waits on (the
headless commands `list`, `health`, `outbox`, `act` until they exit; the dashboard until its
first paint) are Structs, and this test catches a new dataclass there. Exceptions are exempt
(a Struct cannot subclass Exception); anything else a Struct cannot express goes in ALLOWED
with the reason.

The probe runs in a fresh interpreter (a module another test imported would hide one): it
runs the headless commands through the real `main` against an empty config and data folder,
then imports what `zen-tui` imports before its first paint and builds the engine as
`commands/dashboard.py` does (demo accounts on a loopback port where nothing listens, so no
keyring and no network). Every class is found by walking `object`'s subclasses, so classes
a module defines inside a function count too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the tree under test: `-c` puts the cwd first

# Dataclasses allowed on the start-up paths, each with why it is not a Struct.
ALLOWED: set[str] = {
    # converted by parallel branches; the lead empties this after the merge
    "zen_tui.models.AccountHealth",
    "zen_tui.models.Action",
    "zen_tui.models.ActionResult",
    "zen_tui.models.FetchResult",
    "zen_tui.models.FileDiff",
    "zen_tui.models.Freshness",
    "zen_tui.models.Issue",
    "zen_tui.models.ItemBase",
    "zen_tui.models.ItemDetail",
    "zen_tui.models.Message",
    "zen_tui.models.PullDiff",
    "zen_tui.models.PullRequest",
    "zen_tui.models.Reaction",
    "zen_tui.models.SectionInfo",
    "zen_tui.models.Snapshot",
    "zen_tui.ui.widgets.item_list.RowState",
}

HEADLESS = (["list", "prs", "--json"], ["health"], ["outbox", "list"], ["act", "approve", "x"])
PROBE = """
import contextlib, dataclasses, io, json, sys
from pathlib import Path
from types import SimpleNamespace as Sim

from zen_tui.cli import main

for argv in json.loads(sys.argv[1]):  # each headless command, as `zen-tui ARGV` runs it
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    assert code in (0, 2), (argv, code)  # 2: the refused act

# What `zen-tui` loads before its first paint (commands/dashboard.py: _open, run_dashboard).
import zen_tui.ui.app, zen_tui.ui.screens.dashboard, zen_tui.wiring
from zen_tui.demo import demo_settings
from zen_tui.sync.engine import SyncEngine
from zen_tui.ui import run_dashboard
from zen_tui.wiring import build

accounts = [Sim(service=s, name=s, base_url="http://127.0.0.1:9", token="t", username="me")
            for s in ("github", "jira", "slack")]
engine = SyncEngine(build(demo_settings(accounts, Path(sys.argv[2]))))
engine.store.close()

def every_class(root):
    seen, todo = set(), [root]
    while todo:
        for sub in type.__subclasses__(todo.pop()):
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return seen

found = {
    f"{c.__module__}.{c.__qualname__}"
    for c in every_class(object)
    if c.__module__.startswith("zen_tui")
    and dataclasses.is_dataclass(c)
    and not issubclass(c, BaseException)
}
print(json.dumps(sorted(found)))
"""


def start_up_dataclasses(tmp_path: Path) -> list[str]:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")  # no accounts: the commands touch no network
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZEN_TUI_", "GH_", "GITHUB_"))}
    env |= {"ZEN_TUI_CONFIG": str(config), "ZEN_TUI_DATA_DIR": str(tmp_path / "data")}
    argv = [sys.executable, "-c", PROBE, json.dumps(HEADLESS), str(tmp_path / "dashboard")]
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_start_up_defines_no_dataclass_beyond_the_allowed(tmp_path: Path) -> None:
    found = start_up_dataclasses(tmp_path)
    new = sorted(set(found) - ALLOWED)
    assert not new, f"dataclasses on a start-up path (make them msgspec Structs): {new}"
    gone = sorted(ALLOWED - set(found))
    assert not gone, f"no longer on a start-up path; drop them from ALLOWED: {gone}"
