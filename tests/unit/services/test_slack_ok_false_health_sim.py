"""Slack reports most failures as HTTP 200 `{"ok": false, "error": "<code>"}`. The health
figures (`zen-tui health`'s error count, the health screen's table and recent errors) count
such an answer as a failed call, with its code, as they count a GitHub or Jira 4xx.

What the gateway does with it follows Slack's description of each code (every method's
reference): most are a final answer, not retried and no breaker failure (the auth codes mean
log in again, which the client says; `request_timeout` is about the request: its POST data
"missing or truncated"); `internal_error`, `fatal_error` and `service_unavailable` are
failures on Slack's side, handled as a 5xx: retried, counted by the breaker.

Against the simulator, whose fault rules make Slack answer ok:false (`ok_false_rate`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from zen_tui.gateway.errors import ApiError, AuthExpired, Unavailable
from zen_tui.ui.health_model import HealthModel
from zen_tui.ui.screens.health import error_status

from .conftest import section

# Slack's code -> what the Slack client makes of it (None: the section reads on without it).
FINAL: dict[str, type[Exception] | None] = {
    "channel_not_found": None,  # the channel is gone for this token: an answer, no failure
    "invalid_auth": AuthExpired,  # log in again
    "token_revoked": AuthExpired,
    "account_inactive": AuthExpired,
    "request_timeout": ApiError,
}
SERVER_SIDE = ("internal_error", "fatal_error", "service_unavailable")


@pytest.fixture
def ok_false(sim: Any) -> Iterator[Any]:
    """Sets Slack's conversations.history to answer ok:false with a code; cleared after."""

    def answer(code: str) -> None:
        rule = {
            "service": "slack",
            "endpoint": "/api/conversations.history",
            "ok_false_rate": 1.0,
            "ok_false_errors": [code],
        }
        sim.set_faults([rule])

    yield answer
    sim.clear_faults()


async def read_dev(client: Any) -> Any:
    return await client.fetch_section(section("slack", "#dev", pane="messages"), revalidate=True)


@pytest.mark.parametrize("code", sorted(FINAL))
async def test_an_ok_false_answer_counts_as_an_error_with_its_code(
    ok_false: Any, watched: tuple[Any, HealthModel], code: str
) -> None:
    client, model = watched
    ok_false(code)
    raised = FINAL[code]
    for _ in range(6):  # more than the breaker's 5 failures: a final answer is none
        if raised is None:
            assert (await read_dev(client)).gone  # the client read the code as before
        else:
            with pytest.raises(raised, match=code):
                await read_dev(client)
    health = client.gateway.health()

    assert health.errors == 6  # `zen-tui health`: "requests N (6 errors, 0 retries)"
    assert health.requests >= 8  # auth.test and conversations.list answered ok
    assert health.retries_total == 0 and health.breaker == "closed"
    [record] = model.errors  # the same failure six times: one line, x6
    assert record.endpoint == "conversations.history" and record.repeats == 6
    assert (record.status, record.error, record.attempts) == (200, f"slack: {code}", 1)
    assert error_status(record.status, stale=record.stale) == "200"  # the answer, not a copy
    stats = model.endpoints[("slack", "GET", "conversations.history")]
    assert (stats.count, stats.errors) == (6, 6)
    assert model.endpoints[("slack", "GET", "conversations.list")].errors == 0


@pytest.mark.parametrize("code", SERVER_SIDE)
async def test_a_failure_on_slack_s_side_is_retried_and_trips_the_breaker(
    ok_false: Any, watched: tuple[Any, HealthModel], code: str
) -> None:
    client, model = watched
    ok_false(code)
    with pytest.raises(Unavailable, match=code):
        await read_dev(client)
    first, [record] = client.gateway.health(), model.errors
    with pytest.raises(Unavailable):  # the 5th failed attempt opens the breaker
        await read_dev(client)
    health = client.gateway.health()

    assert first.errors == 1 and first.retries_total == 3  # one call, four attempts
    assert (record.status, record.attempts) == (200, 4)
    assert record.error == f"slack: {code} (failed on the server's side)"
    assert first.breaker == "closed" and health.breaker == "open"
    assert [t.new for t in model.breaker_log] == ["open"]
