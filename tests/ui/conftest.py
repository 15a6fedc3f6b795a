"""UI test helpers: a ZenApp over a FakeBackend with a frozen clock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.backend import FROZEN_NOW, FakeBackend
from zen_tui.ui.app import ZenApp


def make_app(backend: FakeBackend | None = None, **kwargs: Any) -> ZenApp:
    return ZenApp(backend or FakeBackend(), clock=lambda: FROZEN_NOW, **kwargs)


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


def notes(app: ZenApp) -> list[str]:
    """The texts of the notifications raised so far (rendered or not)."""
    return [n.message for n in app._notifications]


class ScriptedFlow:
    """Stands in for auth's LoginFlow in unit tests: yields the given states, records cancel."""

    def __init__(self, *states: object) -> None:
        self.states = states
        self.cancelled = False
        self.calls: list[tuple[str, str, str | None]] = []

    def __call__(self, account: Any, method: str, token: str | None) -> ScriptedFlow:
        self.calls.append((account.name, method, token))
        return self

    async def run(self) -> Any:
        for state in self.states:
            yield state

    def cancel(self) -> None:
        self.cancelled = True
