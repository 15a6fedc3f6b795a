"""The dashboard paints from the local store before anything of the network loads: syncing
starts once the first frame is out.

In-process: the app calls backend.start() only after it composed a frame of the dashboard.
A fresh interpreter running the real `zen-tui` (CLI main, a config file, accounts logged in
through the keyring, servers at a loopback port where nothing listens): at the first frame
neither httpx, nor the gateway, nor a service client, nor the keyring is loaded or built;
right after it, the pollers run (the first poll's answer, an error, reaches the panes), and
keyring never loads: the keyring helper process reads the logins.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.backend import FakeBackend
from tests.helpers import eventually
from tools.demo_stack import DemoStack, demo_stack, wait_until
from zen_tui import paths
from zen_tui.models import Action, PullRequest
from zen_tui.store import Store
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
# What only a user's act needs (creating, editing, bulk-moving Jira issues): not loaded by the
# start, nor by the first polls (resident memory a dashboard that only watches never uses).
ON_DEMAND = (
    "zen_tui.services.jira_create",
    "zen_tui.services.jira_edit",
    "zen_tui.services.jira_bulk",
)
# ... and, once every account is logged in (no login offered): a browser login's page with
# html's 2,000 entities (Slack's text escapes only & < >), the browser itself, the time zone
# database (asked for by a Jira answer, not by a refused poll).
LOGIN_ONLY = ("html.entities", "webbrowser", "zoneinfo")
# ... and what only a user's act on the dashboard uses: saving a query (`s`), opening an item
# (`o`), a `[[commands]]` entry, a cross-link (`N`, `S`), the help screen (`?`); the demo's
# set-up, for a demo only.
ACT_ONLY = (
    "zen_tui.config_writer",
    "zen_tui.web_links",
    "zen_tui.item_commands",
    "zen_tui.crosslink",
    "zen_tui.ui.screens.info",
    "zen_tui.demo",
)

# ... and what only sending a batch of actions or running a `[[commands]]` entry uses (a
# command's process handling; the bulk sender): loaded by that act (tests/ui/
# test_item_commands.py, tests/chaos/test_bulk_during_bulk.py run them).
SEND_OR_RUN_ONLY = ("zen_tui.ui.item_command", "zen_tui.sync.bulk")


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
    async with app.run_test(size=(140, 40)):
        # started by a worker after the first frame: wait for it, however slow the frame
        await eventually(lambda: backend.started, "syncing to start")
        assert backend.frames_at_start is not None and backend.frames_at_start >= 1


async def test_the_first_frame_hook_runs_once_the_first_frame_is_out() -> None:
    """What the dashboard command hands the app to call then (the collector comes back)."""
    frames_then: list[int] = []
    app = make_app(FakeBackend(), first_frame=lambda: frames_then.append(app.frames))
    app.__class__ = CountingFrames
    async with app.run_test(size=(140, 40)):
        await eventually(lambda: frames_then, "the first frame's hook")
        assert frames_then[0] >= 1


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
ON_DEMAND = {on_demand!r}
seen = {{}}
polled = asyncio.Event()

def note(app):
    engine = app.backend
    return {{
        "loaded": sorted(m for m in NETWORK if m in sys.modules),
        "on_demand": sorted(m for m in ON_DEMAND if m in sys.modules),
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


def start_report(
    tmp_path: Path, config_text: str, keyring: str, on_demand: tuple[str, ...]
) -> dict[str, Any]:
    """What the PROBE saw of a real `zen-tui` start with this config and keyring backend."""
    (tmp_path / "config.toml").write_text(config_text, encoding="utf-8")
    return run_zen_tui(PROBE.format(network=NETWORK, on_demand=on_demand), tmp_path, keyring)


def run_zen_tui(script: str, tmp_path: Path, keyring: str) -> dict[str, Any]:
    """Run `script` (PROBE, USES: it calls the CLI's main, then prints a JSON line) in a fresh
    interpreter on tmp_path's config.toml and data dir, with `keyring` as the keyring backend;
    its JSON line, once both the process and main said 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEN_TUI_")}
    env |= {"PYTHONPATH": str(ROOT), "PYTHON_KEYRING_BACKEND": keyring}
    argv = ["--config", str(tmp_path / "config.toml"), "--data-dir", str(tmp_path / "data")]
    done = subprocess.run(
        [sys.executable, "-c", script, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    return report


def test_the_real_start_paints_before_it_loads_the_network(tmp_path: Path) -> None:
    # the test's keyring, nothing in it: the accounts are "not logged in", a real answer
    keyring = "tests.unit.auth.memory_keyring.MemoryKeyring"
    report = start_report(tmp_path, CONFIG, keyring, ON_DEMAND)
    assert report["frame"] == {
        "loaded": [],
        "on_demand": [],
        "gateways": [],
        "clients": [],
        "polls": [],
    }
    after = report["polled"]
    assert after["polls"]
    assert after["on_demand"] == []  # the Jira client is built and polls without them
    assert after["gateways"] == after["clients"] == ["gh", "work"]
    assert {"httpx", "zen_tui.gateway.gateway", "zen_tui.services.github"} <= set(after["loaded"])
    assert "keyring" not in after["loaded"]  # the logins were read by the keyring helper


SLACK = """
[[accounts]]
name = "chat"
service = "slack"
base_url = "http://127.0.0.1:9"

[[sections]]
pane = "messages"
title = "Mentions"
account = "chat"
query = "mentions"
"""


def test_a_logged_in_start_loads_nothing_only_an_act_needs(tmp_path: Path) -> None:
    """Every account logged in (GitHub, Jira, Slack), as the start-up benchmark runs: the
    first polls build every client and still load none of what only an act or a login
    needs."""
    keyring = "tests.unit.auth.logged_in_keyring.LoggedInKeyring"
    only_acts = ON_DEMAND + LOGIN_ONLY + ACT_ONLY + SEND_OR_RUN_ONLY
    report = start_report(tmp_path, CONFIG + SLACK, keyring, only_acts)
    after = report["polled"]
    assert after["polls"] and after["clients"] == ["chat", "gh", "work"]
    assert after["on_demand"] == []
    assert "keyring" not in after["loaded"]  # nor keyring: the helper process read the logins


# Runs the same start, then each act that loads one of ACT_ONLY, noting what is loaded after.
USES = """
import asyncio, json, os, sys
from textual.app import App

ACT_ONLY = {act_only!r}
seen = {{}}

def loaded():
    return sorted(m for m in ACT_ONLY if m in sys.modules)

async def ready(pilot):
    from zen_tui.config import CommandConfig
    from zen_tui.ui.item_command import prepare
    from zen_tui.ui.screens.dashboard import DashboardScreen

    app = pilot.app
    while not (isinstance(app.screen, DashboardScreen) and app.screen.pane.cursor_item):
        await pilot.pause(0.05)
    screen = app.screen
    seen["start"] = loaded()
    screen.action_open()  # `o`: the stored row's URL is refused (never a browser here)
    seen["open"] = loaded()
    section = app.backend.sections[0]
    screen._query_set(section.id, ("is:pr is:open", True))  # the query dialog's "save"
    seen["save"] = loaded()
    item = app.backend.full_item(screen.pane.cursor_item)  # as action_run_command reads it
    prepare(CommandConfig(key="1", run="echo {{url}}", title="show"), item, {{}})
    seen["command"] = loaded()
    await pilot.press("question_mark")  # `?`: the help screen
    await pilot.pause()
    seen["help"] = [type(app.screen).__name__, *loaded()]
    app.exit()

run = App.run
App.run = lambda app, *a, **k: run(app, headless=True, size=(120, 40), auto_pilot=ready)
from zen_tui.cli import main
code = main(sys.argv[1:])
os.write(1, ("\\n" + json.dumps({{"code": code, **seen}}) + "\\n").encode())
"""

ROW = PullRequest(
    id="gh:acme/web#42",
    account="gh",
    service="github",
    key="acme/web#42",
    title="Speed up exports",
    url="file:///etc/passwd",
    updated_at="2026-01-01T00:00:00Z",
)


def test_an_act_loads_what_it_needs_when_used(tmp_path: Path) -> None:
    """Each module the start leaves out loads when its act is first used (and the act works:
    the saved query is in the config file). A config with `[[commands]]` loads the command
    renderer at start (it checks the templates): here there is none, the act builds one."""
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    store = Store.open(paths.store_path(tmp_path / "data"))
    try:  # a row to open: its URL is not a web page, so `o` refuses it and opens nothing
        store.save_section("prs:0:gh", [ROW], time.time())
    finally:
        store.close()
    keyring = "tests.unit.auth.logged_in_keyring.LoggedInKeyring"
    seen = run_zen_tui(USES.format(act_only=ACT_ONLY), tmp_path, keyring)
    assert seen["start"] == []
    assert seen["open"] == ["zen_tui.web_links"]
    assert seen["save"] == ["zen_tui.config_writer", "zen_tui.web_links"]
    assert seen["command"] == [
        "zen_tui.config_writer",
        "zen_tui.item_commands",
        "zen_tui.web_links",
    ]
    assert seen["help"] == [  # the help lists every dialog's keys: their modules load
        "HelpScreen",
        "zen_tui.config_writer",
        "zen_tui.crosslink",
        "zen_tui.item_commands",
        "zen_tui.ui.screens.info",
        "zen_tui.web_links",
    ]
    assert 'query = "is:pr is:open"' in config.read_text(encoding="utf-8")


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
            assert not engine.connected()
            await pilot.press("n")
            await wait_until(lambda: "connecting to" in status_line(app), "connecting")
            assert not isinstance(app.screen, PickerModal)
            gate.set()
            await wait_until(lambda: isinstance(app.screen, PickerModal), "the project picker")
            assert engine.connected()
            assert not [n for n in notes(app) if "reach" in n or "cannot ask" in n]
    finally:
        gate.set()


def per_account_engine(
    stack: DemoStack, gates: dict[str, threading.Event], faults: dict[str, Exception]
) -> SyncEngine:
    """Wired as the dashboard does; an account in `gates` is built once its gate is set (a
    keyring that does not answer yet), one in `faults` cannot be built (its keyring raises:
    connect reports it as that account's failure, the others are built)."""
    wired = build_local(stack.settings)

    def network(account):  # type: ignore[no-untyped-def]
        gate = gates.get(account)
        if gate is not None:
            gate.wait(30)
        if account in faults:
            return {}, {}, {account: faults[account]}
        return connect(wired, account)

    return SyncEngine(wired, connect=network)


def said_on_dashboard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Everything the dashboard says on its status line (a dialog may cover it meanwhile)."""
    from zen_tui.ui.screens.dashboard import DashboardScreen

    said: list[str] = []
    real = DashboardScreen._say

    def say(self: DashboardScreen, text: str, *args: Any, **kwargs: Any) -> None:
        said.append(text)
        real(self, text, *args, **kwargs)

    monkeypatch.setattr(DashboardScreen, "_say", say)
    return said


def card_text(app: ZenApp, service: str) -> str:
    return str(app.screen.query_one(f"#card-{service}").render())


@pytest.mark.timeout(60)
async def test_a_jira_form_waits_for_jira_alone_not_for_another_account(
    stack: DemoStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitHub's build hangs (its keyring does not answer): `n` opens the Jira form at once,
    and never says it is connecting; GitHub's card and its pane's status line say GitHub
    is connecting, Jira's card does not."""
    github = threading.Event()
    engine = per_account_engine(stack, {"github": github}, {})
    said = said_on_dashboard(monkeypatch)
    app = stack.app(engine)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_until(lambda: engine.connected("jira"), "Jira built")
            assert not engine.connected("github")
            await pilot.press("n")
            await wait_until(lambda: isinstance(app.screen, PickerModal), "the project picker")
            assert not engine.connected("github")  # it did not wait for GitHub
            assert not [s for s in said if "connecting" in s]
            await pilot.press("escape")
            await wait_until(lambda: not isinstance(app.screen, PickerModal), "the dashboard")
            await wait_until(lambda: "connecting to github…" in card_text(app, "github"), "card")
            assert "connecting" not in card_text(app, "jira")
            assert app.screen.pane.section.account == "github"  # type: ignore[attr-defined]
            assert "connecting to github…" in status_line(app)
            dash = app.screen
            dash._submit([Action("approve", "github:o/r#1", "github")])  # type: ignore[attr-defined]
            queued = "approve queued for 1 item; sent once github is connected"
            await wait_until(lambda: queued in said, "the action said to wait for GitHub")
            dash._submit([Action("comment", "jira:P-1", "jira", {"body": "hi"})])  # type: ignore[attr-defined]
            await wait_until(lambda: "comment queued for 1 item" in said, "sent to Jira at once")
    finally:
        github.set()


@pytest.mark.timeout(60)
async def test_a_jira_form_for_an_account_that_cannot_be_built_says_why(
    stack: DemoStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jira's keyring raises: the form says why Jira is not connected (one line, the
    keyring's words), never "connecting", and ends there; Jira's card says so too."""
    engine = per_account_engine(stack, {}, {"jira": RuntimeError("keyring\nlocked")})
    said = said_on_dashboard(monkeypatch)
    app = stack.app(engine)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(lambda: engine.connection("jira").state == "failed", "Jira failed")
        await pilot.press("n")
        why = "jira: not connected (keyring locked)"
        await wait_until(lambda: said.count(why) == 2, "the reason, then the refusal")
        assert not isinstance(app.screen, PickerModal)
        assert not [s for s in said if "connecting" in s or "cannot ask" in s]
        assert why in notes(app)  # the refusal is a notification too
        await wait_until(lambda: why in card_text(app, "jira"), "the card")
        app.screen._submit([Action("comment", "jira:P-1", "jira", {"body": "hi"})])  # type: ignore[attr-defined]
        queued = f"comment queued for 1 item; {why}: sent once it connects"
        await wait_until(lambda: queued in said, "the action said to wait for Jira, and why")
        await pilot.press("h")  # the health screen: Jira's box says why, GitHub's nothing
        await wait_until(lambda: app.screen.query("#box-jira"), "the health screen")
        box = app.screen.query_one("#box-jira")
        # the boxes are mounted first, then drawn from the model (a later turn)
        await wait_until(lambda: str(box.border_subtitle) == why, "Jira's box to say why")
        assert str(app.screen.query_one("#box-github").border_subtitle) == ""
