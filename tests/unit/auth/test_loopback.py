"""The one-shot loopback listener on a real 127.0.0.1 socket."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from zen_tui.auth.loopback import LoopbackRedirect, RedirectError


async def test_code_comes_back_and_the_page_says_close_the_tab() -> None:
    async with LoopbackRedirect() as listener:
        assert listener.redirect_uri.startswith("http://127.0.0.1:")
        assert listener.port != 0
        waiter = asyncio.ensure_future(listener.wait("s1", within=5))
        async with httpx.AsyncClient() as browser:
            miss = await browser.get(listener.redirect_uri.replace("/callback", "/favicon.ico"))
            probe = await browser.get(listener.redirect_uri, params={"code": "no-state"})
            page = await browser.get(listener.redirect_uri, params={"code": "c0de", "state": "s1"})
            again = await browser.get(listener.redirect_uri, params={"code": "x", "state": "s1"})
        assert await waiter == "c0de"
    assert miss.status_code == 404 and probe.status_code == 400
    assert page.status_code == 200 and "close this tab" in page.text
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"error": "access_denied", "state": "s1"}, "denied"),
        ({"state": "s1"}, "no authorization code"),
        ({"error": "server_error", "state": "s1"}, "'server_error'"),
    ],
)
async def test_bad_redirects_raise_without_a_code(params: dict[str, str], message: str) -> None:
    async with LoopbackRedirect() as listener:
        waiter = asyncio.ensure_future(listener.wait("s1", within=5))
        async with httpx.AsyncClient() as browser:
            await browser.get(listener.redirect_uri, params=params)
        with pytest.raises(RedirectError, match=message):
            await waiter


async def test_a_forged_state_is_ignored_and_the_real_redirect_still_completes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with LoopbackRedirect(state="s1") as listener:
        waiter = asyncio.ensure_future(listener.wait("s1", within=5))
        async with httpx.AsyncClient() as browser:
            forged = await browser.get(
                listener.redirect_uri, params={"code": "attacker", "state": "forged"}
            )
            assert not waiter.done()  # the login in progress is not aborted
            real = await browser.get(listener.redirect_uri, params={"code": "c0de", "state": "s1"})
        assert await waiter == "c0de"
    assert forged.status_code == 400 and real.status_code == 200
    assert listener.ignored == 1
    lines = [r.getMessage() for r in caplog.records if "ignored a redirect" in r.getMessage()]
    assert len(lines) == 1 and "attacker" not in lines[0] and "forged" in lines[0]


async def test_a_forged_redirect_before_wait_starts_is_ignored_too() -> None:
    async with LoopbackRedirect() as listener:  # no state known until wait() is called
        async with httpx.AsyncClient() as browser:
            await browser.get(listener.redirect_uri, params={"code": "attacker", "state": "x"})
            await browser.get(listener.redirect_uri, params={"code": "c0de", "state": "s1"})
        assert await listener.wait("s1", within=5) == "c0de"
    assert listener.ignored == 1


async def test_only_forged_redirects_time_out_without_a_code() -> None:
    async with LoopbackRedirect(state="s1") as listener:
        waiter = asyncio.ensure_future(listener.wait("s1", within=0.5))
        async with httpx.AsyncClient() as browser:
            for n in range(3):
                await browser.get(listener.redirect_uri, params={"code": f"a{n}", "state": "no"})
        with pytest.raises(RedirectError, match="no answer from the browser"):
            await waiter
    assert listener.ignored == 3


async def test_no_redirect_times_out_and_the_port_is_released() -> None:
    async with LoopbackRedirect() as listener:
        with pytest.raises(RedirectError, match=r"no answer from the browser within 0\.05 s"):
            await listener.wait("s1", within=0.05)
        uri = listener.redirect_uri
    async with httpx.AsyncClient() as browser:
        with pytest.raises(httpx.ConnectError):
            await browser.get(uri)
