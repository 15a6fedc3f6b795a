"""Auth and the HTTP client: one attempt on the wire, with credentials and timeouts.

On a 401 the credential provider gets one chance to refresh; otherwise AuthExpired. The token
goes into the Authorization header of the outgoing request only, never into errors or logs.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from typing import Any

import httpx

from .credentials import Credential, CredentialProvider
from .errors import AuthExpired
from .profiles import ServiceProfile
from .settings import GatewaySettings


def auth_header(credential: Credential) -> str:
    if credential.username is not None:
        raw = f"{credential.username}:{credential.token}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")
    return f"Bearer {credential.token}"


def build_client(
    base_url: str,
    settings: GatewaySettings,
    profile: ServiceProfile,
    transport: httpx.AsyncBaseTransport | None,
) -> httpx.AsyncClient:
    t = settings.timeouts
    headers = {"User-Agent": settings.user_agent, **profile.default_headers}
    return httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool),
        transport=transport,
        follow_redirects=True,
    )


class BodyTooLarge(Exception):
    """The body passed `limit` bytes while streaming; the connection was closed there."""

    def __init__(self, limit: int, declared: int | None) -> None:
        super().__init__(f"body larger than {limit} bytes")
        self.limit = limit
        self.declared = declared


async def read_capped(response: httpx.Response, limit: int) -> None:
    """Read the (decoded) body into the response, at most `limit` bytes: a 60 MB answer or
    a gzip bomb is cut off as it streams instead of being held whole in memory."""
    declared = response.headers.get("content-length", "")
    size = int(declared) if declared.isdigit() else None
    try:
        if size is not None and size > limit:
            raise BodyTooLarge(limit, size)
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > limit:
                raise BodyTooLarge(limit, size)
            chunks.append(chunk)
    finally:
        await response.aclose()
    # What Response.aread() does itself once the stream is consumed.
    response._content = b"".join(chunks)


class AuthedSender:
    """Sends one request with the account's credential; refreshes it once on a 401."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        credentials: CredentialProvider,
        account: str,
        service: str,
        max_body: int | None = None,
    ) -> None:
        self._max_body = max_body  # None: no cap (tests); the gateway always sets one
        self._client = client
        self._credentials = credentials
        self._account = account
        self._service = service
        self._credential: Credential | None = None
        self._refresh_lock = asyncio.Lock()

    async def _current(self) -> Credential:
        if self._credential is None:
            self._credential = await self._credentials.get(self._account)
        if self._credential is None:
            raise AuthExpired(
                service=self._service,
                account=self._account,
                message=f"no token for account {self._account!r}; log in or set its token",
            )
        return self._credential

    async def send(
        self, method: str, url: str, *, headers: Mapping[str, str], **kwargs: Any
    ) -> httpx.Response:
        credential = await self._current()
        response = await self._send(credential, method, url, headers, kwargs)
        if response.status_code != 401:
            return response
        fresh = await self._refreshed(credential)
        if fresh is None:
            return response  # the caller turns it into AuthExpired with full context
        return await self._send(fresh, method, url, headers, kwargs)

    async def _refreshed(self, rejected: Credential) -> Credential | None:
        """One refresh at a time: concurrent 401s must not rotate a refresh token twice."""
        async with self._refresh_lock:
            if self._credential is not None and self._credential != rejected:
                return self._credential  # another call refreshed it meanwhile
            fresh = await self._credentials.refresh(self._account)
            if fresh is None or fresh == rejected:
                return None
            self._credential = fresh
            return fresh

    async def _send(
        self,
        credential: Credential,
        method: str,
        url: str,
        headers: Mapping[str, str],
        kwargs: dict[str, Any],
    ) -> httpx.Response:
        all_headers = {**headers, "Authorization": auth_header(credential)}
        request = self._client.build_request(method, url, headers=all_headers, **kwargs)
        if self._max_body is None:
            return await self._client.send(request)
        response = await self._client.send(request, stream=True)
        await read_capped(response, self._max_body)
        return response
