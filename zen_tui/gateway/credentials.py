"""The gateway's credential port: what it asks for a token, and the fixed in-memory provider.

The gateway owns this protocol (its consumer); `zen_tui.auth` implements it (environment
variables, the OS keyring, refresh grants). Tokens never leave here in a log or an error.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

import msgspec


class SecretRecord(msgspec.Struct, frozen=True):
    """A record with fields that hold a secret, named in `_secret`: its repr (so str, f-strings,
    `%r` in a log line, a traceback) and rich's pretty printer leave them out, as a dataclass
    field with repr=False did. A Struct's own repr and __rich_repr__ would show every field."""

    _secret: ClassVar[tuple[str, ...]] = ()

    def _shown(self) -> list[tuple[str, Any]]:
        """(name, value) for every field that holds no secret."""
        return [(k, getattr(self, k)) for k in self.__struct_fields__ if k not in self._secret]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._shown())})"

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        return self._shown()


class Credential(SecretRecord, frozen=True):
    _secret = ("token",)  # a logged Credential shows no secret

    token: str
    username: str | None = None  # set => HTTP Basic username:token (Jira API tokens)
    # Who the login named (StoredCredential.login: GitHub login, email, Slack user), not a
    # secret: the store's rows belong to this user across token refreshes (store/logins.py).
    who: str | None = None
    # When the token stops working (epoch seconds), if the login said: the gateway refreshes
    # it before then. Slack says an expired token with HTTP 200 `token_expired`, never a 401.
    expires_at: float | None = None
    # Seen by this process alone (a login kept for this session only, no keyring entry):
    # never recorded as the account's login for other processes (store/logins.py).
    local: bool = False
    # The REST base this login works at, when it is not the account's configured one: a Jira
    # OAuth 2.0 (3LO) login's api.atlassian.com/ex/jira/{cloudid} (Atlassian refuses its
    # token at the site URL). A gateway built elsewhere must not send it (Gateway.read_late).
    base_url: str | None = None
    # The environment variable it was read from (`token_env`, GH_TOKEN, ...), if any: a token
    # the server refuses is fixed there, as the variable beats any `zen-tui auth login`.
    env: str | None = None


class CredentialProvider(Protocol):
    async def get(self, account: str) -> Credential | None: ...

    async def refresh(self, account: str) -> Credential | None:
        """A NEW credential after a 401, or None when there is nothing better to try."""
        ...


class StaticCredentialProvider:
    """Fixed credentials, for tests and the demo."""

    def __init__(self, credentials: dict[str, Credential]) -> None:
        self._credentials = dict(credentials)

    async def get(self, account: str) -> Credential | None:
        return self._credentials.get(account)

    async def refresh(self, account: str) -> Credential | None:
        return None
