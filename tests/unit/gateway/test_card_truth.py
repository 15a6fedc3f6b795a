"""Issue 14 part 5, gateway cards: what a card says agrees with the gateway, over time.

The card model (HealthModel + render_status) is fed the events a real Gateway publishes
(respx transport, FakeClock), or scripted events where the gateway is not the question.
"""

from __future__ import annotations

import random
import re

import httpx
import pytest

from tests.helpers import github_breaker_opened
from zen_tui.gateway import RateLimited
from zen_tui.gateway.events import QuotaUpdated
from zen_tui.models import AccountHealth, ConnectionState
from zen_tui.sync.backend import AccountConnection
from zen_tui.ui.health_model import HealthModel
from zen_tui.ui.widgets.gateway import render_status

from .conftest import settings_for


async def test_jira_card_returns_to_its_capacity_after_a_429_storm(make_gateway, clock, recorder):
    """Jira reports a quota only on a 429; its ordinary answers say nothing. Once the reset
    has passed, the card shows the configured 10/s bucket again, not `tok 0/1 · srv 0 left`."""
    reset = int(clock.time()) + 60
    storm = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset), "retry-after": "60"}

    def jira(request: httpx.Request) -> httpx.Response:
        if clock.time() < reset:
            return httpx.Response(429, headers=storm)
        return httpx.Response(200, json={})  # no quota headers: Jira's ordinary answer

    gw = make_gateway(
        settings_for("jira", max_attempts=1), service="jira", account="jira", handler=jira
    )
    model = HealthModel()
    for _ in range(3):
        with pytest.raises(RateLimited):
            await gw.request("GET", "/rest/api/3/search")
        clock.advance(1.0)
    for event in recorder.events:
        model.apply(event)
    during = render_status(model.status("jira"), now=clock.time()).plain
    assert "srv 0 left" in during and "tok paused 57s" in during  # the storm, as it was

    clock.advance(70.0)  # past the reported reset; ordinary answers follow
    before = len(recorder.events)
    await gw.request("GET", "/rest/api/3/search")
    for event in recorder.events[before:]:
        model.apply(event)
    after = render_status(model.status("jira"), now=clock.time()).plain
    assert "srv 0 left" not in after and "reset 0s" not in after, after
    assert re.search(r"tok [▰▱]{8} 9/10\n", after), after  # 10/s again, one token just spent
    [restored] = [e for e in recorder.events[before:] if isinstance(e, QuotaUpdated)]
    assert restored.capacity == 10 and restored.remaining is None


def test_a_past_server_reset_is_not_shown_as_reset_0s() -> None:
    model = HealthModel()
    model.apply(
        QuotaUpdated(
            service="jira",
            account="j",
            scope="default",
            tokens=0,
            capacity=1,
            limit=None,
            remaining=0,
            reset_at=160.0,
        )
    )
    assert "srv 0 left reset 1m" in render_status(model.status("jira"), now=100.0).plain
    later = render_status(model.status("jira"), now=200.0).plain
    assert "reset 0s" not in later and "srv quota reset" in later


def test_an_open_breaker_whose_wait_is_over_does_not_say_retry_in_0s() -> None:
    model = github_breaker_opened(145.0)
    assert "open, 45s left" in render_status(model.status("github"), now=100.0).plain
    text = render_status(model.status("github"), now=150.0).plain
    assert "retry in 0s" not in text and "open, probe due" in text


def test_the_token_bar_and_the_number_beside_it_agree() -> None:
    """`▰▰▰▰▱▱▱▱ 0/1` was half a token drawn as half a bar beside a rounded-down 0."""
    rng = random.Random(14)
    for _ in range(500):
        capacity = rng.choice([1, 2, 10, 24, 50, 100, 5000])
        tokens = rng.uniform(0, capacity)
        model = HealthModel()
        model.apply(
            QuotaUpdated(
                service="jira", account="j", scope="default", tokens=tokens, capacity=capacity
            )
        )
        line = render_status(model.status("jira"), now=0.0).plain.splitlines()[1]
        match = re.fullmatch(r"tok ([▰▱]{8}) (\d+)/(\d+)", line)
        assert match, line
        shown = int(match[2])
        assert shown <= tokens < shown + 1
        assert match[1].count("▰") == round(8 * shown / capacity), (tokens, capacity, line)


def _quota(scope: str, remaining: int, limit: int) -> QuotaUpdated:
    return QuotaUpdated(
        service="github",
        account="gh",
        scope=scope,
        tokens=remaining * 0.9,
        capacity=remaining * 0.9,
        limit=limit,
        remaining=remaining,
        reset_at=1000.0,
    )


def test_the_github_card_shows_core_and_search_and_does_not_flip() -> None:
    rng = random.Random(5)
    shown = set()
    model = HealthModel()
    for _ in range(50):  # core and search answers interleave as the pollers run
        if rng.random() < 0.5:
            model.apply(_quota("core", 4999, 5000))
        else:
            model.apply(_quota("search", 27, 30))
        if len(model.status("github").quotas) == 2:
            shown.add(render_status(model.status("github"), now=100.0).plain)
    [text] = shown  # the same card whichever answered last
    lines = text.splitlines()
    assert lines[1].startswith("core ") and "4999" in lines[1]
    assert lines[2].startswith("search ") and "27" in lines[2]
    assert all(len(line) <= 24 for line in lines[:3]), lines


def _health(account: str, connection: ConnectionState, error: str | None = None) -> AccountHealth:
    figures = (10.0, 10.0, None, None, 0, 0, 0, 0, 0, 0)
    return AccountHealth(
        account, "jira", "closed", None, *figures, connection=connection, connection_error=error
    )


def test_the_card_says_connecting_or_why_until_each_of_its_accounts_is_connected() -> None:
    """Two Jira accounts, their builds' news in random orders (seeded, many rounds): the
    card says "connecting"/"not connected (why)" exactly while one of them is not
    connected, a failed one first (and why); then its breaker again."""
    rng = random.Random(7)
    states: tuple[ConnectionState, ...] = ("connecting", "connected", "failed")
    for _ in range(300):
        model = HealthModel()
        model.seed([_health("a", "connecting"), _health("b", "failed", "keyring locked")])
        now: dict[str, tuple[ConnectionState, str | None]] = {
            "a": ("connecting", None),
            "b": ("failed", "keyring locked"),
        }
        for _ in range(rng.randint(1, 12)):
            account, news = rng.choice("ab"), rng.choice(states)
            reason = f"error {rng.randint(1, 9)}" if news == "failed" else None
            model.apply(
                AccountConnection(service="jira", account=account, state=news, reason=reason)
            )
            now[account] = (news, reason)
            first = render_status(model.status("jira"), now=0.0).plain.splitlines()[0]
            down = sorted(a for a, (s, _) in now.items() if s == "failed")
            waiting = sorted(a for a, (s, _) in now.items() if s == "connecting")
            if down:
                assert first.endswith(f"jira {down[0]}: not connected ({now[down[0]][1]})")
            elif waiting:
                assert first.endswith(f"jira connecting to {waiting[0]}…")
            else:
                assert first.endswith("jira closed")
