from __future__ import annotations

import webbrowser

import pytest

from zen_tui.auth.browser import has_gui_browser, try_open


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("linux", {}, False),  # console: webbrowser would start lynx in our terminal
        ("linux", {"DISPLAY": ":0"}, True),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, True),
        ("linux", {"BROWSER": "firefox"}, True),
        ("darwin", {}, True),
        ("win32", {}, True),
    ],
)
def test_gui_browser_detection(platform: str, environ: dict[str, str], expected: bool) -> None:
    assert has_gui_browser(platform, environ) is expected


async def test_try_open_reports_what_happened(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    assert await try_open(lambda url: opened.append(url) is None, "http://x/") is True
    assert opened == ["http://x/"]
    assert await try_open(None, "http://x/") is False

    def broken(url: str) -> bool:
        raise webbrowser.Error("could not locate runnable browser")

    assert await try_open(broken, "http://x/") is False
    monkeypatch.setattr("zen_tui.auth.browser.has_gui_browser", lambda: False)
    assert await try_open(webbrowser.open, "http://x/") is False  # never started
