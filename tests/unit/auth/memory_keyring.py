"""A dict-backed keyring backend; the keyring API in front of it is the real one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import keyring
import keyring.backend
import keyring.errors
import pytest


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.writes = 0

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.writes += 1
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such entry")


class HangingKeyring(MemoryKeyring):
    """A locked Secret Service: every call blocks."""

    def get_password(self, service: str, username: str) -> str | None:
        time.sleep(0.3)
        return None


@contextmanager
def use_keyring(backend: keyring.backend.KeyringBackend) -> Iterator[None]:
    """`backend` is the process's keyring inside the block; the previous one comes back."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    with use_keyring(backend):
        yield backend
