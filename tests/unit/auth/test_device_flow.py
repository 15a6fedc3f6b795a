"""Device-flow polling rules against a scripted token endpoint and a fake clock."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from zen_tui.auth.device_flow import DeviceFlow, DeviceToken
from zen_tui.auth.states import DeviceCodeShown, LoginFailed, SlowedDown
from zen_tui.gateway.clock import FakeClock

CODE = {
    "device_code": "d" * 40,
    "user_code": "WDJB-MJHT",
    "verification_uri": "https://github.com/login/device",
    "expires_in": 900,
    "interval": 5,
}


def scripted(*answers: dict[str, object]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/login/device/code":
            return httpx.Response(200, json=CODE)
        return httpx.Response(200, json=queue.pop(0))

    return httpx.MockTransport(handler), seen


async def run(transport: httpx.MockTransport, clock: FakeClock) -> list[object]:
    async with httpx.AsyncClient(transport=transport) as http:
        flow = DeviceFlow(
            root_url="https://github.com",
            client_id="cid",
            scope="repo",
            http=http,
            clock=clock,
            open_browser=None,
        )
        return [state async for state in flow.run()]


async def test_slow_down_adds_five_seconds_for_all_later_polls() -> None:
    transport, seen = scripted(
        {"error": "authorization_pending"},
        {"error": "slow_down"},  # no interval given: +5 s by RFC 8628
        {"error": "authorization_pending"},
        {"access_token": "gho_abcdef123456", "token_type": "bearer", "scope": "repo"},
    )
    clock = FakeClock()
    states = await run(transport, clock)
    assert clock.sleeps == [5, 5, 10, 10]
    assert states[0] == DeviceCodeShown("WDJB-MJHT", "https://github.com/login/device", 900)
    assert states[1] == SlowedDown(10)
    assert states[-1] == DeviceToken("gho_abcdef123456", "repo")
    poll = seen[1]
    assert poll.headers["accept"] == "application/json"
    assert b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code" in poll.content


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("expired_token", "expired"),
        ("access_denied", "denied"),
        ("incorrect_device_code", "did not recognise"),
        ("device_flow_disabled", "--method token"),
        ("something_new", "(something_new)"),
    ],
)
async def test_terminal_errors_are_clear_outcomes(error: str, reason: str) -> None:
    transport, _ = scripted({"error": error})
    states = await run(transport, FakeClock())
    assert isinstance(states[-1], LoginFailed) and reason in states[-1].reason


async def test_local_expiry_stops_polling() -> None:
    transport, seen = scripted(*[{"error": "authorization_pending"}] * 200)
    states = await run(transport, FakeClock())
    assert isinstance(states[-1], LoginFailed) and "expired" in states[-1].reason
    assert len(seen) - 1 == 900 // 5 - 1  # polls at 5..895 s, none after the expiry


async def test_cancel_stops_at_once() -> None:
    transport, seen = scripted(*[{"error": "authorization_pending"}] * 10)
    async with httpx.AsyncClient(transport=transport) as http:
        flow = DeviceFlow(
            root_url="https://github.com",
            client_id="cid",
            scope="",
            http=http,
            clock=FakeClock(),
            open_browser=None,
        )
        states = []
        async for state in flow.run():
            states.append(state)
            if len(states) == 1:
                flow.cancel()
        await asyncio.sleep(0)
    assert states[-1] == LoginFailed("login cancelled")
    assert len(seen) == 1  # only the device-code request


async def test_expiring_tokens_keep_their_refresh_token_and_lifetime() -> None:
    transport, _ = scripted(
        {"access_token": "ghu_abcdef123456", "expires_in": 28800, "refresh_token": "ghr_x123456"}
    )
    states = await run(transport, FakeClock())
    token = states[-1]
    assert token == DeviceToken("ghu_abcdef123456", "", "ghr_x123456", 28800.0)
    assert "ghr_x123456" not in repr(token) and "ghu_abcdef123456" not in repr(token)


@pytest.mark.parametrize(
    "uri",
    ["file:///etc/passwd", "https://github.com.evil.example/login/device", "javascript:x()"],
)
async def test_a_verification_uri_off_githubs_web_host_is_never_shown_or_opened(
    uri: str,
) -> None:
    """Issue 9.7: the server names the page the browser is opened on; only GitHub's own."""
    opened: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login/device/code":
            return httpx.Response(200, json={**CODE, "verification_uri": uri})
        return httpx.Response(200, json={"error": "access_denied"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        flow = DeviceFlow(
            root_url="https://github.com",
            client_id="cid",
            scope="repo",
            http=http,
            clock=FakeClock(),
            open_browser=lambda url: opened.append(url) or True,
        )
        states = [state async for state in flow.run()]
    assert states[0] == DeviceCodeShown("WDJB-MJHT", "https://github.com/login/device", 900)
    assert opened == ["https://github.com/login/device"]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/login/device/code", "GitHub did not return a device code (bad_response)"),
        ("/login/oauth/access_token", "GitHub returned no token (bad_response)"),
    ],
)
async def test_an_answer_nested_too_deeply_fails_the_login_clearly(path: str, reason: str) -> None:
    """json.loads raises RecursionError on it, no ValueError: the login crashed with it."""
    deep = b"[" * 100_000 + b"]" * 100_000

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == path:
            return httpx.Response(200, content=deep)
        return httpx.Response(200, json=CODE)

    states = await run(httpx.MockTransport(handler), FakeClock())
    assert states[-1] == LoginFailed(reason)
