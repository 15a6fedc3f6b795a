"""The Store facade: one SQLite file (WAL) holding everything zen-tui keeps between runs."""

from __future__ import annotations

import time
from pathlib import Path

from zen_tui import paths
from zen_tui.lazy_log import get_logger
from zen_tui.store.base import Clock
from zen_tui.store.connection import open_database
from zen_tui.store.items import ItemsMixin
from zen_tui.store.links import LinksMixin
from zen_tui.store.logins import LoginsMixin
from zen_tui.store.moves import RepoMovesMixin
from zen_tui.store.outbox import OutboxMixin
from zen_tui.store.pauses import PausesMixin
from zen_tui.store.records import CursorsMixin, HealthMixin, HttpCacheMixin, WebhooksMixin

log = get_logger("zen_tui.store")


class Store(
    LoginsMixin,
    RepoMovesMixin,
    ItemsMixin,
    OutboxMixin,
    LinksMixin,
    HttpCacheMixin,
    CursorsMixin,
    WebhooksMixin,
    HealthMixin,
    PausesMixin,
):
    """Used from one thread at a time (calls are serialised by a lock); several processes may
    open the same file. Check `recovered` after opening: it says if a bad file was moved aside.
    """

    @classmethod
    def open(cls, path: Path | str, *, clock: Clock = time.time) -> Store:
        """Open (creating dirs and file, 0600) and migrate; ":memory:" for a throwaway store.

        Raises StoreTooNew for a file from a newer zen-tui, StoreError if it cannot be opened.
        """
        db, recovered = open_database(path)
        return cls(db, recovered, clock)

    @classmethod
    def open_in(cls, data_dir: Path) -> Store:
        """The store at data_dir/zen-tui.db (created on first use). A corrupt or foreign file
        is moved aside by `open`; say so (the CLI's log handler shows warnings on stderr)."""
        store = cls.open(paths.store_path(data_dir))
        if store.recovered is not None:
            log.warning(store.recovered.message())
        return store

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
