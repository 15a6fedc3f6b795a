"""Every test gets clean env vars for the paths and leaves the root logger as it found it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from zen_tui.logs import shutdown_logging
from zen_tui.store import take_recovery_messages


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ZEN_TUI_CONFIG", raising=False)
    monkeypatch.delenv("ZEN_TUI_DATA_DIR", raising=False)
    level = logging.getLogger().level
    take_recovery_messages()  # process-wide notices left by other tests
    yield
    shutdown_logging()
    logging.getLogger().setLevel(level)
