"""Small helpers shared by test folders (no fixtures: those live in each folder's conftest)."""

from __future__ import annotations


class ManualClock:
    """A `() -> float` clock that stands still until a test sets `now`."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
