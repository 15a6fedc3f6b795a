"""A Slack ok:false answer's code is server text: the health screen shows it as data (no
markup, no terminal control, cut to a line's length), whatever Slack or a proxy put there;
and only the answer Slack gave is counted, not a cached copy a later read is served."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from rich.style import Style
from rich.text import Text

from tests.hostile_text import ALL, forbidden_in
from zen_tui.gateway import Gateway
from zen_tui.gateway.cache import make_entry
from zen_tui.gateway.events import RequestDone
from zen_tui.text_safety import clean
from zen_tui.ui.health_model import HealthModel
from zen_tui.ui.screens.health import error_lines

from .conftest import Recorder
from .test_cache import DictPersistentCache


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


def users_info(answers: list[dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    """Slack's users.info answering each of `answers` in turn (the last one from then on)."""

    def slack(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers.pop(0) if len(answers) > 1 else answers[0])

    return slack


NOT_FOUND = {"ok": False, "error": "user_not_found"}
FOUND = {"ok": True, "user": {"id": "U1", "name": "ada"}}


async def read_user(gateway: Gateway) -> Any:
    return await gateway.request(
        "GET", "/users.info", endpoint="users.info", params={"user": "U1"}, cache_type="user_info"
    )


async def test_a_refusal_is_not_kept_the_next_read_sees_the_user(make_gateway, recorder) -> None:
    """users.info is cached an hour (user_info): Slack's `user_not_found` for a user just
    created was kept and answered every read for that hour. A refusal is no data: the next
    read asks Slack and sees the user, which is then kept. Each answer Slack gave is counted
    once: one failed call, not none (hidden) nor two."""
    gateway = make_gateway(service="slack", account="work", handler=users_info([NOT_FOUND, FOUND]))
    first, second, third = [await read_user(gateway) for _ in range(3)]

    assert first.json() == NOT_FOUND and second.json() == FOUND == third.json()
    done = recorder.of(RequestDone)
    assert [e.cache for e in done] == ["miss", "miss", "hit"]  # the user is data: kept
    assert [e.error for e in done] == ["slack: user_not_found", None, None]
    assert gateway.health().errors == 1


async def test_a_read_riding_on_a_refused_call_counts_no_second_failure(
    make_gateway, recorder
) -> None:
    """Two reads at once share one request (single flight): one answer Slack gave, one
    failed call; every read after it asks again, and each refusal counts once."""
    gateway = make_gateway(service="slack", account="work", handler=users_info([NOT_FOUND]))
    together = await asyncio.gather(read_user(gateway), read_user(gateway))
    after = await read_user(gateway)

    assert all(r.json() == NOT_FOUND for r in [*together, after])
    done = recorder.of(RequestDone)
    assert sorted(e.cache for e in done) == ["hit", "miss", "miss"]
    assert [e.error for e in done if e.cache == "hit"] == [None]  # the rider: no 2nd failure
    assert gateway.health().errors == 2  # the two answers Slack gave


async def test_a_refusal_an_earlier_zen_tui_kept_is_not_served(make_gateway, clock) -> None:
    """An ok:false answer a zen-tui before this fix saved in the persistent cache is fresh
    for up to an hour: a later run does not serve it (nor fall back on it); it asks Slack."""
    disk = DictPersistentCache()
    earlier = make_gateway(
        service="slack", account="work", handler=users_info([FOUND]), persistent_cache=disk
    )
    await read_user(earlier)
    [key] = disk.entries  # where the earlier run kept users.info's answer: a refusal, say
    disk.entries[key] = make_entry(200, {}, json.dumps(NOT_FOUND).encode(), clock.time())
    later = make_gateway(
        service="slack", account="work", handler=users_info([FOUND]), persistent_cache=disk
    )

    response = await read_user(later)

    assert response.json() == FOUND and response.cache == "miss"
    assert json.loads(disk.entries[key].body) == FOUND  # the user replaced it
