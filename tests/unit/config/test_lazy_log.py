"""zen_tui.lazy_log: a logger's first call runs the waiting setup once, before its record."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from zen_tui import lazy_log
from zen_tui.lazy_log import get_logger, set_up_when_used


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


@pytest.fixture
def kept() -> Iterator[Kept]:
    handler = Kept()
    logger = logging.getLogger("zen_tui.lazy_test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    set_up_when_used(None)


def test_the_setup_runs_once_before_the_first_record_and_may_log_itself(kept: Kept) -> None:
    """As the CLI's does: the setup logs the start line; it comes first, and only once."""
    log = get_logger("zen_tui.lazy_test")
    runs: list[int] = []

    def setup() -> None:
        runs.append(1)
        get_logger("zen_tui.lazy_test").info("start")  # finds no setup waiting: no recursion

    set_up_when_used(setup)
    assert kept.seen == [] and runs == []  # nothing logged yet: nothing set up
    log.warning("first %s", "record")
    log.info("second")
    assert kept.seen == ["start", "first record", "second"] and runs == [1]


def test_a_dropped_setup_never_runs_and_a_later_one_does(kept: Kept) -> None:
    """A logger made before a run (at module import) serves every later run's setup: the
    next command run in the same process sets up its own log."""
    log = get_logger("zen_tui.lazy_test")
    runs: list[str] = []
    set_up_when_used(lambda: runs.append("dropped"))
    set_up_when_used(None)
    log.info("a")
    set_up_when_used(lambda: runs.append("next run"))
    log.info("b")
    assert runs == ["next run"] and kept.seen == ["a", "b"]
    assert log.name == "zen_tui.lazy_test" and log.isEnabledFor(logging.INFO)
    assert lazy_log._setup is None
