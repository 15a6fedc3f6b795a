"""Fixtures the sync tests share."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from zen_tui import wiring
from zen_tui.config import AccountConfig


@pytest.fixture
def keyring_faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """account -> an exception its build raises, or a threading.Event its build waits for
    (a locked keyring that does not answer). Events are set at the end: no thread is left."""
    faults: dict[str, Any] = {}
    real = wiring._rest_base

    def lookup(account: AccountConfig) -> str:
        fault = faults.get(account.name)
        if isinstance(fault, threading.Event):
            fault.wait(30)
        elif fault is not None:
            raise fault
        return real(account)

    monkeypatch.setattr(wiring, "_rest_base", lookup)
    yield faults
    for fault in faults.values():
        if isinstance(fault, threading.Event):
            fault.set()
