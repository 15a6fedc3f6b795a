"""Keys typed in one burst act as if typed slowly: each goes where the one before it left the
focus (the list `tab` moved to, the dialog `c` opened, the list `esc` in the filter box went
back to).

Why Textual alone does not: the app hands each key to the focused widget's queue at once, and
the key's binding runs only later, when the key has bubbled back up to the app, hop by hop
through each ancestor's queue. A burst (a fast typist, tmux send-keys, a key-repeat) is
therefore handed out, all of it, to the widget focused before the first key's binding ran:
`esc j` in the filter box typed `j` into the box the `esc` was closing.

The gate lets one key out at a time. The next waits until the one before it has settled:

1. it has been through every node it was handed to, up to the app (its binding has run);
2. once more through that path: what the binding posted to those nodes (an Input's
   `Submitted`) and what their handlers asked of the app (a focus) are handled by then;
3. a screen the key pushed has composed and mounted (it is focused then), and the app has run
   what that asked for (a `focus()` in `on_mount`).

It relies on one ordering detail, pinned by tests/ui/test_key_gate.py: a message pump
handles its queue in order (Textual's guide: "Message Queue"), and a message bubbles to the
parent's queue as soon as the child has handled it. So a callback queued on a node after the
key runs after the key left that node; walking the key's path so, the walk reaches the app
after the key did.

Focus changes a key makes must therefore be immediate (`screen.set_focus`), not after a
refresh (`call_after_refresh`): the gate does not wait for a repaint, which would cost a frame
per key of a burst. A screen a worker pushes after a server read is not waited for: keys typed
before it appears are the screen's below, as when typed slowly.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.screen import Screen

log = logging.getLogger(__name__)

# A walk whose callback was dropped (a node closed under it) must not hold the keys forever:
# after this long the next key goes anyway, as it would without the gate.
MAX_HOLD = 1.0
PASSES = 2  # the key, then what its binding posted along the same path (see above)

Send = Callable[[events.Event], Awaitable[None]]


def gated(event: events.Event) -> bool:
    """Typed input straight from the terminal (not a key on its way back up)."""
    return isinstance(event, events.Key | events.Paste) and not event.is_forwarded


class KeyGate:
    """One key (or paste) at a time; the rest of a burst waits its turn, in order."""

    def __init__(self, app: App[Any], send: Send) -> None:
        self._app = app
        self._send = send  # App.on_event: priority bindings, then to the focused widget
        self._held: deque[events.Event] = deque()
        self._turn = 0  # counts the keys let out: a late walk of an earlier one is ignored
        self._busy = False
        self._timer_turn = -1  # the turn the hold timer was set for

    async def take(self, event: events.Event) -> None:
        if not self._app.screen_stack:  # no screen to hand it to yet: as Textual does
            await self._send(event)
            return
        if self._busy:
            self._held.append(event)
            self._arm_timer()
            return
        await self._let_out(event)

    async def _let_out(self, event: events.Event) -> None:
        self._busy = True
        self._turn += 1
        turn = self._turn
        screen = self._app.screen
        # where App.on_event hands the key: the focused widget, else the screen
        target: DOMNode = self._app.focused or screen
        path = list(target.ancestors_with_self)  # target, its ancestors, the screen, the app
        await self._send(event)
        if self._held:
            self._arm_timer()
        self._walk(turn, path, 0, PASSES, screen)

    def _walk(
        self, turn: int, path: list[DOMNode], at: int, passes: int, screen: Screen[Any]
    ) -> None:
        """Queue the next hop on path[at]: it runs once that node has handled what it had."""
        if turn != self._turn:
            return  # released by the timer already
        for n in range(at, len(path)):
            if path[n].call_later(self._walk, turn, path, n + 1, passes, screen):
                return
            # a node that closed (its screen went): the key goes no further through it
        if passes > 1:
            self._walk(turn, path, 0, passes - 1, screen)
            return
        stack = self._app.screen_stack  # (empty while the app shuts down)
        now = stack[-1] if stack else screen
        if now is not screen and now.call_later(self._app.call_later, self._release, turn):
            return  # once the new screen has composed and mounted, then the app's turn
        self._app.call_later(self._release, turn)  # (False only when the app is closing)

    async def _release(self, turn: int) -> None:
        if turn != self._turn or not self._busy:
            return
        self._busy = False
        if self._held:
            await self._let_out(self._held.popleft())

    def _arm_timer(self) -> None:
        if self._timer_turn != self._turn:
            self._timer_turn = self._turn
            turn = self._turn

            async def expire() -> None:
                if turn == self._turn and self._busy:
                    log.warning(
                        "a key did not settle in %.1f s: the next one goes anyway", MAX_HOLD
                    )
                    await self._release(turn)

            self._app.set_timer(MAX_HOLD, expire)
