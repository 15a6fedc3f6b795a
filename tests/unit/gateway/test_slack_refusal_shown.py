"""A Slack ok:false answer's code is server text: the health screen shows it as data (no
markup, no terminal control, cut to a line's length), whatever Slack or a proxy put there;
and only the answer Slack gave is counted, not a cached copy a later read is served."""

from __future__ import annotations

import httpx
import pytest
from rich.style import Style
from rich.text import Text

from tests.hostile_text import ALL, forbidden_in
from zen_tui.gateway.events import RequestDone
from zen_tui.text_safety import clean
from zen_tui.ui.health_model import HealthModel
from zen_tui.ui.screens.health import error_lines

from .conftest import Recorder


@pytest.mark.parametrize("code", ALL)
async def test_a_hostile_error_code_is_counted_and_shown_inert(
    make_gateway, recorder: Recorder, code: str
) -> None:
    def slack(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": False, "error": code})

    gateway = make_gateway(service="slack", account="work", handler=slack)
    await gateway.request("GET", "/conversations.history", endpoint="conversations.history")
    model = HealthModel()
    for event in recorder.events:
        model.apply(event)
    [record] = model.errors
    assert (record.status, record.error) == (200, f"slack: {code}")  # kept as said
    shown = Text()
    error_lines(shown, record, 0.0, Style())
    assert not forbidden_in(shown.plain), shown.plain  # no terminal control
    assert f"slack: {clean(code)}" in shown.plain  # the code as text: markup stays literal
    assert gateway.health().errors == 1


async def test_the_copy_a_cache_hit_serves_is_no_second_failure(make_gateway, recorder) -> None:
    """users.info is cached (user_info): Slack said `user_not_found` once; a read the cache
    answers asks nothing, so the figures count one failed call, not two."""
    calls = 0

    def slack(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, json={"ok": False, "error": "user_not_found"})

    gateway = make_gateway(service="slack", account="work", handler=slack)
    for _ in range(2):
        await gateway.request(
            "GET",
            "/users.info",
            endpoint="users.info",
            params={"user": "U1"},
            cache_type="user_info",
        )
    done = recorder.of(RequestDone)
    assert calls == 1 and [e.cache for e in done] == ["miss", "hit"]
    assert [e.error for e in done] == ["slack: user_not_found", None]
    assert gateway.health().errors == 1
