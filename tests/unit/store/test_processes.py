"""Real processes on one real file: kill -9 mid-write, concurrent readers and writers, and
an item one process learns is gone staying gone for the other."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from zen_tui.models import ActionState
from zen_tui.store import Store

from .conftest import make_pr

REPO = Path(__file__).resolve().parents[3]

# Adds outbox entries as fast as it can; reports each id only after its call returned. Each
# line is one os.write() of under PIPE_BUF bytes, so a kill lands before or after a whole line:
# print() is one write() per argument and separator when PYTHONUNBUFFERED is set (as it may be
# in CI), and a kill between them left a torn last line.
WRITER = textwrap.dedent(
    """
    import os, sys
    from zen_tui.models import Action, ActionState
    from zen_tui.store import Store

    def report(what, entry_id):
        os.write(1, f"{what} {entry_id}\\n".encode())

    store = Store.open(sys.argv[1])
    tag, count = sys.argv[2], int(sys.argv[3])
    for n in range(count):
        action = Action("comment", f"gh:o/r#{n}", "gh", {"body": "x" * 500})
        entry = store.outbox_add(action, idempotency_key=f"{tag}-{n}")
        report("added", entry.id)
        store.outbox_update(entry.id, state=ActionState.SENDING, attempt=True)
        report("sending", entry.id)
    """
)


def spawn_writer(path: Path, tag: str, count: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), tag, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def parse(text: str) -> list[tuple[str, str]]:
    """("added" | "sending", entry id) per output line. The writer never tears a line (see
    WRITER), so a fragment means the reading side lost part of the output."""
    pairs = []
    for line in text.splitlines(keepends=True):
        words = line.split()
        assert line.endswith("\n") and len(words) == 2, f"torn output line {line!r}"
        pairs.append((words[0], words[1]))
    return pairs


def test_sigkill_mid_write_keeps_every_reported_entry(db_path: Path) -> None:
    reported: list[tuple[str, str]] = []
    for round_ in range(3):  # later rounds reopen a file whose writer was just killed
        with spawn_writer(db_path, f"r{round_}", 1_000_000) as child:
            assert child.stdout is not None and child.stderr is not None
            while len(reported) < 60 * (round_ + 1):
                line = child.stdout.readline()
                assert line, f"writer died early: {child.stderr.read()}"
                reported += parse(line)
            os.kill(child.pid, signal.SIGKILL)
            # Lines still in the pipe were written after a commit too. Read them through
            # child.stdout, not communicate(): communicate() reads the raw pipe, skipping what
            # readline() already buffered ahead, so it began mid-line and lost those lines.
            reported += parse(child.stdout.read())
            assert child.wait(timeout=30) == -signal.SIGKILL

    raw = sqlite3.connect(db_path)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()
    with Store.open(db_path) as store:
        assert store.recovered is None
        for what, entry_id in reported:
            entry = store.outbox_get(entry_id)
            assert entry is not None, f"{what} {entry_id} was reported committed but is gone"
            if what == "sending":
                assert entry.state is ActionState.SENDING and entry.attempts == 1
        seqs = [e.seq for e in store.outbox_by_state()]
        assert seqs == sorted(set(seqs))


def test_two_processes_see_each_others_writes(db_path: Path) -> None:
    with Store.open(db_path) as mine:
        mine.set_setting("from-parent", "1")
        script = textwrap.dedent(
            """
            import sys
            from zen_tui.store import Store
            with Store.open(sys.argv[1]) as store:
                print(store.get_setting("from-parent"))
                store.set_setting("from-child", "2")
            """
        )
        out = subprocess.run(
            [sys.executable, "-c", script, str(db_path)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=60,
            check=True,
        )
        assert out.stdout.strip() == "1"
        assert mine.get_setting("from-child") == "2"  # seen without reopening


def test_concurrent_writers_wait_for_each_other_instead_of_failing(db_path: Path) -> None:
    Store.open(db_path).close()  # create the schema once, so both children just write
    children = [spawn_writer(db_path, tag, 100) for tag in ("a", "b")]
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    with Store.open(db_path) as store:
        entries = store.outbox_by_state(ActionState.SENDING)
        assert len(entries) == 200
        assert len({e.seq for e in entries}) == 200
        assert {e.idempotency_key.split("-")[0] for e in entries} == {"a", "b"}


def test_a_gone_learnt_in_another_process_drops_an_answer_requested_before(
    db_path: Path,
) -> None:
    """Two real processes and their own wall clocks: the child learns the PR is gone (at its
    time.time()) while the parent's answer, requested before, is in flight; that answer lands
    without the PR. One the parent requests after the child's gone brings it back."""
    pr = make_pr(1)
    script = textwrap.dedent(
        """
        import sys, time
        from zen_tui.store import Store
        with Store.open(sys.argv[1]) as store:
            at = time.time()
            store.forget_items([sys.argv[2]], at=at)
            print(repr(at))
        """
    )
    with Store.open(db_path) as mine:
        mine.save_section("s", [pr], time.time())
        requested = time.time()  # the parent's poll goes out; its answer is in flight
        out = subprocess.run(
            [sys.executable, "-c", script, str(db_path), pr.id],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=60,
            check=True,
        )
        learnt = float(out.stdout)
        assert requested < learnt and mine.load_section("s")[0] == []
        assert mine.save_section("s", [pr], requested) == []
        assert mine.upsert_items("s", [pr], requested) == []
        assert mine.load_section("s")[0] == []
        again = time.time()
        assert again > learnt
        assert mine.upsert_items("s", [pr], again) == [pr]
