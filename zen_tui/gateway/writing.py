"""Which calls belong to a write already under way: a gateway replaced by a new login
(Gateway.retire) lets those finish, reads included (a write's check whether it already
applied, a transition's lookup before it is sent), and refuses every other read."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

# Copied into the tasks a write starts (asyncio copies the context), so a write's parts
# that run side by side count as part of it too.
_WRITING: contextvars.ContextVar[bool] = contextvars.ContextVar("zen_tui_writing", default=False)


@contextlib.contextmanager
def write_under_way() -> Iterator[None]:
    """Every gateway call made inside is part of one write (an outbox send, a bulk batch)."""
    token = _WRITING.set(True)
    try:
        yield
    finally:
        _WRITING.reset(token)


def writing() -> bool:
    """The running call is part of a write under way."""
    return _WRITING.get()
