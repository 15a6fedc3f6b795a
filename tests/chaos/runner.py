"""The parts of a chaos run: timings, the fault script loop, the action stream, the drain
after recovery and the checks at the end. Used in-process and by the crash worker."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from msgspec.structs import replace

from zen_tui.config import PollingConfig, Settings
from zen_tui.demo import demo_settings
from zen_tui.logs import setup_logging
from zen_tui.models import Action, ActionState, FreshnessState
from zen_tui.sync.engine import SyncEngine

from ..integration.conftest import fast
from .faults import fault_step, step_seconds

OPEN = (ActionState.PENDING, ActionState.SENDING, ActionState.UNKNOWN)
DRAIN_TIMEOUT = 180.0  # generous: a loaded 2-core machine, Retry-After waits, half-open breakers
LIVE_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
T = TypeVar("T")
# Short poll intervals so every section polls many times under each fault.
POLLING = PollingConfig(min_interval=0.5, default_interval=1.0, max_interval=3.0)


def chaos_seconds(default: float) -> float:
    """ZEN_CHAOS_SECONDS overrides how long faults are on."""
    value = os.environ.get("ZEN_CHAOS_SECONDS", "").strip()
    return float(value) if value else default


def chaos_settings(accounts: Any, data_dir: Path) -> Settings:
    return replace(fast(demo_settings(accounts, data_dir)), polling=POLLING)


async def run_faults(
    set_faults: Callable[[list[dict[str, Any]]], None], seed: int, seconds: float
) -> int:
    """Change every service's fault every 1-2 s until `seconds` have passed; returns steps."""
    rng = random.Random(seed)
    end, steps = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        set_faults(fault_step(rng))
        steps += 1
        await asyncio.sleep(min(step_seconds(rng), max(0.0, end - time.monotonic())))
    return steps


async def submit_stream(
    engine: SyncEngine, batches: list[list[Action]], seed: int, seconds: float
) -> list[str]:
    """Submit each batch at a random moment; all are in before `seconds` are over."""
    rng = random.Random(seed)
    gap = seconds / (len(batches) + 1)
    ids: list[str] = []
    for batch in batches:
        await asyncio.sleep(rng.uniform(0.0, 2 * gap) * 0.9)
        ids += await engine.submit(batch)
    return ids


async def drain(engine: SyncEngine, within: float = DRAIN_TIMEOUT) -> list[Any]:
    """Faults are off: wait until no entry is open (nudging the outbox as a user's retry
    would: its back-off may be long after a storm); returns what is still open."""
    deadline = time.monotonic() + within
    while (left := engine.store.outbox_by_state(*OPEN)) and time.monotonic() < deadline:
        engine.outbox.wake()
        await asyncio.sleep(0.5)
    return left


async def until_live(engine: SyncEngine, within: float = LIVE_TIMEOUT) -> dict[str, Any]:
    """Refresh until every section is live; returns the sections that are not (id -> why)."""
    deadline = time.monotonic() + within
    while True:
        await engine.refresh()
        stale = {
            s.id: snap.freshness
            for s in engine.sections
            if (snap := engine.snapshot(s.id)) is None
            or snap.freshness.state is not FreshnessState.LIVE
        }
        if not stale or time.monotonic() > deadline:
            return stale
        await asyncio.sleep(0.3)


async def within(aw: Awaitable[T], seconds: float, what: str) -> T:
    """`aw`, or a failure naming where every task waits (a hang in CI then says where it
    is stuck, instead of only that pytest-timeout went off)."""
    task = asyncio.ensure_future(aw)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        where = "\n".join(await_chains())
        task.cancel()
        raise AssertionError(f"{what} still running after {seconds:g} s; tasks:\n{where}")
    return task.result()


def await_chains() -> list[str]:
    """Each pending task and the chain of coroutines it is suspended in, innermost last."""
    out = []
    for task in asyncio.all_tasks():
        frames, coro = [], task.get_coro()
        while coro is not None and (frame := getattr(coro, "cr_frame", None)) is not None:
            frames.append(
                f"{frame.f_code.co_name} ({Path(frame.f_code.co_filename).name}:{frame.f_lineno})"
            )
            coro = getattr(coro, "cr_await", None)
        waiting = "" if coro is None else f" -> {type(coro).__name__}"
        out.append(f"{task.get_name()}: {' > '.join(frames)}{waiting}")
    return out


def engine_tasks_alive(engine: SyncEngine) -> set[str]:
    """The engine's long-running tasks (one poller per section, the outbox) still running."""
    names = {t.get_name() for t in asyncio.all_tasks() if not t.done()}
    wanted = {f"poll {s.id}" for s in engine.sections} | {"outbox"}
    return wanted - names


@contextmanager
def loop_errors() -> Iterator[list[dict[str, Any]]]:
    """Record what reaches the loop's exception handler (unhandled task errors, callbacks)."""
    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    try:
        yield seen
    finally:
        loop.set_exception_handler(previous)


@contextmanager
def log_file(data_dir: Path) -> Iterator[Path]:
    """The app's real log file for the run; the root logger is restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    path = setup_logging(data_dir, "INFO")
    try:
        yield path
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)


def secrets_found(data_dir: Path, tokens: list[str]) -> list[str]:
    """Files under data_dir (store, WAL, logs, caches) that hold any token, as `file: token`."""
    hits = []
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits += [f"{path.name}: {t[:4]}..." for t in tokens if t.encode() in data]
    return hits


def problems(sim: Any, store: Any, counts: dict[str, int]) -> list[str]:
    """Every outbox entry's end state against what the simulator applied."""
    out = []
    for entry in store.outbox_by_state():
        n, what = counts[entry.id], f"{entry.action.kind} {entry.action.item_id} {entry.id[:8]}"
        if entry.state is ActionState.DONE and n != 1:
            out.append(f"DONE but applied {n} times: {what} ({entry.reason})")
        elif entry.state is ActionState.FAILED and (n != 0 or not entry.reason):
            out.append(f"FAILED but applied {n} times: {what} ({entry.reason!r})")
        elif entry.state in OPEN:
            out.append(f"still {entry.state}: {what} ({entry.reason})")
    return out


def failed_reasons(entries: list[Any]) -> dict[str, int]:
    """Why the FAILED entries failed (for the run's summary line)."""
    return dict(Counter(e.reason or "" for e in entries if e.state is ActionState.FAILED))
