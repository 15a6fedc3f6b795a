"""The RFC 8252 loopback redirect: a one-shot HTTP listener on 127.0.0.1, ephemeral port.

`LoopbackRedirect` binds on entry (`async with`), exposes `redirect_uri`, and `wait(state)`
returns the authorization code from the first redirect that carries this login's `state`.
A redirect with another `state` is answered 400, logged as one line and ignored: anyone on
this machine can reach the port, and a forged request must not abort the login in progress.
An `error=` redirect with the right state raises `RedirectError` (no code, no token exchange).
The browser gets a short page saying it can close the tab.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

CALLBACK_PATH = "/callback"
MAX_REQUEST = 16_384

log = logging.getLogger(__name__)


class RedirectError(Exception):
    """The redirect did not carry a usable code; str() is one secret-free line."""


_ERRORS = {
    "access_denied": "the authorization was denied in the browser",
}


class LoopbackRedirect:
    def __init__(
        self, host: str = "127.0.0.1", path: str = CALLBACK_PATH, *, state: str | None = None
    ) -> None:
        self.host = host
        self.path = path
        self.port = 0
        self.state = state  # the login's state; wait() sets it when not given here
        self.ignored = 0  # redirects refused for a wrong state
        self._server: asyncio.Server | None = None
        self._result: asyncio.Future[dict[str, str]] | None = None
        self._early: list[dict[str, str]] = []  # redirects that came before the state was known

    @property
    def redirect_uri(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    async def __aenter__(self) -> LoopbackRedirect:
        self._result = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def wait(self, state: str, within: float) -> str:
        """The code from the redirect; RedirectError on a state mismatch, an error redirect
        or no redirect within `within` seconds."""
        assert self._result is not None, "use `async with LoopbackRedirect()`"
        self.state = state
        for early in self._early:
            self._offer(early)
        self._early.clear()
        try:
            params = await asyncio.wait_for(asyncio.shield(self._result), within)
        except TimeoutError:
            raise RedirectError(
                f"no answer from the browser within {within:g} s; run the login again"
            ) from None
        if "error" in params:
            error = params["error"]
            raise RedirectError(_ERRORS.get(error, f"the provider answered {error!r}"))
        code = params.get("code", "")
        if not code:
            raise RedirectError("the redirect carried no authorization code")
        return code

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.close()
            return
        target = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        url = urlsplit(target[1] if len(target) >= 2 else "/")
        if target[0] != "GET" or url.path != self.path or self._result is None:
            await _respond(writer, 404, "Not the login callback.")
            return
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        if "state" not in params:  # not a provider redirect (a probe, a reload): keep waiting
            await _respond(writer, 400, "Not a login redirect.")
            return
        if self._result.done():
            await _respond(writer, 409, "This login has already been answered.")
            return
        if self.state is None:  # wait() has not started: it checks this one when it does
            self._early.append(params)
            await _respond(writer, 200, "Received. You can close this tab and return to zen-tui.")
            return
        if not self._offer(params):
            await _respond(writer, 400, "This redirect is not for the login in progress.")
            return
        ok = "code" in params and "error" not in params
        message = (
            "Login received. You can close this tab and return to zen-tui."
            if ok
            else "Login did not complete. You can close this tab; zen-tui shows what to do."
        )
        await _respond(writer, 200, message)

    def _offer(self, params: dict[str, str]) -> bool:
        """Take a redirect as the answer if it carries this login's state; else ignore it."""
        assert self._result is not None and self.state is not None
        if self._result.done():
            return False
        if not hmac.compare_digest(params.get("state", "").encode(), self.state.encode()):
            self.ignored += 1
            log.warning(
                "login: ignored a redirect whose state does not match the login in progress "
                "(stale or forged); still waiting for the real one"
            )
            return False
        self._result.set_result(params)
        return True


async def _respond(writer: asyncio.StreamWriter, status: int, message: str) -> None:
    body = (
        "<!doctype html><html><head><title>zen-tui login</title></head>"
        f"<body><p>{html.escape(message)}</p></body></html>"
    ).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 409: "Conflict"}[status]
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    try:
        await writer.drain()
    finally:
        writer.close()
