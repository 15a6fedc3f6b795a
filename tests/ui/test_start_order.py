"""The dashboard paints from the local store before anything of the network loads: syncing
starts once the first frame is out.

In-process: the app calls backend.start() only after it composed a frame of the dashboard.
A fresh interpreter running the real `zen-tui` (CLI main, a config file, accounts logged in
through the keyring, servers at a loopback port where nothing listens): at the first frame
neither httpx, nor the gateway, nor a service client, nor the keyring is loaded or built;
right after it, the pollers run (the first poll's answer, an error, reaches the panes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.backend import FakeBackend
from tools.demo_stack import DemoStack, demo_stack, wait_until
from zen_tui.sync.engine import SyncEngine
from zen_tui.ui.app import ZenApp
from zen_tui.ui.screens.modals import PickerModal
from zen_tui.wiring import build_local, connect

from .conftest import make_app, notes, status_line

ROOT = Path(__file__).resolve().parents[2]
NETWORK = (
    "httpx",
    "httpcore",
    "keyring",
    "zen_tui.gateway.gateway",
    "zen_tui.services.github",
    "zen_tui.services.jira",
    "zen_tui.services.slack",
    "zen_tui.auth.provider",
)


class CountingFrames(ZenApp):
    frames = 0

    def _display(self, screen: Any, renderable: Any) -> None:
        if renderable is not None:
            self.frames += 1
        super()._display(screen, renderable)


class RecordsStart(FakeBackend):
    def __init__(self) -> None:
        super().__init__()
        self.frames_at_start: int | None = None
        self.app: CountingFrames | None = None

    async def start(self) -> None:
        assert self.app is not None
        self.frames_at_start = self.app.frames
        await super().start()


async def test_syncing_starts_after_the_first_frame() -> None:
    backend = RecordsStart()
    app = make_app(backend)
    app.__class__ = CountingFrames  # the same app, its frames counted
    backend.app = app  # type: ignore[assignment]
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        assert backend.started
        assert backend.frames_at_start is not None and backend.frames_at_start >= 1


CONFIG = """
[[accounts]]
name = "gh"
service = "github"
base_url = "http://127.0.0.1:9"

[[accounts]]
name = "work"
service = "jira"
base_url = "http://127.0.0.1:9"
email = "me@example.com"

[[sections]]
pane = "prs"
title = "Review requested"
account = "gh"
query = "is:pr is:open review-requested:@me"

[[sections]]
pane = "issues"
title = "Mine"
account = "work"
jql = "assignee = currentUser()"
"""

# Runs `zen-tui --config C --data-dir D` headless. At the first frame of the dashboard it
# notes what is loaded and built and subscribes to the bus; once the first poll's answer
# (SectionUpdated: the engine publishes nothing before a poll) arrives, it notes again.
PROBE = """
import asyncio, json, os, sys
from textual.app import App

NETWORK = {network!r}
seen = {{}}
polled = asyncio.Event()

def note(app):
    engine = app.backend
    return {{
        "loaded": sorted(m for m in NETWORK if m in sys.modules),
        "gateways": sorted(engine.wired.gateways),
        "clients": sorted(engine.wired.clients),
        "polls": sorted(s.id for s in engine.sections if engine.snapshot(s.id) is not None),
    }}

display = App._display

def first_frame(app, screen, renderable):
    display(app, screen, renderable)
    if "frame" in seen or renderable is None or type(screen).__name__ != "DashboardScreen":
        return
    seen["frame"] = note(app)
    if seen["frame"]["polls"]:  # polled before the first frame: nothing to wait for
        polled.set()
        return
    from zen_tui.sync.backend import SectionUpdated
    loop = asyncio.get_running_loop()
    app.backend.bus.subscribe(
        lambda e: isinstance(e, SectionUpdated) and loop.call_soon_threadsafe(polled.set)
    )

async def ready(pilot):
    await asyncio.wait_for(polled.wait(), 20)
    seen["polled"] = note(pilot.app)
    pilot.app.exit()

run = App.run
App.run = lambda app, *a, **k: run(app, headless=True, size=(120, 40), auto_pilot=ready)
App._display = first_frame
from zen_tui.cli import main
code = main(sys.argv[1:])
os.write(1, ("\\n" + json.dumps({{"code": code, **seen}}) + "\\n").encode())
"""


def test_the_real_start_paints_before_it_loads_the_network(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEN_TUI_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        # the test's keyring, nothing in it: the accounts are "not logged in", a real answer
        "PYTHON_KEYRING_BACKEND": "tests.unit.auth.memory_keyring.MemoryKeyring",
    }
    probe = PROBE.format(network=NETWORK)
    argv = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    assert report["frame"] == {"loaded": [], "gateways": [], "clients": [], "polls": []}
    after = report["polled"]
    assert after["polls"]
    assert after["gateways"] == after["clients"] == ["gh", "work"]
    assert {"httpx", "zen_tui.gateway.gateway", "zen_tui.services.github"} <= set(after["loaded"])


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DemoStack]:
    with demo_stack(tmp_path, seed=5, size=20) as s:
        yield s


def gated_engine(stack: DemoStack, gate: threading.Event) -> SyncEngine:
    """Wired as the dashboard does; the network part is built only once `gate` is set (a
    slow keyring, a cold import of the request stack)."""
    wired = build_local(stack.settings)

    def network(account):  # type: ignore[no-untyped-def]
        gate.wait(30)
        return connect(wired, account)

    return SyncEngine(wired, connect=network)


@pytest.mark.timeout(60)
async def test_a_jira_form_opened_before_the_clients_exist_waits_for_them(
    stack: DemoStack,
) -> None:
    """`n` pressed while the network part is still being built: the status line says it is
    connecting, and the dialog goes on once the clients exist; never "can't be reached"."""
    gate = threading.Event()
    engine = gated_engine(stack, gate)
    app = stack.app(engine)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await pilot.pause()
            assert not engine.connected
            await pilot.press("n")
            await wait_until(lambda: "connecting to" in status_line(app), "connecting")
            assert not isinstance(app.screen, PickerModal)
            gate.set()
            await wait_until(lambda: isinstance(app.screen, PickerModal), "the project picker")
            assert engine.connected
            assert not [n for n in notes(app) if "reach" in n or "cannot ask" in n]
    finally:
        gate.set()
