"""A keyring backend kept in a JSON file (path in $ZEN_TEST_KEYRING_FILE), so a test and a
`zen-tui auth login` subprocess (PYTHON_KEYRING_BACKEND=tests.unit.auth.file_keyring.FileKeyring)
share one keyring, as two terminals share the OS keyring. Its own module, without pytest.
The variants below fail in the ways a real backend does, for the keyring helper's tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import keyring.backend
import keyring.errors

ENV = "ZEN_TEST_KEYRING_FILE"


class FileKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def _path(self) -> Path:
        return Path(os.environ[ENV])

    def _entries(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, entries: dict[str, str]) -> None:
        path = self._path()
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(entries))
        temporary.replace(path)  # a reader sees the old file or the new one, whole

    def get_password(self, service: str, username: str) -> str | None:
        return self._entries().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._save(self._entries() | {f"{service}\0{username}": password})

    def delete_password(self, service: str, username: str) -> None:
        entries = self._entries()
        if entries.pop(f"{service}\0{username}", None) is None:
            raise keyring.errors.PasswordDeleteError("no such entry")
        self._save(entries)


def _note(line: str) -> None:
    """A line in $ZEN_TEST_KEYRING_FILE.log: which process served which call."""
    with Path(os.environ[ENV] + ".log").open("a") as log:
        log.write(line + "\n")


class CountingFileKeyring(FileKeyring):
    """FileKeyring that notes the process that served each read."""

    def get_password(self, service: str, username: str) -> str | None:
        _note(f"{os.getpid()} get {username}")
        return super().get_password(service, username)


class BrokenKeyring(FileKeyring):
    """A backend that fails with the secret in its message (which must not travel on)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError(f"D-Bus went away while reading {self._entries()}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"D-Bus went away while saving {password}")


class StuckKeyring(FileKeyring):
    """A locked Secret Service that never answers. It notes its pid and that of a process it
    started (in its process group), then waits: the timeout must take both down."""

    def _stuck(self) -> None:
        helper = subprocess.Popen(["sleep", "120"])
        _note(f"stuck {os.getpid()} {helper.pid}")
        time.sleep(120)

    def get_password(self, service: str, username: str) -> str | None:
        self._stuck()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._stuck()


class CrashingKeyring(FileKeyring):
    """Dies without an answer, its last words (on stderr) quoting the secret."""

    def set_password(self, service: str, username: str, password: str) -> None:
        sys.stderr.write(f"fatal: lost {password}\n")
        sys.stderr.flush()
        os._exit(3)


class DeepLineKeyring(FileKeyring):
    """Dies with a last stdout line that is JSON nested past any decoder's stack."""

    def set_password(self, service: str, username: str, password: str) -> None:
        sys.stdout.write("\n" + "[" * 100_000 + "]" * 100_000 + "\n")
        sys.stdout.flush()
        os._exit(3)


class LockableFileKeyring(FileKeyring):
    """FileKeyring that a test locks and unlocks from outside, as a user locks the Secret
    Service: while $ZEN_TEST_KEYRING_FILE.locked exists, every call fails as a locked
    backend does (KeyringLocked), or, when that file says `hang`, never answers."""

    def _check(self) -> None:
        lock = Path(os.environ[ENV] + ".locked")
        if not lock.exists():
            return
        if lock.read_text().strip() == "hang":
            time.sleep(120)  # the helper's timeout kills this process
        raise keyring.errors.KeyringLocked("the collection is locked")

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        super().set_password(service, username, password)
