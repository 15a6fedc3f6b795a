"""The Textual dashboard. The only package that imports Textual (imported lazily here so
headless commands that import `zen_tui.ui` for `run_dashboard` pay nothing until it runs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zen_tui.config import AccountConfig, Settings
    from zen_tui.sync.backend import Backend

DEMO_REQUESTED = 3  # exit code: the user chose "run the demo" on the welcome screen
INIT_REQUESTED = 4  # exit code: the user chose "write a starter config" there


def run_dashboard(
    backend: Backend,
    *,
    theme: str | None = None,
    keymap: dict[str, str] | None = None,
    theme_dirs: list[Path] | None = None,
    save_setting: Callable[[str, str], None] | None = None,
    demo_banner: str | None = None,
    accounts: list[AccountConfig] | None = None,
    settings: Settings | None = None,
    first_frame: Callable[[], None] | None = None,
) -> int:
    """Run the dashboard until the user quits. 0 on quit, DEMO_REQUESTED for the demo,
    INIT_REQUESTED for `zen-tui init`.
    `accounts` feeds the login screen (default: the engine's configured accounts); `settings`
    the `[ui]` options, the custom commands, the repo checkouts and the config file's path;
    `first_frame` is called once the first screen is painted."""
    from zen_tui.ui.app import DashboardOptions, ZenApp

    app = ZenApp(
        backend,
        theme=theme,
        keymap=keymap,
        theme_dirs=theme_dirs or [],
        settings_store=save_setting,
        demo_banner=demo_banner,
        accounts=accounts,
        options=DashboardOptions.from_settings(settings) if settings else None,
        first_frame=first_frame,
    )
    result = app.run()
    # Imported once the app is done: the welcome and help screens load when first shown.
    from zen_tui.ui.screens.info import DEMO_RESULT, INIT_RESULT

    if result == DEMO_RESULT:
        return DEMO_REQUESTED
    if result == INIT_RESULT:
        return INIT_REQUESTED
    return app.return_code or 0
