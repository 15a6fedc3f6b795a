"""Where the gateway gets tokens from. Tokens never leave this module in a log or an error."""

from __future__ import annotations

import os
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


class EnvCredentialProvider:
    """Tokens from environment variables: account -> (env var name, username or None)."""

    def __init__(self, mapping: dict[str, tuple[str, str | None]]) -> None:
        self._mapping = dict(mapping)
        self._handed_out: dict[str, Credential] = {}

    async def get(self, account: str) -> Credential | None:
        entry = self._mapping.get(account)
        if entry is None:
            return None
        env_var, username = entry
        token = os.environ.get(env_var, "").strip()
        if not token:
            return None
        credential = Credential(token=token, username=username)
        self._handed_out[account] = credential
        return credential

    async def refresh(self, account: str) -> Credential | None:
        # Only a token that changed since the last get() is worth one more try.
        previous = self._handed_out.get(account)
        current = await self.get(account)
        return current if current is not None and current != previous else None

    def env_var(self, account: str) -> str | None:
        entry = self._mapping.get(account)
        return entry[0] if entry else None
