"""`zen-tui [dashboard]` and `zen-tui --demo`: build the sync engine and open the Textual UI.

With --demo the CLI has already started the simulator in this process and handed us settings
that point at it (demo accounts carry the simulator's tokens in memory). Textual is imported
only here, inside run(), so the headless commands never load it.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine loads when the dashboard opens, not for `zen-tui --help`
    from zen_tui.config import Settings
    from zen_tui.sync.engine import SyncEngine

THEME_KEY = "theme"
HELP = "open the dashboard (the default command)"


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """No options of its own: the global ones (--demo, --config, ...) are all it takes."""


def run(args: argparse.Namespace, settings: Settings) -> int:
    """With no accounts the UI shows its welcome screen; choosing the demo there returns
    DEMO_REQUESTED and we rerun against an in-process simulator; choosing "set up" returns
    INIT_REQUESTED: `zen-tui init` asks its questions in the terminal, then the UI reopens
    with the config it wrote."""
    from zen_tui.collector import resume_collection
    from zen_tui.ui import DEMO_REQUESTED, INIT_REQUESTED

    demo = bool(args.demo)
    code = _open(settings, demo)
    resume_collection()  # on from here whatever happened (done at the first frame)
    if code == DEMO_REQUESTED and not demo:
        return run_demo(Path(settings.data_dir))
    if code == INIT_REQUESTED and not demo:
        return run_init(args, settings)
    return code


def run_init(args: argparse.Namespace, settings: Settings) -> int:
    from zen_tui import paths
    from zen_tui.commands import init
    from zen_tui.config import load_settings

    init_args = argparse.Namespace(
        config=args.config, yes=False, force=False, jira_url=None, jira_email=None
    )
    code = init.run(init_args)
    if code != 0:
        return code
    path = paths.config_path(args.config)
    return _open(load_settings(path, Path(settings.data_dir), must_exist=True), demo=False)


def run_demo(data_dir: Path) -> int:
    """The simulator (tour scenario, live activity, webhooks) in this process, and the UI."""
    from zen_tui import demo

    with demo.demo_session(data_dir, demo.DEMO_SCENARIO, webhooks=True) as settings:
        return _open(settings, demo=True)


def _open(settings: Settings, demo: bool) -> int:
    from zen_tui.sync.engine import SyncEngine
    from zen_tui.ui import run_dashboard  # Textual: imported only for the dashboard
    from zen_tui.wiring import build_local, connect, credentials_for

    # The first screen needs only the store; the gateways, the service clients and their
    # request stack (httpx, TLS, the keyring) are built when the engine starts, which the UI
    # does once that screen is painted: each account on its own, with one token chain.
    wired = build_local(settings)
    tokens = credentials_for(settings.accounts)
    engine = SyncEngine(
        wired, connect=functools.partial(connect, wired, credentials=tokens), role="the dashboard"
    )
    store = engine.store
    banner: str | None = None
    if demo:  # the demo's module (the simulator's set-up) loads for a demo only
        from zen_tui.demo import DEMO_BANNER

        banner = DEMO_BANNER
    try:
        return int(
            run_dashboard(
                engine,
                theme=store.get_setting(THEME_KEY) or settings.ui.theme,
                keymap=dict(settings.ui.keymap),
                theme_dirs=theme_dirs(settings),
                save_setting=store.set_setting,
                demo_banner=banner,
                accounts=list(settings.accounts),
                settings=settings,
                first_frame=_first_frame,
            )
        )
    finally:
        _shutdown(engine)


def _first_frame() -> None:
    """The console script keeps the collector off through the dashboard's start (Textual,
    the UI, the engine, the first screen: ~a fifth of its time went to walking what it
    built, which lives until exit); on with all that frozen once the first frame is out. A
    no-op where the collector is on (zen_tui/console.py)."""
    from zen_tui.collector import resume_after_start

    resume_after_start()


def theme_dirs(settings: Settings) -> list[Path]:
    """The user's own theme folder: beside the config file, else in the data folder."""
    base = settings.config_path.parent if settings.config_path else Path(settings.data_dir)
    return [base / "themes"]


def _shutdown(engine: SyncEngine) -> None:
    """The UI normally awaits backend.stop(); make sure the store is closed either way."""
    if engine.closed:
        return
    import asyncio

    with contextlib.suppress(Exception):
        asyncio.run(engine.stop())
