"""Each demo run is self-contained: its own data folder (removed at the end), so an outbox
entry queued in one run never reaches another run's simulator, and two demos run at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from zen_tui.demo import demo_session
from zen_tui.models import Action, ActionState
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

REPO = Path(__file__).resolve().parents[2]
LABEL = "queued-in-run-1"


def sim_root(base_url: str) -> str:
    return base_url.split("/github")[0]


async def test_an_outbox_entry_of_one_run_is_never_sent_in_the_next(tmp_path: Path) -> None:
    with demo_session(tmp_path) as first:
        github = next(a.name for a in first.accounts if a.service == "github")
        engine = SyncEngine(build(first))
        try:  # queued, never sent in this run (as if the run ended during an outage)
            engine.outbox.queue(
                [Action("add_label", f"{github}:acme/web#40", github, {"label": LABEL})]
            )
            assert engine.outbox.store.outbox_by_state(ActionState.PENDING)
        finally:
            await engine.stop()
    with demo_session(tmp_path) as second:
        engine = SyncEngine(build(second))
        try:
            await engine.sync_once()
            await engine.outbox.replay()
            assert engine.outbox.store.outbox_by_state(ActionState.PENDING) == []
        finally:
            await engine.stop()
        root = sim_root(next(a.base_url for a in second.accounts if a.service == "github"))
        async with httpx.AsyncClient() as http:
            log = (await http.get(f"{root}/_sim/counters")).json()["mutation_log"]
    assert [m for m in log if m.get("label") == LABEL] == []
    assert first.data_dir != second.data_dir
    assert list((tmp_path / "demo").iterdir()) == []  # each run's folder is removed at its end


async def test_two_demo_sessions_at_once_keep_apart(tmp_path: Path) -> None:
    with demo_session(tmp_path) as one, demo_session(tmp_path) as two:
        assert one.data_dir != two.data_dir
        assert oct(os.stat(one.data_dir).st_mode & 0o777) == "0o700"
        engines = [SyncEngine(build(one)), SyncEngine(build(two))]
        try:
            for engine in engines:
                await engine.start()
            for engine in engines:
                snaps = await engine.sync_once()
                assert any(s.items for s in snaps.values())
        finally:
            for engine in engines:
                await engine.stop()


def zen(data: Path, *argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ZEN_TUI_CONFIG": str(data / "none.toml")}
    return subprocess.Popen(
        [sys.executable, "-m", "zen_tui", "--data-dir", str(data), "--demo", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_demo_processes_at_once_both_sync_and_leave_nothing_behind(tmp_path: Path) -> None:
    """Real processes and real SQLite: two `--demo sync --once` at the same time."""
    runs = [zen(tmp_path, "sync", "--once"), zen(tmp_path, "sync", "--once")]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert "items, live" in out and "lease" not in err.lower(), (out, err)
    assert list((tmp_path / "demo").iterdir()) == []


def test_a_headless_demo_list_shows_its_own_runs_world(tmp_path: Path) -> None:
    run = zen(tmp_path, "list", "prs")
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "not synced yet" not in out and "== " in out


def test_the_demo_never_hints_at_a_sync_another_run_would_do(tmp_path: Path) -> None:
    """Another `zen-tui --demo sync --once` fills another run's store: the hint says wait."""
    from zen_tui.sync.stored import from_local_store

    with demo_session(tmp_path) as settings:
        why = from_local_store((), None, settings.sync_command).freshness.reason
    assert why == "not synced yet; wait for the first poll"
    assert "run `zen-tui sync --once`" in str(from_local_store((), None).freshness.reason)


HOLD_A_RUN = """
import sys, time
from pathlib import Path
from zen_tui.demo import run_folder
with run_folder(Path(sys.argv[1])) as folder:
    print(folder, flush=True)
    time.sleep(60)
"""


def hold_a_run(data_dir: Path) -> tuple[subprocess.Popen[str], Path]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_RUN, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


def test_a_killed_runs_folder_goes_at_the_next_start_a_live_ones_stays(tmp_path: Path) -> None:
    from zen_tui.demo import run_folder

    killed, killed_folder = hold_a_run(tmp_path)
    live, live_folder = hold_a_run(tmp_path)
    try:
        killed.kill()  # SIGKILL: its folder is never removed by itself
        killed.wait(timeout=10)
        assert killed_folder.is_dir()
        with run_folder(tmp_path) as mine:
            assert mine.is_dir() and live_folder.is_dir()
            assert not killed_folder.exists()
    finally:
        live.kill()
        live.wait(timeout=10)


def test_sigterm_ends_a_run_as_ctrl_c_does(tmp_path: Path) -> None:
    """`kill`, `timeout` or a service manager stop with SIGTERM: Python's default ended the
    process on the spot (the dashboard left the terminal in its alternate screen, `zen-tui
    sync` its records unmarked, the demo its run folder). It now ends as Ctrl-C does."""
    run = zen(tmp_path, "sync")
    assert run.stdout is not None
    assert "items" in run.stdout.readline()  # polling: the engine and its store are up
    run.terminate()
    _out, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "Traceback" not in err, err
    assert list((tmp_path / "demo").iterdir()) == []  # the run's end removed its folder
