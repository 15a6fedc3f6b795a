"""Start-up as a user meets it: a fresh process from exec to first paint, and the headless
commands from exec to exit, each against a baseline run in the same rounds.

- Dashboard first paint (empty store, and 10,000 items in SQLite) against a bare Textual app
  with Header, three DataTables and Footer (empty, and 10,000 rows in its tables). Both run
  headless in a child process; the time is the parent's, from spawn to the child's report,
  so interpreter start and imports count on both sides. The first paint is the first frame
  Textual hands its driver (what a terminal would show) once the screen shows the items:
  the dashboard with its pane holding all the stored rows, the bare app with its tables
  filled. The dashboard child runs what a user runs: the `zen-tui` console script
  (zen_tui/console.py: the garbage collector's choices, the CLI's main, argv, logging, the
  config file), with a GitHub, a Jira and a Slack account logged in through the
  keyring (a benchmark backend, bench_keyring) and pollers on; their servers refuse at once
  (127.0.0.1:9), so no network. Only App.run is wrapped, to run headless and report.
- "Settled": the same children until Textual's pilot finds the process idle (every thread),
  which for zen-tui includes loading the network stack after the first frame and the first
  polls. No goal: it is what the first paint no longer waits for.
- Peak RSS of those children once the start is over: the bare app when settled; zen-tui
  once every section has its first poll's answer (here an error after the retries, about
  5 s), so a peak in that answer's handling counts (a second copy of the 10,000 stored items
  did, unseen while the figure was taken when settled).
- Headless commands (`--help`, `list --json` with 10 items, `health`, `outbox`, an `act`
  refused by validation) against `python -c pass`, with the config and the store in the
  default folders, found as for a user who sets no ZEN_TUI_* variable (on Linux through
  XDG_CONFIG_HOME, XDG_DATA_HOME and XDG_CACHE_HOME, pointed into the run's temporary
  folder). They run as they do day to day: on a config whose parse was kept by an earlier
  run (zen_tui/config_cache.py; each command runs once before the rounds, so the first
  round's first command does not parse it alone); the first run after the config changed
  has its own row (`list`, the kept parse removed before each run; no goal); and, for
  scale, the stdlib modules such a command needs (FLOOR) against the same, and those with
  what zen-tui's design puts on every such path (FLOOR_DESIGN): the structural minimum. A
  plain `list`, `health` or `outbox` answers from the facts kept with the config's parse
  and the store as it is (zen_tui/cli.py `_quick`), so no msgspec, typing or argparse is
  on its path; the first run after a config change, and an account with a login in the
  environment, take the full path. An `act` refused by validation is answered before
  msgspec, the store and the log load. The floors run as the console script runs a
  store-only command: the garbage collector off, everything frozen before exit.

Rounds are interleaved (ours, baseline, ours, ...) so load from other processes hits both.
Run: .venv/bin/python benchmarks/startup.py [rounds] [commands]   (about a minute)
`commands` measures the headless commands only (many rounds in little time): their rows are
replaced, the first paint's stay as they were last measured.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a fresh clone
sys.path.insert(0, str(ROOT / "benchmarks"))

ROWS = 10_000
SOME = 1_000  # `list`'s streaming is measured against this many items, on the same path
PAINTED = "painted"
FRAME = "frame"
PEAK = "peak"  # the child's peak RSS, once its start is over
POLLS = "polls"  # a zen child's last argument: report PEAK after the first polls
KEYRING = "PYTHON_KEYRING_BACKEND"  # the dashboard children's logins (bench_keyring)
CONFIG = """
[[accounts]]
name = "github"
service = "github"

[[sections]]
pane = "prs"
title = "Review requested"
account = "github"
query = "is:pr is:open review-requested:@me"
"""


# What a command that reads the config and the store cannot do without, whoever writes it:
# JSON and SQLite (a plain command line is read without argparse: zen_tui/plain_argv.py). Its
# time against `python -c pass` is the floor under the headless commands' ratios. Not in it:
# tomllib, which a run whose config is unchanged since the last does without
# (zen_tui/config_cache.py keeps the parse as JSON; tomllib's import compiles a dozen regular
# expressions: ~11 M instructions in a command, ~36 M by itself); the first run after a change
# pays it (the "first run" row below); what is one way among others to do the job (msgspec or
# dataclasses for records, typing at run time, argparse) and what zen-tui does without:
# logging, until a command has something to log (zen_tui/lazy_log.py: `list`, `health` and
# `outbox` usually have not; ~7 ms), logging.handlers (the log rotates in logs.py), shutil for
# argparse's help width, platformdirs on Linux.
# Run as the console script runs a store-only command (zen_tui/console.py): the garbage
# collector off from the start, everything frozen before exit; whoever writes such a command
# can make that choice, so the floors make it too.
FLOOR_IMPORTS = "import json, sqlite3"
COLLECTOR_OFF, FROZEN_AT_EXIT = "import gc; gc.disable(); ", "; gc.freeze()"
FLOOR = COLLECTOR_OFF + FLOOR_IMPORTS + FROZEN_AT_EXIT
FLOOR_NAME = f"stdlib floor: `{FLOOR_IMPORTS}`, collector off"
# The floor plus what zen-tui's design puts on the quick path of these commands (cli._quick):
# pathlib (every path is a Path). No such command can start faster than this without
# changing that choice; what a command costs above it is zen-tui's own: its modules, reading
# the kept facts and the store, writing the answer.
FLOOR_DESIGN = COLLECTOR_OFF + FLOOR_IMPORTS + ", pathlib" + FROZEN_AT_EXIT
FLOOR_DESIGN_NAME = "structural floor: the stdlib floor + `pathlib`"


# -- the children -----------------------------------------------------------------------------
def child_bare(rows: int) -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Header

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            for _ in range(3):
                yield DataTable()
            yield Footer()

        def on_mount(self) -> None:
            for table in self.query(DataTable):
                table.add_columns("id", "title", "author", "updated")
            first = self.query(DataTable).first()
            first.add_rows((f"#{n}", f"item {n}", "me", "1h") for n in range(rows))
            self.filled = True

    async def ready(pilot: object) -> None:
        await pilot.pause()  # type: ignore[attr-defined]
        _report_painted()
        _report_peak()
        app.exit()

    _report_first_frame(lambda app: getattr(app, "filled", False))
    app = Bare()
    app.run(headless=True, size=(120, 40), auto_pilot=ready)


def child_zen(data_dir: Path, rows: int, polls: bool = False) -> None:
    """`zen-tui --config DATA/config.toml --data-dir DATA`, headless, reporting its first
    paint: the dashboard showing the stored items; with `polls`, its peak RSS once every
    section has its first poll's answer. Textual is loaded before the first paint either way;
    wrapping its App.run first changes nothing zen-tui does (loading it here, with the
    collector on, costs zen-tui a little: the console script loads it with it off)."""
    from textual.app import App

    run = App.run

    def headless(app: App[object], *args: object, **kwargs: object) -> object:
        return run(app, headless=True, size=(120, 40), auto_pilot=ready)

    async def ready(pilot: object) -> None:
        from zen_tui.ui.screens.dashboard import DashboardScreen
        from zen_tui.ui.widgets.item_list import ItemList

        app = pilot.app  # type: ignore[attr-defined]
        while not (
            isinstance(app.screen, DashboardScreen)
            and app.screen.query_one("#list-prs", ItemList).total == rows
        ):
            await pilot.pause(0)  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]
        _report_painted()
        engine = app.backend  # the real SyncEngine: a section's snapshot is its last answer
        while polls and any(engine.snapshot(s.id) is None for s in engine.sections):
            await pilot.pause(0.05)  # type: ignore[attr-defined]
        _report_peak()
        app.exit()

    def dashboard_shown(app: App[object]) -> bool:
        screen = app.screen
        if type(screen).__name__ != "DashboardScreen":
            return False
        return bool(screen.query_one("#list-prs").total == rows)  # type: ignore[attr-defined]

    App.run = headless  # type: ignore[method-assign,assignment]
    _report_first_frame(dashboard_shown)
    # The console script, as `zen-tui` runs it (its collector choices: zen_tui/console.py)
    from zen_tui.console import run as zen_tui

    sys.argv = ["zen-tui", "--config", str(data_dir / "config.toml"), "--data-dir", str(data_dir)]
    zen_tui()


def peak_rss_kib() -> int:
    """This address space's peak RSS (VmHWM). Not getrusage's ru_maxrss: that survives exec,
    so a child would report the (larger) parent it was forked from."""
    status = Path("/proc/self/status").read_text(encoding="ascii")
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1])


def _report_painted() -> None:
    os.write(1, f"{PAINTED}\n".encode())


def _report_peak() -> None:
    os.write(1, f"{PEAK} {peak_rss_kib()}\n".encode())


def _report_first_frame(shown: Callable[[Any], bool]) -> None:
    """Report the first frame Textual composes once `shown(app)` holds (App._display: the
    frame a terminal would get). The pilot's report comes later: it also waits for the
    process to go idle (wait_for_idle measures the CPU of every thread), so work the app
    starts after its first frame (zen-tui's first polls) counts there, not here."""
    from textual.app import App

    display = App._display
    done = False

    def first(app: App[object], screen: object, renderable: object) -> None:
        nonlocal done
        display(app, screen, renderable)  # type: ignore[arg-type]
        if not done and renderable is not None and shown(app):
            done = True
            os.write(1, f"{FRAME}\n".encode())

    App._display = first  # type: ignore[method-assign,assignment]


# -- the parent -------------------------------------------------------------------------------
def paint(*child_args: str) -> tuple[float, float, float]:
    """(seconds from spawn to the child's first frame, to its first paint as the pilot sees
    it, its peak RSS in MiB once its start is over)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", *child_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    frame = elapsed = None
    for line in proc.stdout:
        if line.startswith(FRAME.encode()):
            frame = time.perf_counter() - start
        elif line.startswith(PAINTED.encode()):
            elapsed = time.perf_counter() - start
        elif line.startswith(PEAK.encode()):
            rss = int(line.split()[1]) / 1024
            break
    else:
        raise RuntimeError(f"child {child_args} never reported its peak RSS")
    proc.wait(timeout=60)
    if frame is None or elapsed is None:
        raise RuntimeError(f"child {child_args} reported no first frame or paint")
    return frame, elapsed, rss


def run_command(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, capture_output=True, check=False, timeout=60)
    return time.perf_counter() - start


def run_cli_rss(argv: list[str], env: dict[str, str]) -> float:
    """Peak RSS in MiB of `zen-tui ARGV` run through the CLI's main in a fresh process."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", "cli", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=True,
        timeout=120,
    )
    return int(done.stderr.decode().split()[-1]) / 1024


def child_cli(argv: list[str]) -> None:
    from zen_tui.cli import main

    main(argv)
    sys.stdout.flush()
    os.write(2, f"\n{peak_rss_kib()}\n".encode())


def measure_paint(root: Path, rounds: int) -> list[object]:
    from local_store import make_store, write_config
    from results import figure

    from zen_tui.config import load_settings

    empty, full = root / "empty", root / "full"
    for folder, rows in ((empty, 0), (full, ROWS)):
        folder.mkdir()
        config = write_config(folder / "config.toml")
        make_store(folder, rows, load_settings(config, folder, must_exist=True))
    samples: dict[str, list[tuple[float, float, float]]] = {k: [] for k in ("ze", "zf", "be", "bf")}
    paint("bare", "0"), paint("zen", str(empty), "0")  # warm the OS file cache
    for _ in range(rounds):
        samples["ze"].append(paint("zen", str(empty), "0"))
        samples["be"].append(paint("bare", "0"))
        samples["zf"].append(paint("zen", str(full), str(ROWS), POLLS))
        samples["bf"].append(paint("bare", str(ROWS)))
    frame = {k: [t * 1000 for t, _, _ in v] for k, v in samples.items()}
    ms = {k: [t * 1000 for _, t, _ in v] for k, v in samples.items()}
    rss = {k: [r for _, _, r in v] for k, v in samples.items()}
    bare_app, bare_10k = "bare 3-pane Textual app, empty", f"bare app, {ROWS:,} DataTable rows"
    return [
        figure("dashboard first paint, empty store", "ms", frame["ze"], frame["be"], bare_app, 1.5),
        figure(
            f"dashboard first paint, {ROWS:,} items", "ms", frame["zf"], frame["be"], bare_app, 2.0
        ),
        figure(
            f"dashboard first paint, {ROWS:,} items", "ms", frame["zf"], frame["bf"], bare_10k, 0.6
        ),
        figure(
            f"peak RSS, {ROWS:,} items, first polls answered",
            "MiB",
            rss["zf"],
            rss["bf"],
            bare_10k,
            1.25,
        ),
        figure(
            "dashboard settled (network loaded, first polls), empty store",
            "ms",
            ms["ze"],
            ms["be"],
            bare_app,
        ),
        figure(f"dashboard settled, {ROWS:,} items", "ms", ms["zf"], ms["bf"], bare_10k),
    ]


HEADLESS = {
    "`zen-tui --help`": ["--help"],
    "`zen-tui list prs --json`, 10 items": ["list", "prs", "--json"],
    "`zen-tui health`": ["health"],
    "`zen-tui outbox`": ["outbox"],
    "`zen-tui act` refused by validation": ["act", "approve", "github:not-an-id"],
}


LIST_ARGV = HEADLESS["`zen-tui list prs --json`, 10 items"]
FIRST_RUN_NAME = "`zen-tui list prs --json`, 10 items, first run after a config change"


def headless_setup(root: Path) -> tuple[list[str], dict[str, str]]:
    """The headless commands' world in `root`: a store of 10 items and the config, found as
    for a user with no ZEN_TUI_* variable. Returns how to run `zen-tui` and its environment."""
    from local_store import make_store

    data = root / "ten"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZEN_TUI_", "XDG_", KEYRING))}
    config = root / "config.toml"
    if sys.platform == "linux":  # the default folders, found as for a user with no ZEN_TUI_*
        env |= {"XDG_CONFIG_HOME": str(root / "xdg-config"), "XDG_DATA_HOME": str(root)}
        env |= {"XDG_CACHE_HOME": str(root / "xdg-cache")}
        config, data = root / "xdg-config" / "zen-tui" / "config.toml", root / "zen-tui"
        config.parent.mkdir(parents=True)
    else:
        env |= {"ZEN_TUI_CONFIG": str(config), "ZEN_TUI_DATA_DIR": str(data)}
        env |= {"ZEN_TUI_CACHE_DIR": str(root / "cache")}
    make_store(data, 10)
    config.write_text(CONFIG, encoding="utf-8")
    script = Path(sys.executable).with_name("zen-tui")  # what a user runs, when installed
    zen = [str(script)] if script.exists() else [sys.executable, "-m", "zen_tui"]
    return zen, env | _this_tree(env)


def _this_tree(env: dict[str, str]) -> dict[str, str]:
    """PYTHONPATH=ROOT where the interpreter would import another tree's zen_tui (run from a
    second git worktree of a checkout installed editable): the figures are this tree's. Not
    set otherwise, so the usual run's children find everything where a user's do."""
    where = subprocess.run(
        [sys.executable, "-c", "import zen_tui; print(zen_tui.__file__)"],
        env=env,
        cwd=ROOT.parent,  # not ROOT: `-c` would put it first on the path
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    mine = str(ROOT / "zen_tui" / "__init__.py")
    return {} if where == mine else {"PYTHONPATH": str(ROOT)}


def forget_config_parse(env: dict[str, str]) -> None:
    """Remove the config's kept parse: the next command runs as the first after a change."""
    from zen_tui import config_cache

    file = config_cache.cache_file(env)
    if file is not None:
        file.unlink(missing_ok=True)


def measure_commands(root: Path, rounds: int) -> list[object]:
    from results import figure

    zen, env = headless_setup(root)
    commands = HEADLESS
    base: list[float] = []
    floor: list[float] = []
    floor_design: list[float] = []
    ours: dict[str, list[float]] = {name: [] for name in commands}
    first_run: list[float] = []
    for argv in commands.values():  # day to day: the config's parse kept by an earlier run
        run_command([*zen, *argv], env)
    for _ in range(rounds):
        for name, argv in commands.items():
            base.append(run_command([sys.executable, "-c", "pass"], env) * 1000)
            ours[name].append(run_command([*zen, *argv], env) * 1000)
        forget_config_parse(env)
        first_run.append(run_command([*zen, *LIST_ARGV], env) * 1000)  # keeps it again
        floor.append(run_command([sys.executable, "-c", FLOOR], env) * 1000)
        floor_design.append(run_command([sys.executable, "-c", FLOOR_DESIGN], env) * 1000)
    figures = [figure(n, "ms", v, base, "`python -c pass`", 4.0) for n, v in ours.items()]
    figures.append(figure(FIRST_RUN_NAME, "ms", first_run, base, "`python -c pass`"))
    figures.append(figure(FLOOR_NAME, "ms", floor, base, "`python -c pass`"))
    figures.append(figure(FLOOR_DESIGN_NAME, "ms", floor_design, base, "`python -c pass`"))
    return figures + measure_list_memory(root, zen, env, rounds)


def measure_list_memory(root: Path, zen: list[str], env: dict[str, str], rounds: int) -> list:
    """`list --json` streams: its peak RSS with 10,000 items against the same with 1,000 (goal:
    constant memory per item), and against the same with 10, for scale. Past
    list_items.QUICK_MOST items the full path answers (msgspec's decoder is the faster there),
    so 1,000 and 10,000 are both the full path's, while 10 items are the quick lane's, which
    loads no records: that ratio holds the records' ~4.6 MiB too, not memory per item."""
    from local_store import make_store
    from results import figure

    argv = ["list", "prs", "--json"]
    stores = {}
    for count in (SOME, ROWS):
        make_store(root / f"items-{count}", count)
        stores[count] = env | {"ZEN_TUI_DATA_DIR": str(root / f"items-{count}")}
    stores[10] = env
    runs = stores.items()
    rss = {n: [run_cli_rss(argv, e) for _ in range(rounds)] for n, e in runs}
    ms = {n: [run_command([*zen, *argv], e) * 1000 for _ in range(rounds)] for n, e in runs}
    name = f"`zen-tui list prs --json`, {ROWS:,} items"
    some, ten = f"the same with {SOME:,} items", "the same with 10 items (the quick lane)"
    return [
        figure(f"{name}: peak RSS", "MiB", rss[ROWS], rss[SOME], some, 1.25),
        figure(f"{name}: peak RSS", "MiB", rss[ROWS], rss[10], ten),
        figure(f"{name}: time", "ms", ms[ROWS], ms[SOME], some),
    ]


def compile_bytecode() -> None:
    """Byte-compile zen_tui first, as `pip install` does: with PYTHONDONTWRITEBYTECODE set (or a
    fresh clone) every child would otherwise compile ~100 modules from source, a cost no
    installed copy pays and the baseline (Textual, already compiled in site-packages) never
    pays either."""
    import compileall

    compileall.compile_dir(ROOT / "zen_tui", quiet=1)


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        kind, *rest = sys.argv[2:]
        if kind == "bare":
            child_bare(int(rest[0]))
        elif kind == "cli":
            child_cli(rest)
        else:
            child_zen(Path(rest[0]), int(rest[1]), rest[2:] == [POLLS])
        return 0
    from results import count_arg, record

    rounds = count_arg(sys.argv, 7)
    commands_only = sys.argv[2:] == ["commands"]
    if sys.argv[2:] and not commands_only:
        raise SystemExit(f"usage: python startup.py [ROUNDS] [commands], not {sys.argv[2:]!r}")
    # Every account is logged in (children inherit this); the keyring is never written.
    os.environ[KEYRING] = "bench_keyring.LoggedIn"
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="zen-startup-bench-") as tmp:
        # The config's kept parse (zen_tui/config_cache.py) goes here, not in the user's cache
        # folder: the dashboard children find the one measure_paint's load_settings kept.
        os.environ["ZEN_TUI_CACHE_DIR"] = str(Path(tmp) / "cache")
        paint = [] if commands_only else measure_paint(Path(tmp), rounds)
        figures = paint + measure_commands(Path(tmp), rounds)
    record("startup", figures, partial=commands_only)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
