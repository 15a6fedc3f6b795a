"""Background custom commands can be cancelled from the palette (`ctrl+p` → `Cancel: …`) and
stop by themselves at their timeout. Either way the whole process group goes (SIGTERM, then
SIGKILL after the grace period to what ignored it), a toast says what happened, and the last
line the command printed is kept, shown as data. Real subprocesses: a Python child that starts
a grandchild; both are checked gone from the kernel's process table (zombies count as gone:
this container's init never reaps)."""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.backend import FakeBackend
from tools.demo_stack import wait_until
from zen_tui.config import CommandConfig
from zen_tui.config_schema import COMMAND_GRACE
from zen_tui.ui.app import DashboardOptions
from zen_tui.ui.screens.dashboard import DashboardScreen

from .conftest import WaitForWorkers, make_app, palette, status_line
from .test_item_commands import hostile_backend

pytestmark = pytest.mark.timeout(60)

# The child prints a line that looks like markup and a terminal escape, starts a grandchild
# (both in its process group), writes both pids, then sleeps; IGNORE makes both ignore SIGTERM.
CHILD = """
import os, signal, subprocess, sys, time
IGNORE = {ignore}
if IGNORE:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
grand = subprocess.Popen([sys.executable, "-c", {grand!r}])
print("[bold red]half way[/] \\x1b[2J", flush=True)
with open("pids.tmp", "w") as f:
    f.write(f"{{os.getpid()}} {{grand.pid}}")
os.replace("pids.tmp", "pids")
time.sleep(60)
"""
GRAND = "import signal, time\n{ignore}time.sleep(60)\n"


def command(folder: Path, *, ignore_term: bool = False, **fields: object) -> CommandConfig:
    grand = GRAND.format(ignore="signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" * ignore_term)
    script = folder / "child.py"
    script.write_text(CHILD.format(ignore=ignore_term, grand=grand), encoding="utf-8")
    run = f"cd {shlex.quote(str(folder))} && {shlex.quote(sys.executable)} child.py; echo after"
    return CommandConfig(key="Z", title="hang", run=run, pane="prs", **fields)  # type: ignore[arg-type]


def alive(pid: int) -> bool:
    """In the process table and not a zombie (a zombie is dead, waiting to be reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def pids(folder: Path) -> list[int]:
    return [int(p) for p in (folder / "pids").read_text().split()]


def notes_with_severity(app) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


def offered(app) -> list[str]:
    """The palette's entries on screen."""
    found = app.screen.query("CommandList")
    if not found:
        return []
    options = found.first().options
    return [str(o.prompt) for o in options]


async def started(folder: Path) -> list[int]:
    await wait_until(lambda: (folder / "pids").exists(), "the command to start")
    found = pids(folder)
    assert all(alive(p) for p in found)
    return found


async def test_cancel_from_the_palette_stops_the_group_and_keeps_the_last_line(
    tmp_path: Path, wait_for_workers: WaitForWorkers
) -> None:
    options = DashboardOptions(commands=(command(tmp_path),))
    app = make_app(hostile_backend(), options=options)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("Z")
        child, grand = await started(tmp_path)
        assert "hang on acme/web#7: running… (ctrl+p → Cancel stops it)" in status_line(app)
        await pilot.press("Z")  # the same command on the same item: not a second copy
        await pilot.pause()
        assert "hang on acme/web#7 is still running; ctrl+p → Cancel stops it" in status_line(app)
        assert len(app.screen.running_commands) == 1

        await palette(pilot, "Cancel")
        await wait_until(
            lambda: any(e.startswith("Cancel: hang on acme/web#7\nrunning ") for e in offered(app)),
            "the entry",
        )
        before = time.monotonic()
        await pilot.press("enter")
        await wait_until(  # the palette closes first: the dashboard's commands are read then
            lambda: isinstance(app.screen, DashboardScreen) and not app.screen.running_commands,
            "the command to end",
        )
        took = time.monotonic() - before
        said = "hang on acme/web#7 cancelled: stopped: [bold red]half way[/] ␛[2J"
        # the output's last line, as data (said by the worker as it ends)
        await wait_until(lambda: said in status_line(app), "the cancel's line")
        assert (said, "warning") in notes_with_severity(app)  # a toast
        assert not alive(child) and not alive(grand)  # the grandchild too: the group
        assert took < COMMAND_GRACE  # SIGTERM was enough: no wait for the grace period
        assert "after" not in status_line(app)  # the shell went with it: `echo after` never ran


async def test_a_command_that_ignores_sigterm_is_killed_at_its_timeout(
    tmp_path: Path, wait_for_workers: WaitForWorkers
) -> None:
    options = DashboardOptions(
        commands=(command(tmp_path, ignore_term=True, timeout=1.5, grace=0.5),)
    )
    app = make_app(hostile_backend(), options=options)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("Z")
        child, grand = await started(tmp_path)
        await wait_until(lambda: not app.screen.running_commands, "the timeout", within=20)
        await pilot.pause()
        said = (
            "hang on acme/web#7 timed out after 1.5s: killed: it ignored SIGTERM: "
            "[bold red]half way[/] ␛[2J"
        )
        assert said in status_line(app)
        assert (said, "warning") in notes_with_severity(app)
        assert not alive(child) and not alive(grand)


async def quit_while_it_runs(tmp_path: Path, running: CommandConfig) -> None:
    """Start `running` (Z), quit the dashboard (q): its process group is gone soon after."""
    app = make_app(hostile_backend(), options=DashboardOptions(commands=(running,)))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("Z")
        child, grand = await started(tmp_path)
        await pilot.press("q")
    await wait_until(lambda: not alive(child) and not alive(grand), "the group to go", within=5)


async def test_quitting_the_dashboard_stops_a_running_command(tmp_path: Path) -> None:
    await quit_while_it_runs(tmp_path, command(tmp_path))


async def test_a_command_that_ends_by_itself_is_not_stopped_and_leaves_no_entry(
    tmp_path: Path, wait_for_workers: WaitForWorkers
) -> None:
    quick = CommandConfig(key="Z", title="quick", run="echo one; echo two", timeout=5.0)
    app = make_app(FakeBackend(), options=DashboardOptions(commands=(quick,)))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("Z")
        await wait_for_workers(pilot)
        assert ": done: two" in status_line(app)
        assert not app.screen.running_commands
        assert not any("cancel" in n or "timed out" in n for n, _ in notes_with_severity(app))
        await palette(pilot, "Cancel")
        await wait_for_workers(pilot)
        assert not any("Cancel" in entry for entry in offered(app))


async def test_quitting_kills_a_command_that_ignores_sigterm(tmp_path: Path) -> None:
    await quit_while_it_runs(tmp_path, command(tmp_path, ignore_term=True, grace=0.5))
