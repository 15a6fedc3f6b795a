"""Tokens in the OS keyring: one JSON blob per account under the service name "zen-tui".

Where the calls run: unless keyring is already loaded in this process, each request goes to
a short-lived helper process (keyring_helper.py runs keyring_call.py, as git runs its
credential helpers), so the dashboard never loads keyring and its backend (several MiB of
resident memory: D-Bus, cryptography). The secrets travel through the helper's stdin and
stdout only. When keyring is loaded here already, the call runs in a daemon thread instead.

Keyring backends are synchronous and can hang (a locked Secret Service over D-Bus), so every
request has a timeout. At the timeout the helper process (and its process group) is killed:
nothing is left behind. A call in a thread cannot be stopped: the daemon thread stays until
the backend returns (it cannot hold up the exit). Any backend failure becomes
`KeyringUnavailable`, whose message says what to do; the token never appears in it. Every
token loaded or saved is registered with the log redactor.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import msgspec

from zen_tui.auth import keyring_call, keyring_helper
from zen_tui.auth.keyring_call import Answer
from zen_tui.gateway.credentials import SecretRecord
from zen_tui.json_input import loads
from zen_tui.redaction import register_secret

SERVICE_NAME = "zen-tui"
DEFAULT_TIMEOUT = 10.0
READ_WINDOW = 0.02  # seconds a helper read waits for other accounts' reads to join it
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
        data = loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            raise ValueError("not a zen-tui credential")
        known = set(cls.__struct_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


# Logins the user chose to keep for this run only (no usable keyring): every store in the
# process reads them first, so the running dashboard's gateways see them; never written out.
# Only this process sees them: no other zen-tui may take one as the account's login.
_SESSION: dict[str, StoredCredential] = {}


class KeyringCredentialStore:
    """load/save/delete one StoredCredential per account, each a single keyring request.
    An account kept for this session only (see SessionOnlyStore) never touches the keyring.

    `in_process`: True runs the keyring calls in a thread of this process, False in the
    helper process; None (the default) decides at each call: in this process when keyring is
    already loaded here (a test set a backend with keyring.set_keyring, a command paid for
    the import already), else in the helper, so the dashboard never loads keyring at all."""

    def __init__(
        self,
        service: str = SERVICE_NAME,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        in_process: bool | None = None,
        session: dict[str, StoredCredential] | None = None,
    ) -> None:
        self.service = service
        self.timeout = timeout
        self.in_process = in_process
        # The process's session logins (a test gives each simulated process its own).
        self.session = _SESSION if session is None else session

    def session_only(self, account: str) -> bool:
        """The account's login is kept in this process's memory only (no keyring entry
        read): other processes cannot see it."""
        return account in self.session

    async def load(self, account: str) -> StoredCredential | None:
        if account in self.session:
            return self.session[account]
        answer = await self._ask({"op": "get", "accounts": [account]})
        return self._parse(account, _value(answer, account))

    def load_blocking(self, account: str) -> StoredCredential | None:
        """load() for synchronous start-up code (no event loop): same timeout and errors."""
        if account in self.session:
            return self.session[account]
        future, limit = self._submit({"op": "get", "accounts": [account]})
        try:
            answer = future.result(limit)
        except TimeoutError:
            raise _timed_out(self.timeout) from None
        return self._parse(account, _value(_checked(answer), account))

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
        if account in self.session:  # a refreshed session login stays in the session
            self.session[account] = stored
            return
        await self._ask({"op": "set", "account": account, "blob": stored.to_json()})

    async def delete(self, account: str) -> bool:
        """True if an entry was removed, False if there was none."""
        if self.session.pop(account, None) is not None:
            return True
        answer = await self._ask({"op": "delete", "account": account})
        return answer.get("deleted") is True

    async def _ask(self, request: Answer) -> Answer:
        """One keyring request, answered within the timeout or KeyringUnavailable."""
        future, limit = self._submit(request)
        try:
            return _checked(await asyncio.wait_for(asyncio.wrap_future(future), limit))
        except TimeoutError:
            raise _timed_out(self.timeout) from None

    def _submit(self, request: Answer) -> tuple[concurrent.futures.Future[Answer], float | None]:
        """The request started, and how long to wait for it: in a thread here, the timeout;
        in the helper, no limit, as the helper's own timeout kills it (then says so)."""
        request = {**request, "service": self.service}
        if self._here():
            return _in_daemon_thread(keyring_call.answer, request), self.timeout
        if request["op"] == "get":
            return _READS.read(self.service, request["accounts"][0], self.timeout), None
        return _in_daemon_thread(_from_helper, request, self.timeout), None

    def _here(self) -> bool:
        if self.in_process is not None:
            return self.in_process
        return "keyring" in sys.modules or not keyring_helper.available()


class SessionOnlyStore(KeyringCredentialStore):
    """Saves in this process's memory only: the login lasts until zen-tui exits."""

    async def save(self, account: str, stored: StoredCredential) -> None:
        _register(stored)
        self.session[account] = stored


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
    _thread(_resolve, [future], fn, *args)
    return future


def _thread(target: Callable[..., None], *args: Any) -> None:
    threading.Thread(target=target, args=args, name="zen-tui-keyring", daemon=True).start()


def _resolve(futures: list[concurrent.futures.Future[T]], fn: Callable[..., T], *args: Any) -> None:
    """fn(*args)'s result or exception, handed to every caller waiting on it."""
    try:
        result = fn(*args)
    except BaseException as exc:  # handed to the waiting callers, not lost in the thread
        for future in futures:
            _settle(future.set_exception, exc)
    else:
        for future in futures:
            _settle(future.set_result, result)


class _ReadBatches:
    """Helper reads of one service asked for within READ_WINDOW of each other share one
    helper process: at the dashboard's start every account's first token lookup (and a Jira
    login's base URL) costs one interpreter start and one keyring import, not one each.
    Each caller has its own future, so one that gives up (cancelled) cancels nobody else."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[str, float], _Batch] = {}

    def read(self, service: str, account: str, timeout: float) -> concurrent.futures.Future[Answer]:
        future: concurrent.futures.Future[Answer] = concurrent.futures.Future()
        key = (service, timeout)
        with self._lock:
            batch = self._open.get(key)
            if batch is None:
                batch = self._open[key] = _Batch()
                _thread(self._run, key, batch)
            batch.accounts.add(account)
            batch.futures.append(future)
        return future

    def _run(self, key: tuple[str, float], batch: _Batch) -> None:
        time.sleep(READ_WINDOW)  # the other accounts' reads starting now join this one
        with self._lock:
            del self._open[key]
        service, timeout = key
        request = {"op": "get", "service": service, "accounts": sorted(batch.accounts)}
        _resolve(batch.futures, _from_helper, request, timeout)


class _Batch:
    def __init__(self) -> None:
        self.accounts: set[str] = set()
        self.futures: list[concurrent.futures.Future[Answer]] = []


_READS = _ReadBatches()


def _from_helper(request: Answer, timeout: float) -> Answer:
    with _helper_errors(timeout):
        return keyring_helper.ask(request, timeout)


def _settle(setter: Callable[[Any], None], value: Any) -> None:
    # InvalidStateError: the caller timed out and cancelled; nobody waits for this answer.
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        setter(value)


def _checked(answer: Answer) -> Answer:
    """keyring_call's answer, or its error as a secret-free KeyringUnavailable."""
    error = answer.get("error")
    if error is None:
        return answer
    if error == "no-keyring":
        raise KeyringUnavailable(HEADLESS_HELP) from None  # nothing chained: a plain line
    kind = answer.get("kind")
    kind = kind if isinstance(kind, str) and kind.isidentifier() else "an error"
    raise KeyringUnavailable(f"the OS keyring failed ({kind}); {HEADLESS_HELP}") from None


def _value(answer: Answer, account: str) -> str | None:
    values = answer.get("values")
    text = values.get(account) if isinstance(values, dict) else None
    return text if isinstance(text, str) else None


@contextlib.contextmanager
def _helper_errors(timeout: float) -> Iterator[None]:
    """The helper process's failures as KeyringUnavailable, in today's words."""
    try:
        yield
    except keyring_helper.HelperTimedOut:
        raise _timed_out(timeout) from None
    except keyring_helper.HelperFailed as exc:
        raise KeyringUnavailable(str(exc)) from None


def _timed_out(timeout: float) -> KeyringUnavailable:
    return KeyringUnavailable(
        f"the OS keyring did not answer within {timeout:g} s (locked?); {HEADLESS_HELP}"
    )


def _register(stored: StoredCredential) -> None:
    register_secret(stored.token)
    register_secret(stored.refresh_token)
