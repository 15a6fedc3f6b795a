"""A keyring backend with every account logged in with a token (as the start-up benchmark's):
a start that polls, with no login offered. Its own module, without pytest, so a fresh
interpreter that loads it imports nothing a real keyring backend would not."""

from __future__ import annotations

import keyring.backend
import keyring.errors

LOGIN = '{"token": "t-not-a-secret", "method": "token", "login": "me"}'


class LoggedInKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return LOGIN

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("read-only")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("read-only")
