"""The gateway's credential port: what it asks for a token, and the fixed in-memory provider.

The gateway owns this protocol (its consumer); `zen_tui.auth` implements it (environment
variables, the OS keyring, refresh grants). Tokens never leave here in a log or an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Credential:
    token: str = field(repr=False)  # repr=False: a logged Credential shows no secret
    username: str | None = None  # set => HTTP Basic username:token (Jira API tokens)


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
