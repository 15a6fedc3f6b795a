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
        ({"code": "c0de", "state": "forged"}, "state does not match"),
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


async def test_no_redirect_times_out_and_the_port_is_released() -> None:
    async with LoopbackRedirect() as listener:
        with pytest.raises(RedirectError, match=r"no answer from the browser within 0\.05 s"):
            await listener.wait("s1", within=0.05)
        uri = listener.redirect_uri
    async with httpx.AsyncClient() as browser:
        with pytest.raises(httpx.ConnectError):
            await browser.get(uri)
