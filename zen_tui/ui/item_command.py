"""Running a `[[commands]]` entry on an item: where it runs, the command line, the outcome.

The command line comes from `zen_tui.item_commands.render` (every value shell-quoted); this
module picks the directory (the repo's checkout from `[repos."owner/name"] path`), runs it in
the background (output captured, its last line in the status line) or in the terminal the app
hands over (`App.suspend`), and words the one-line outcome. A background command has a
timeout (`[[commands]] timeout`) and can be cancelled; either way its whole process group is
stopped: SIGTERM, then SIGKILL after its grace period (`[[commands]] grace`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from zen_tui.config import CommandConfig
from zen_tui.config_schema import COMMAND_GRACE
from zen_tui.models import Item, format_age
from zen_tui.text_safety import clean

LAST_LINE = 160  # characters of the command's last output line shown in the status line
KILL_WAIT = 2.0  # seconds to wait for the group to go after SIGKILL (or the output to end)
POLL = 0.05  # seconds between looks at whether a stopped group is gone
EXIT_POLL = 0.2  # ... at whether the shell exited while a child it left holds the output
KEEP_OUTPUT = 65536  # bytes of a command's output kept: its last lines are what is shown


class Refused(Exception):
    """The command cannot run on this item; `str()` says why and what to do."""


class Prepared(msgspec.Struct, frozen=True):
    line: str  # the shell command line, values quoted
    cwd: Path | None  # None: the directory zen-tui was started in
    label: str  # "checkout on acme/web#12", for the status line


def prepare(command: CommandConfig, item: Item, repo_paths: Mapping[str, Path]) -> Prepared:
    """The command line and directory for `item`, or Refused with the reason."""
    # The templates' renderer loads when a command first runs: many configs have none.
    from zen_tui.item_commands import MissingField, item_fields, render

    fields = item_fields(item, repo_paths)
    label = f"{command.title} on {item.key}"
    repo = fields.get("repo", "")
    path = repo_paths.get(repo) if repo else None
    if command.in_checkout and path is None:
        what = f'[repos."{repo}"] path = "~/src/{repo.rsplit("/", 1)[-1]}"' if repo else ""
        fix = f"add {what} to the config" if repo else "it runs on GitHub items only"
        raise Refused(f"{command.title}: no local checkout for {repo or item.key}; {fix}")
    if path is not None and not path.is_dir():
        raise Refused(f"{command.title}: {path} (the checkout of {repo}) is not a directory")
    try:
        line = render(command.run, fields)
    except MissingField as missing:
        raise Refused(f"{command.title}: {item.key} has no {{{missing}}}") from None
    return Prepared(line, path, label)


class Running:
    """A background command in flight: the dashboard lists it (`ctrl+p` → Cancel) and cancels
    it; `run_background` stops its process group when asked or when its timeout is up."""

    def __init__(
        self, prepared: Prepared, timeout: float, started: float, grace: float = COMMAND_GRACE
    ) -> None:
        self.prepared = prepared
        self.timeout = timeout
        self.grace = grace  # seconds between SIGTERM and SIGKILL when it is stopped
        self.started = started  # the app's clock, to say how long it has run
        self.pid: int | None = None  # its shell's, which leads the process group
        self._cancel = asyncio.Event()

    @property
    def label(self) -> str:
        return self.prepared.label

    def cancel(self) -> None:
        self._cancel.set()

    async def cancelled(self) -> None:
        await self._cancel.wait()


class Outcome(msgspec.Struct, frozen=True):
    ok: bool
    said: str  # one line: done, failed (exit n), cancelled or timed out, with the last line
    stopped: bool = False  # cancelled or timed out: the dashboard raises a toast


async def run_background(running: Running) -> Outcome:
    """Run it with no terminal in a process group of its own. It ends by itself (done or
    failed with the exit code), or is stopped (cancelled, or its timeout is up): SIGTERM to the
    whole group, SIGKILL `running.grace` seconds later to what is left. The last line it
    printed is kept in every case."""
    prepared = running.prepared
    grace = running.grace
    try:
        process = await asyncio.create_subprocess_shell(
            prepared.line,
            cwd=prepared.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own group: stopping it stops its children too
        )
    except OSError as exc:
        return Outcome(False, f"{prepared.label} could not start: {exc}")
    running.pid = process.pid
    output = Tail()
    assert process.stdout is not None  # PIPE
    reader = asyncio.create_task(output.read(process.stdout))
    try:
        return await _watch(process, running, reader, output, grace)
    finally:
        reader.cancel()  # a child left running may hold the output: stop reading it


async def _watch(
    process: asyncio.subprocess.Process,
    running: Running,
    reader: asyncio.Task[None],
    output: Tail,
    grace: float,
) -> Outcome:
    label = running.label
    try:
        why = await _until_stopped(process, reader, running)
    except asyncio.CancelledError:  # the app is leaving: take the group with it
        try:
            await _stop_group(process, grace)
        finally:
            if not _group_gone(process.pid):  # cancelled again: no grace left
                _signal_group(process.pid, signal.SIGKILL)
        raise
    if why is None:
        code = process.returncode or 0
        return Outcome(code == 0, outcome(label, code, output.text()))
    killed = await _stop_group(process, grace)
    await _drain(reader)
    return Outcome(False, stopped(label, why, killed, output.text()), stopped=True)


async def _until_stopped(
    process: asyncio.subprocess.Process, reader: asyncio.Task[None], running: Running
) -> str | None:
    """None when the command ended by itself (its shell exited), else why it must be stopped:
    `cancelled` or `timed out after 5m`."""
    ended: asyncio.Future[Any] = asyncio.ensure_future(_ended(process, reader))
    cancel: asyncio.Future[Any] = asyncio.ensure_future(running.cancelled())
    try:
        done, _ = await asyncio.wait(
            {ended, cancel}, timeout=running.timeout, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for waiting in (ended, cancel):
            if not waiting.done():
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiting
    if ended in done:
        return None
    return "cancelled" if cancel in done else f"timed out after {seconds(running.timeout)}"


async def _ended(process: asyncio.subprocess.Process, reader: asyncio.Task[None]) -> None:
    """The shell exited; then what it printed last. A child it left running in the background
    (an editor, a browser it opened) may hold the output open: it is not waited for, and not
    stopped. The reader is shielded: it reads on while a stopped command's group goes."""
    while process.returncode is None:
        # asyncio's wait() also waits for the output to close: look at the exit code itself
        await asyncio.wait({reader}, timeout=EXIT_POLL)
        if reader.done():  # the output closed: the exit is near, and wait() sees it
            await process.wait()
            return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(reader), KILL_WAIT)


async def _stop_group(process: asyncio.subprocess.Process, grace: float) -> bool:
    """SIGTERM to the group; SIGKILL to what is left after `grace` seconds. True if it took
    the SIGKILL."""
    _signal_group(process.pid, signal.SIGTERM)
    if await _gone_within(process, grace):
        return False
    _signal_group(process.pid, signal.SIGKILL)
    await _gone_within(process, KILL_WAIT)
    return True


async def _gone_within(process: asyncio.subprocess.Process, seconds: float) -> bool:
    """Whether the shell has exited and no process of its group is left within `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        if process.returncode is not None and _group_gone(process.pid):
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(POLL)  # polled: nothing tells us when a group's last member ends


async def _drain(reader: asyncio.Task[None]) -> None:
    """The output to its end: the group is gone, so the pipe closes at once; a process that
    left the group (setsid) and holds the pipe is not waited for."""
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(reader, KILL_WAIT)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_gone(pgid: int) -> bool:
    """No live process left in the group. A dead child whose parent died first stays a
    zombie until init reaps it (some containers' init never does), and a zombie still counts
    for killpg(pgid, 0): on Linux, /proc says which members are zombies."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # it ended while we looked
        # after the command's name: state, ppid, pgrp
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return False
    return True


class Tail:
    """The end of a command's output: enough for its last lines, never all of a chatty one."""

    def __init__(self) -> None:
        self._data = bytearray()

    async def read(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self._data += chunk
            del self._data[:-KEEP_OUTPUT]

    def text(self) -> str:
        return self._data.decode(errors="replace")


def run_in_terminal(prepared: Prepared) -> int:
    """Run it in the terminal (the caller has suspended the app); its exit code."""
    return subprocess.run(prepared.line, shell=True, cwd=prepared.cwd, check=False).returncode


def outcome(label: str, code: int, output: str = "") -> str:
    last = last_line(output)
    if code == 0:
        return f"{label}: done{last}"
    return f"{label} failed (exit {code}){last}"


def stopped(label: str, why: str, killed: bool, output: str) -> str:
    """`record on acme/web#7 timed out after 5m: stopped (killed: it ignored SIGTERM): …`"""
    how = "killed: it ignored SIGTERM" if killed else "stopped"
    return f"{label} {why}: {how}{last_line(output)}"


def last_line(output: str) -> str:
    """`: <the last line printed>` (control characters made visible), or nothing."""
    lines = [line for line in output.splitlines() if line.strip()]
    return f": {clean(lines[-1].strip())[:LAST_LINE]}" if lines else ""


def seconds(value: float) -> str:
    """A duration as the config writes it: `0.5s`, `45s`, `10m`, `2h`."""
    return f"{value:g}s" if value < 60 else format_age(value)
