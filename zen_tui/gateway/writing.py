"""Which calls belong to a write under way: a gateway replaced by a new login
(Gateway.retire) lets those finish, reads included (a write's check whether it already
applied, a transition's lookup before it is sent), and refuses every other read."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator


class _Write:
    """One write, open while its `with write_under_way()` block runs."""

    open = True


# asyncio copies the context into each task created inside the block: a write's parts run
# side by side (gather) count as part of it. So does any other task started there (a
# refresh an event asked for), which is why the write itself is kept, not a flag: once the
# block ends it is closed, and such a task's reads are reads like any other.
_WRITE: contextvars.ContextVar[_Write | None] = contextvars.ContextVar(
    "zen_tui_write", default=None
)


@contextlib.contextmanager
def write_under_way() -> Iterator[None]:
    """Every gateway call made inside is part of one write (an outbox send, a bulk batch)."""
    write = _Write()
    token = _WRITE.set(write)
    try:
        yield
    finally:
        write.open = False
        _WRITE.reset(token)


def writing() -> bool:
    """The running call is part of a write still under way."""
    write = _WRITE.get()
    return write is not None and write.open
