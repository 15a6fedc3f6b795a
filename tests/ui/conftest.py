"""UI test helpers: a ZenApp over a FakeBackend with a frozen clock."""

from __future__ import annotations

from typing import Any

import pytest

from zen_tui.ui.app import ZenApp
from zen_tui.ui.fake_backend import FROZEN_NOW, FakeBackend


def make_app(backend: FakeBackend | None = None, **kwargs: Any) -> ZenApp:
    return ZenApp(backend or FakeBackend(), clock=lambda: FROZEN_NOW, **kwargs)


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


def notes(app: ZenApp) -> list[str]:
    """The texts of the notifications raised so far (rendered or not)."""
    return [n.message for n in app._notifications]
