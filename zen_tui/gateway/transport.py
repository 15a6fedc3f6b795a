"""Auth and the HTTP client: one attempt on the wire, with credentials and timeouts.

Auth is an `httpx.Auth` flow: on a 401 the credential provider gets one chance to refresh and
the request goes again; otherwise the gateway raises AuthExpired. A token whose login stated an
expiry is refreshed shortly before it, as Slack never answers a 401 for an expired token; and
a token Slack refuses earlier than that (HTTP 200 `token_expired`: revoked or rotated
elsewhere, a skewed clock) gets the same one refresh, once per token, before the user is asked
to log in (Sender). The token goes into the Authorization header of the outgoing request only,
never into errors or logs.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncGenerator, Callable, Generator, Mapping

import httpx
import msgspec

from .answer import JSON as JSON  # re-exported: the request types, apart from httpx
from .answer import Answer as Answer
from .answer import BodyTooLarge as BodyTooLarge
from .answer import QueryParams as QueryParams
from .answer import RedirectRefused as RedirectRefused
from .answer import Scalar as Scalar
from .credentials import Credential, CredentialProvider
from .errors import AuthExpired
from .origin import UNKNOWN_ORIGIN, origin_of, within_base
from .profiles import ServiceProfile
from .settings import GatewaySettings

EXPIRY_SKEW = 60.0  # refresh a token this many seconds before the expiry its login stated
MAX_REDIRECTS = 5  # hops one request may take (GitHub's rename redirect is one)
_PERMANENT = frozenset({301, 308})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


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
    from .tls import shared_ssl_context  # one per process; its CAs read at the first handshake

    t = settings.timeouts
    headers = {"User-Agent": settings.user_agent, **profile.default_headers}
    return httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool),
        transport=transport,
        verify=shared_ssl_context() if transport is None else True,
        # Redirects are followed by Sender, which refuses any that leave the base URL.
        follow_redirects=False,
    )


def header_fields(headers: httpx.Headers) -> dict[str, str]:
    """The header fields by lower-case name, read in one pass over the raw pairs, for every
    look-up made in them (httpx's Headers.get scans its list each time: a GitHub answer has
    over 20 fields)."""
    names = _FIELD_NAMES
    return {names.get(k) or _field_name(k): v.decode("latin-1") for k, v in headers.raw}


# Raw header name -> its lower-case str: a server sends the same twenty-odd names in every
# answer, and decoding and lowering each again was a third of reading them (two new strings
# a field, each hashed again for the dict). Bounded: a server's names are not ours to count.
_FIELD_NAMES: dict[bytes, str] = {}
MAX_FIELD_NAMES = 512


def _field_name(raw: bytes) -> str:
    name = raw.decode("latin-1").lower()
    if len(_FIELD_NAMES) < MAX_FIELD_NAMES:
        _FIELD_NAMES[raw] = name
    return name


async def read_capped(response: httpx.Response, limit: int | None, declared: str = "") -> bytes:
    """Read the (decoded) body, at most `limit` bytes: a 60 MB answer or a gzip bomb is cut
    off as it streams instead of being held whole in memory. `declared`: its Content-Length
    field (the caller has read the fields already)."""
    size = int(declared) if declared.isdigit() else None
    cap = float("inf") if limit is None else limit
    try:
        if size is not None and size > cap:
            raise BodyTooLarge(int(cap), size)
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > cap:
                raise BodyTooLarge(int(cap), size)
            chunks.append(chunk)
    finally:
        await response.aclose()
    return b"".join(chunks)


class AccountAuth(httpx.Auth):
    """The account's credential on each request; on a 401 one refresh, and the request again.

    An `httpx.Auth` flow, as httpx's own auths: the client runs it around each send. With no
    fresh credential the 401 is returned as it is; the gateway turns it into AuthExpired with
    the call's full context.
    """

    def __init__(
        self,
        credentials: CredentialProvider,
        account: str,
        service: str,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._credentials = credentials
        self._account = account
        self._service = service
        self._now = now
        self._given_up: Credential | None = None  # its early refresh failed: don't ask again
        self._credential: Credential | None = None
        self._refresh_lock = asyncio.Lock()

    @property
    def env(self) -> str | None:
        """The environment variable the token in use came from, if it did."""
        return self._credential.env if self._credential is not None else None

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError("AccountAuth is async only; the gateway uses httpx.AsyncClient")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        credential = await self._current()
        request.headers["Authorization"] = auth_header(credential)
        response = yield request
        if response.status_code != 401:
            return
        fresh = await self._refreshed(credential)
        if fresh is not None:
            request.headers["Authorization"] = auth_header(fresh)
            yield request

    async def _current(self) -> Credential:
        if self._credential is None:
            self._credential = await self._credentials.get(self._account)
        if self._credential is None:
            raise AuthExpired(
                service=self._service,
                account=self._account,
                message=f"no token for account {self._account!r}; log in or set its token",
            )
        credential = self._credential
        if self._expiring(credential) and credential != self._given_up:
            # Refresh before it lapses: not every service says so with a 401 (Slack answers
            # HTTP 200 `token_expired`). No better token: send this one, the server decides.
            fresh = await self._refreshed(credential)
            if fresh is None:
                self._given_up = credential
            return fresh or credential
        return credential

    def _expiring(self, credential: Credential) -> bool:
        expires_at = credential.expires_at
        return expires_at is not None and self._now() >= expires_at - EXPIRY_SKEW

    async def renew(self, sent: str | None) -> bool:
        """The server refused the token the request carried (`sent`: its Authorization
        header) in the answer's body, where the auth flow cannot see it (Slack's HTTP 200
        `token_expired`). One refresh per token; True: send the request again."""
        used = self._credential
        if used is None:
            return False
        if sent != auth_header(used):  # another call refreshed it meanwhile: send again
            return True
        if used == self._given_up:
            return False
        if await self._refreshed(used) is None:
            self._given_up = used
            return False
        return True

    def refused_again(self) -> None:
        """The renewed token was refused too: no more refreshes for it, ask for a login."""
        self._given_up = self._credential

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


class Sender:
    """One request on the wire: the client's defaults, the account's auth, a capped body.

    An answer that refuses the token in its body (`refused`, from the service profile) gets
    what a 401 gets: one refresh of that token, and the request again.

    Redirects (GitHub's for a renamed repository: 301 for a read, 307 for a write) are
    followed here, at most MAX_REDIRECTS hops, and only inside the base URL (the rule for
    every server-given URL, origin.py): the account's token and a write's body never go
    elsewhere. 307/308 repeat the method and body; 303 (and 301/302 after a POST, as
    browsers and httpx do) becomes a GET."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        auth: AccountAuth,
        max_body: int | None,
        refused: Callable[[int, bytes], bool] | None = None,
        base_url: str | None = None,
    ) -> None:
        self._client = client
        self._auth = auth
        self._max_body = max_body  # None: no cap (tests); the gateway always sets one
        self._refused = refused
        self._base_url = base_url if base_url is not None else str(client.base_url)

    @property
    def env(self) -> str | None:
        """The environment variable the token sent came from, if it did."""
        return self._auth.env

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: QueryParams | None = None,
        json: JSON | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Answer:
        def build() -> httpx.Request:
            return self._client.build_request(
                method, url, headers=headers, params=params, json=json, data=data
            )

        request = build()
        answer = await self._followed(request)
        if self._refused is None or not self._refused(answer.status_code, answer.content):
            return answer
        if not await self._auth.renew(request.headers.get("Authorization")):
            return answer  # nothing better to send: the client says "log in again"
        answer = await self._followed(build())
        if self._refused(answer.status_code, answer.content):
            self._auth.refused_again()
        return answer

    async def _followed(self, request: httpx.Request) -> Answer:
        """The answer at the end of the request's redirects; RedirectRefused for one that
        leaves the base URL or a chain longer than MAX_REDIRECTS."""
        first, moved, permanent = request.url, None, True
        for _hop in range(MAX_REDIRECTS + 1):
            answer = await self._once(request)
            redirect = answer.status_code in _REDIRECTS
            location = answer.headers.get("location") if redirect else None
            if not location:
                return msgspec.structs.replace(answer, moved=moved) if moved else answer
            target = request.url.join(location)
            if not within_base(self._base_url, str(target)):
                where = origin_of(str(target))
                if where in (origin_of(self._base_url), UNKNOWN_ORIGIN):
                    raise RedirectRefused("refused a redirect to a path outside the base URL")
                raise RedirectRefused(f"refused a redirect to {where}: not the base URL")
            permanent = permanent and answer.status_code in _PERMANENT
            if permanent and target.query == first.query:
                moved = str(target.copy_with(query=None))
            request = self._redirected(request, target, answer.status_code)
        raise RedirectRefused(f"more than {MAX_REDIRECTS} redirects (a loop?)", loop=True)

    def _redirected(self, request: httpx.Request, target: httpx.URL, status: int) -> httpx.Request:
        """The request again at `target`: same method and body for 307/308, else a GET."""
        keep = status in (307, 308) or (status in (301, 302) and request.method != "POST")
        method = request.method if keep or request.method == "HEAD" else "GET"
        headers = httpx.Headers(request.headers)
        headers.pop("Host", None)
        if method != request.method or not keep:
            for name in ("Content-Length", "Content-Type", "Transfer-Encoding"):
                headers.pop(name, None)
        content = request.content if keep else None
        return self._client.build_request(method, target, headers=headers, content=content)

    async def _once(self, request: httpx.Request) -> Answer:
        response = await self._client.send(request, auth=self._auth, stream=True)
        fields = header_fields(response.headers)
        body = await read_capped(response, self._max_body, fields.get("content-length", ""))
        return Answer(
            response.status_code,
            response.headers,
            body,
            str(response.url),
            response.reason_phrase,
            fields=fields,
        )
