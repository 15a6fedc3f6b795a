"""Where an account's section rows live: the shared store, or the login's own.

The shared store (data_dir/zen-tui.db) is read by every zen-tui: the other dashboards,
`zen-tui sync`, `zen-tui list`, the next start. Its rows are the recorded login's
(store/logins.py). A login of this process alone (Credential.local) is never recorded, so
rows it fetched there would be shown by the others as their own login's (another user's
`review-requested:@me`). So an account on such a login keeps its sections' items, times,
reasons and delta cursors apart, in a store of the same class (the same freshness rules):

- a token from this process's environment (`token_env`, GH_TOKEN, ...): a file of that
  login's own, data_dir/logins/IDENTITY.db, named by its keyed fingerprint
  (gateway/identity.py). Every process given the same token (a cron job's `zen-tui sync`,
  then `zen-tui list`, the next start in that terminal) reads and writes it, and no other;
- a session-only login: this process's memory, forgotten when it exits. It holds one user per
  account (its login record): another session user drops the earlier one's rows, and going
  back to the shared store's login drops them all.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from pathlib import Path

from zen_tui.auth import ambient
from zen_tui.config import Settings
from zen_tui.lazy_log import get_logger
from zen_tui.paths import cache_key_path, login_rows_path
from zen_tui.store import Store
from zen_tui.store.base import Clock
from zen_tui.store.connection import database_files
from zen_tui.store.rows import StoreError

log = get_logger(__name__)


def env_identities(settings: Settings) -> dict[str, str]:
    """account -> the identity (Fingerprinter.of_user, as its gateway will learn it) of the
    login this process's environment gives it; the accounts without one are left out."""
    found = {a.name: c for a in settings.accounts if (c := ambient.env_credential(a))}
    if not found:
        return {}
    # Only with a token in this environment: its import (hmac, secrets) costs `zen-tui list`
    # ~3 ms, and most starts have none.
    from zen_tui.gateway.identity import Fingerprinter

    fingerprinter = Fingerprinter.kept_at(cache_key_path(Path(settings.data_dir)))
    return {name: fingerprinter.of_user(credential) for name, credential in found.items()}


def _last_written(paths: list[Path]) -> float:
    """The newest modification time of these files (0: none left)."""
    times = [0.0]
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            times.append(path.stat().st_mtime)
    return max(times)


class RowStores:
    def __init__(
        self,
        shared: Store,
        env: Mapping[str, str] | None = None,
        *,
        data_dir: Path | None = None,
        clock: Clock = time.time,
    ) -> None:
        """`env`: env_identities(): these accounts read their environment login's rows from
        the start (the first paint, before the login is read), none of the shared store's.
        `data_dir` None: those rows are kept in memory too."""
        self.shared = shared
        self._env = dict(env or {})
        self._data_dir = data_dir
        self._clock = clock
        self._on: dict[str, str] = dict(self._env)  # account -> its local login's identity
        self._files: dict[str, Store] = {}  # identity -> its file's store
        self._unopened: set[str] = set()  # files that could not be opened (said once)
        self._memory: Store | None = None

    @classmethod
    def for_settings(cls, shared: Store, settings: Settings, clock: Clock = time.time) -> RowStores:
        data = Path(settings.data_dir) if settings.data_dir else None
        return cls(shared, env_identities(settings), data_dir=data, clock=clock)

    def env_identity(self, account: str) -> str | None:
        """The identity of the login this process's environment gives the account, if any."""
        return self._env.get(account)

    def of(self, account: str) -> Store:
        """The store the account's sections are read from and written to now."""
        identity = self._on.get(account)
        if identity is None:
            return self.shared
        if identity == self._env.get(account):
            return self._file(identity)
        return self._session()

    def use_local(self, account: str, user: str) -> bool:
        """The account is on a login of this process alone, as `user` (its fingerprint):
        its sections read that login's rows from now on, none of another's. True when what
        they read changed."""
        before = self._on.get(account)
        self._on[account] = user
        if user == self._env.get(account):
            return before != user
        dropped = self._session().login_switch(account, user)  # another session user's go
        return before != user or dropped

    def use_shared(self, account: str) -> bool:
        """The account is on the shared store's login (its session login gone): what the
        session login kept goes; True when the account's sections read another store now."""
        if self._on.pop(account, None) is None:
            return False
        if self._memory is not None:
            self._memory.login_switch(account, None)  # a later session user sees none of it
        return True

    def prune_files(self, before: float) -> int:
        """Delete the environment logins' files (data_dir/logins/ID.db with its side files)
        last written before `before`, but this process's own; returns how many went.
        Another process still using one (idle that long) writes on to a deleted file: its
        rows live until it exits, as a session login's."""
        if self._data_dir is None:
            return 0
        folder = login_rows_path(self._data_dir, "x").parent
        mine = set(self._env.values()) | set(self._files)
        gone = 0
        for db in folder.glob("*.db"):
            parts = database_files(db)
            if db.stem in mine or _last_written(parts) >= before:
                continue
            for part in parts:
                with contextlib.suppress(OSError):  # not ours to delete: tried again next time
                    part.unlink(missing_ok=True)
            gone += not db.exists()
        return gone

    def close(self) -> None:
        for store in self._files.values():
            store.close()
        self._files.clear()
        if self._memory is not None:
            self._memory.close()
            self._memory = None

    def _file(self, identity: str) -> Store:
        store = self._files.get(identity)
        if store is not None:
            return store
        if self._data_dir is None:
            return self._session()
        if identity in self._unopened:
            return self._session()
        try:
            store = Store.open(login_rows_path(self._data_dir, identity), clock=self._clock)
        except StoreError as exc:  # kept for this run only, as a session login's
            log.warning("the environment login's rows are kept in memory this run: %s", exc)
            self._unopened.add(identity)
            return self._session()
        self._files[identity] = store
        return store

    def _session(self) -> Store:
        if self._memory is None:
            self._memory = Store.open(":memory:", clock=self._clock)
        return self._memory
