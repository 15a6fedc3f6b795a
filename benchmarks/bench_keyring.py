"""A keyring backend for the start-up benchmark's child (PYTHON_KEYRING_BACKEND names it):
every zen-tui account is logged in with a token, so the dashboard starts as a user's does,
keyring reads included, without an OS keyring on the machine. The keyring API in front of
it is the real one. Nothing is ever written."""

from __future__ import annotations

import json

import keyring.backend
import keyring.errors

TOKEN = "bench-token-not-a-secret"


class LoggedIn(keyring.backend.KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return json.dumps({"token": TOKEN, "method": "token", "login": "me"})

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("the benchmark keyring is read-only")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("the benchmark keyring is read-only")
