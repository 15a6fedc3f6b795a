"""The console script's process-wide choice (zen_tui/console.py): a command that only reads the
store runs with the cyclic garbage collector off; every other command turns it back on as it
starts; at exit what is still alive is frozen, so the interpreter's last collection has nothing
to walk. Each case runs in a fresh interpreter, through the real console entry."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.backend import DEFAULT_SECTIONS, FROZEN_NOW, make_items
from zen_tui import console, paths
from zen_tui.store import Store

from .conftest import headless_env

# Counts the collections that start while the command runs; atexit handlers run after
# console.run froze what was alive, before the interpreter's last collection.
PROBE = """
import atexit, gc, importlib, json, sys
started = []
gc.callbacks.append(lambda phase, info: phase == "start" and started.append(info["generation"]))
def report():
    report = {{"collections": len(started), "frozen": gc.get_freeze_count()}}
    sys.__stderr__.write("\\nREPORT " + json.dumps(report) + "\\n")
atexit.register(report)
stand_in = {stand_in!r}
if stand_in:  # the command's own run, replaced: what it sees of the collector
    def run(args, settings):
        sys.__stdout__.write(json.dumps({{"enabled": gc.isenabled()}}) + "\\n")
        return 3
    module = importlib.import_module("zen_tui.commands." + stand_in)
    module.run = run
{entry}
"""
# The count starts with the entry's call: importing the package before it collects as usual.
CONSOLE = "from zen_tui.console import run\nstarted.clear()\nrun()\n"
PLAIN_MAIN = "import zen_tui\nstarted.clear()\nfrom zen_tui.cli import main\nsys.exit(main())\n"


def run_probe(
    tmp_path: Path, argv: list[str], *, entry: str = CONSOLE, stand_in: str = ""
) -> tuple[subprocess.CompletedProcess[str], dict[str, int]]:
    probe = PROBE.format(stand_in=stand_in, entry=entry)
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        capture_output=True,
        text=True,
        env=headless_env(tmp_path),
        timeout=60,
        check=False,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("REPORT "))
    return done, json.loads(line.removeprefix("REPORT "))


def stored_prs(tmp_path: Path, count: int) -> None:
    template = next(s for s in DEFAULT_SECTIONS if s.pane == "prs")
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        store.save_section("prs:0:gh", make_items(template, count, seed=7), FROZEN_NOW)


def test_list_runs_without_a_collection_and_exits_with_everything_frozen(
    tmp_path: Path,
) -> None:
    stored_prs(tmp_path, 200)
    done, report = run_probe(tmp_path, ["list", "prs", "--json"])
    assert done.returncode == 0, done.stderr
    (section,) = json.loads(done.stdout)["sections"]
    assert len(section["items"]) == 200
    assert report["collections"] == 0
    assert report["frozen"] > 10_000  # modules, classes, records: not walked at exit


def test_the_same_list_through_main_alone_collects(tmp_path: Path) -> None:
    """What the console's choice saves: the same command, started without it, collects."""
    stored_prs(tmp_path, 200)
    done, report = run_probe(tmp_path, ["list", "prs", "--json"], entry=PLAIN_MAIN)
    assert done.returncode == 0, done.stderr
    assert report["collections"] > 0
    assert report["frozen"] == 0


@pytest.mark.parametrize(
    ("argv", "module"),
    [(["sync"], "sync"), (["--demo", "list", "prs"], "list_items")],
    ids=["sync", "demo list"],
)
def test_a_command_that_runs_long_collects_from_its_start(
    tmp_path: Path, argv: list[str], module: str
) -> None:
    done, report = run_probe(tmp_path, argv, stand_in=module)
    assert done.returncode == 3, done.stderr  # the command's status is the process's
    assert json.loads(done.stdout.splitlines()[-1]) == {"enabled": True}
    assert report["frozen"] > 0  # what start-up built, frozen as the collector came back


def test_a_store_only_command_keeps_the_collector_off(tmp_path: Path) -> None:
    done, _ = run_probe(tmp_path, ["health"], stand_in="health")
    assert done.returncode == 3, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"enabled": False}


def test_resume_collection_leaves_a_running_collector_alone() -> None:
    """In-process callers of cli.main (the tests) keep their collector as it is."""
    frozen = gc.get_freeze_count()
    console.resume_collection()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_resume_collection_freezes_then_turns_the_collector_on() -> None:
    gc.disable()
    try:
        console.resume_collection()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()


# The dashboard's window, stood in for: what the collector is while it opens and once its
# first frame is out (the hook the dashboard command hands it).
DASHBOARD = """
import zen_tui.ui
def run_dashboard(backend, *, first_frame=None, **_):
    seen = {"opening": gc.isenabled(), "frozen": gc.get_freeze_count()}
    first_frame()
    seen.update(painted=gc.isenabled(), frozen_then=gc.get_freeze_count())
    sys.__stdout__.write(json.dumps(seen) + "\\n")
    return 0
zen_tui.ui.run_dashboard = run_dashboard
"""


def test_the_dashboard_starts_with_the_collector_off_and_turns_it_on_at_its_first_frame(
    tmp_path: Path,
) -> None:
    """Textual, the UI, the engine and the first screen are built with nothing walking them;
    at the first frame what they built is frozen and the collector comes back."""
    done, _ = run_probe(tmp_path, [], entry=DASHBOARD + CONSOLE)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["opening"] is False and seen["frozen"] == 0
    assert seen["painted"] is True and seen["frozen_then"] > 10_000
