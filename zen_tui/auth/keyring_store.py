"""Tokens in the OS keyring: one JSON blob per account under the service name "zen-tui".

Keyring backends are synchronous and can hang (a locked Secret Service over D-Bus), so every
call runs in its own daemon thread with a timeout (a thread that never returns cannot hold
up the exit). Any backend failure becomes `KeyringUnavailable`,
whose message says what to do; the token never appears in it. Every token loaded or saved is
registered with the log redactor.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import keyring
import keyring.errors
import msgspec

from zen_tui.gateway.credentials import SecretRecord
from zen_tui.redaction import register_secret

SERVICE_NAME = "zen-tui"
DEFAULT_TIMEOUT = 10.0
HEADLESS_HELP = (
    "no usable OS keyring; on headless Linux start and unlock a Secret Service "
    "(e.g. `dbus-run-session -- sh`, then `echo -n pw | gnome-keyring-daemon --unlock`), "
    "or set `token_env` for the account in the config and export the token"
)

T = TypeVar("T")


class KeyringUnavailable(Exception):
    """The OS keyring cannot be used; str() is a one-line, secret-free explanation."""


class StoredCredential(SecretRecord, frozen=True):
    """What one account's keyring entry holds (never logged: token fields hide from repr)."""

    _secret = ("token", "refresh_token")

    token: str
    method: str = "token"  # device | oauth | token
    refresh_token: str | None = None
    expires_at: float | None = None  # epoch seconds; None = does not expire
    login: str | None = None  # who logged in, for display (GitHub login, email, Slack user)
    basic_username: str | None = None  # set => HTTP Basic (Jira API token + email)
    cloud_id: str | None = None  # Jira 3LO site
    base_url: str | None = None  # Jira 3LO: the api.atlassian.com/ex/jira/{cloudid} style URL
    scope: str | None = None
    saved_at: float | None = None

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in msgspec.structs.asdict(self).items() if v is not None})

    @classmethod
    def from_json(cls, text: str) -> StoredCredential:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            raise ValueError("not a zen-tui credential")
        known = set(cls.__struct_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


# Logins the user chose to keep for this run only (no usable keyring): every store in the
# process reads them first, so the running dashboard's gateways see them; never written out.
_SESSION: dict[str, StoredCredential] = {}


class KeyringCredentialStore:
    """load/save/delete one StoredCredential per account, each a single keyring call.
    An account kept for this session only (see SessionOnlyStore) never touches the keyring."""

    def __init__(self, service: str = SERVICE_NAME, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.service = service
        self.timeout = timeout

    async def load(self, account: str) -> StoredCredential | None:
        if account in _SESSION:
            return _SESSION[account]
        text = await self._call(keyring.get_password, self.service, account)
        return self._parse(account, text)

    def load_blocking(self, account: str) -> StoredCredential | None:
        """load() for synchronous start-up code (no event loop): same timeout and errors."""
        if account in _SESSION:
            return _SESSION[account]
        future = _in_daemon_thread(keyring.get_password, self.service, account)
        try:
            text = future.result(self.timeout)
        except concurrent.futures.TimeoutError:
            raise _timed_out(self.timeout) from None
        return self._parse(account, text)

    def _parse(self, account: str, text: str | None) -> StoredCredential | None:
        if not text:
            return None
        try:
            stored = StoredCredential.from_json(text)
        except (ValueError, TypeError):
            raise KeyringUnavailable(
                f"the keyring entry {self.service}/{account} is not a zen-tui credential; "
                f"run `zen-tui auth logout {account}` and log in again"
            ) from None
        _register(stored)
        return stored

    async def save(self, account: str, stored: StoredCredential) -> None:
        """One keyring write of the whole blob: a rotated refresh token and its access token
        are replaced together or not at all."""
        _register(stored)
        if account in _SESSION:  # a refreshed session login stays in the session
            _SESSION[account] = stored
            return
        await self._call(keyring.set_password, self.service, account, stored.to_json())

    async def delete(self, account: str) -> bool:
        """True if an entry was removed, False if there was none."""
        if _SESSION.pop(account, None) is not None:
            return True
        try:
            await self._call(keyring.delete_password, self.service, account)
        except _Missing:
            return False
        return True

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        future = asyncio.wrap_future(_in_daemon_thread(fn, *args))
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise _timed_out(self.timeout) from None


class SessionOnlyStore(KeyringCredentialStore):
    """Saves in this process's memory only: the login lasts until zen-tui exits."""

    async def save(self, account: str, stored: StoredCredential) -> None:
        _register(stored)
        _SESSION[account] = stored


async def keyring_problem(store: KeyringCredentialStore, account: str) -> str | None:
    """Why a login could not be saved here (one line), or None when the keyring works.
    Reads the account's own entry, so asking never leaves anything behind."""
    try:
        await store.load(account)
    except KeyringUnavailable as exc:
        return str(exc)
    return None


def _in_daemon_thread(fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
    """Run one keyring call in its own daemon thread. Not asyncio.to_thread: a backend that
    hangs for good would then block asyncio.run() and interpreter exit on the executor join."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def work() -> None:
        try:
            result = _guarded(fn, *args)
        except BaseException as exc:  # handed to the waiting caller, not lost in the thread
            _settle(future.set_exception, exc)
        else:
            _settle(future.set_result, result)

    threading.Thread(target=work, name="zen-tui-keyring", daemon=True).start()
    return future


def _settle(setter: Callable[[Any], None], value: Any) -> None:
    # InvalidStateError: the caller timed out and cancelled; nobody waits for this answer.
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        setter(value)


class _Missing(Exception):
    pass


def _guarded(fn: Callable[..., T], *args: Any) -> T:
    """Runs in the worker thread; maps backend errors to secret-free ones."""
    try:
        return fn(*args)
    except keyring.errors.PasswordDeleteError:
        raise _Missing() from None
    except keyring.errors.NoKeyringError:
        raise KeyringUnavailable(HEADLESS_HELP) from None
    except (keyring.errors.KeyringError, RuntimeError, OSError) as exc:
        kind = type(exc).__name__
        raise KeyringUnavailable(f"the OS keyring failed ({kind}); {HEADLESS_HELP}") from None


def _timed_out(timeout: float) -> KeyringUnavailable:
    return KeyringUnavailable(
        f"the OS keyring did not answer within {timeout:g} s (locked?); {HEADLESS_HELP}"
    )


def _register(stored: StoredCredential) -> None:
    register_secret(stored.token)
    register_secret(stored.refresh_token)
