"""The UI's entry point and import hygiene."""

from __future__ import annotations

import subprocess
import sys

from tests.fakes.backend import FakeBackend
from zen_tui.ui import DEMO_REQUESTED, run_dashboard
from zen_tui.ui.app import ZenApp
from zen_tui.ui.widgets.item_list import ItemList

from .conftest import make_app


def test_pure_ui_modules_do_not_import_textual() -> None:
    code = (
        "import sys, zen_tui.ui, zen_tui.ui.triage, zen_tui.ui.health_model, "
        "tests.fakes.backend; print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_run_dashboard_passes_settings_and_maps_the_demo_choice(monkeypatch) -> None:
    seen: dict[str, object] = {}

    def fake_run(self: ZenApp) -> str:
        seen.update(theme=self._wanted_theme, store=self.settings_store, banner=self.demo_banner)
        return "demo"

    monkeypatch.setattr(ZenApp, "run", fake_run)
    store = lambda k, v: None  # noqa: E731
    code = run_dashboard(FakeBackend(), theme="zen-light", save_setting=store, demo_banner="demo!")
    assert code == DEMO_REQUESTED
    assert seen == {"theme": "zen-light", "store": store, "banner": "demo!"}


async def test_narrow_terminal_stacks_panes_and_tab_moves_between_them() -> None:
    async with make_app().run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        prs, issues = (
            pilot.app.screen.query_one(f"#list-{p}", ItemList) for p in ("prs", "issues")
        )
        assert prs.display and prs.region.height > 3 and issues.region.height == 0
        await pilot.press("tab")
        await pilot.pause()
        assert pilot.app.focused is issues
        assert issues.region.height > 3 and prs.region.height == 0
        assert not pilot.app.screen.query_one("#preview").region.width
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen.query_one("#preview").region.width > 0
