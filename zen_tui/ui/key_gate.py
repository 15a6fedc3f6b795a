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
per key of a burst.

4. An opening the key started has asked for an answer or ended. An opening is a worker that
   opens a screen (or fills one) after an await, a server read most often (`t` reads the
   transitions, then pushes the picker): its method is decorated with `keys_wait`, which
   the key's binding calls, so the gate knows of it before the key has settled. It holds the
   keys until it pushes a dialog (`ZenApp.push_dialog`, `ask_dialog`: they tell the gate), or
   ends without one (the read failed and said so: the keys then go where they would have
   gone typed slowly, the list). A dialog it awaits the answer of that is answered makes it
   hold them again until it asks the next one or ends (`n`: project, type, form).

   A read that does not answer within MAX_OPENING holds them no longer: they go on to what is
   on screen (the list), and a notification says so; the dialog, when it comes, takes the
   keys typed after it appeared.

Mouse clicks (a button's press and release) wait their turn with the keys: a click typed
after `c` in one burst lands on the dialog `c` opened, where it would have landed had the
dialog been up. It goes to the widget under the pointer once the click's turn comes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from functools import partial, wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.errors import NoWidget
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerError

log = logging.getLogger(__name__)

# A walk whose callback was dropped (a node closed under it) must not hold the keys forever:
# when it has gone no hop further for this long, the next key goes anyway, as it would
# without the gate. A walk that still moves is waited for however long it takes: on a
# loaded machine one key's walk may take seconds, and letting the next key out before it
# ends hands that key to where the focus was before (`tab j`: the old list's cursor moved).
MAX_HOLD = 1.0
PASSES = 2  # the key, then what its binding posted along the same path (see above)
# How long keys wait for an opening's dialog: a read held up by a rate limit may take 30 s,
# and keys (ctrl+q among them) must not wait for that.
MAX_OPENING = 3.0

Send = Callable[[events.Event], Awaitable[None]]
N = TypeVar("N", bound=DOMNode)
P = ParamSpec("P")
W = TypeVar("W", bound=Worker[Any])


def gated(event: events.Event) -> bool:
    """Typed input straight from the terminal (not a key on its way back up): keys, pastes,
    a mouse button's press and release."""
    typed = events.Key | events.Paste | events.MouseDown | events.MouseUp
    return isinstance(event, typed) and not event.is_forwarded


class Opening:
    """A worker that opens a screen after an await (see 4. above): while pending, keys wait."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self.asking: Screen[Any] | None = None  # the dialog it awaits (or pushed) now
        self.ended = False
        self.overdue = False  # held the keys MAX_OPENING already: holds them no more

    @property
    def pending(self) -> bool:
        if self.ended or self.overdue:
            return False
        # a dialog it asked that was answered (gone from the stack): it works on again
        return self.asking is None or self.asking not in self._app.screen_stack


# The opening a worker runs for: set while keys_wait starts it, copied into the worker's
# task with the rest of the context, so the dialog it pushes is known to be its own.
_running: ContextVar[Opening | None] = ContextVar("zen_tui_opening", default=None)


def keys_wait(start: Callable[Concatenate[N, P], W]) -> Callable[Concatenate[N, P], W]:
    """Decorates a node's method that starts a worker (a `@work` method) which opens a screen
    after an await: the keys typed after the one that called it wait for the screen (4.)."""

    @wraps(start)
    def starting(node: N, /, *args: P.args, **kwargs: P.kwargs) -> W:
        gate = getattr(node.app, "key_gate", None)
        if not isinstance(gate, KeyGate):  # an app without a gate (a test's bare app)
            return start(node, *args, **kwargs)
        return gate.start_opening(partial(start, node, *args, **kwargs))

    return starting


class KeyGate:
    """One key (or paste) at a time; the rest of a burst waits its turn, in order."""

    def __init__(self, app: App[Any], send: Send) -> None:
        self._app = app
        self._send = send  # App.on_event: priority bindings, then to the focused widget
        self._held: deque[events.Event] = deque()
        self._turn = 0  # counts the keys let out: a late walk of an earlier one is ignored
        self._busy = False
        self._timer_turn = -1  # the turn the hold timer was set for
        self._hops = 0  # counts the walks' steps: a walk that moves is not stuck
        self._openings: set[Opening] = set()
        self._watching: set[asyncio.Task[None]] = set()  # each opening's worker, to its end
        self._parked: Timer | None = None  # the bound on a wait for openings (MAX_OPENING)

    @property
    def settled(self) -> bool:
        """No key in flight, none held."""
        return not self._busy and not self._held

    async def take(self, event: events.Event) -> None:
        if not self._app.screen_stack:  # no screen to hand it to yet: as Textual does
            await self._send(event)
            return
        if self._busy or self._held or self._waiting():
            self._held.append(event)
            if self._busy:
                self._arm_timer()
            elif self._waiting():
                self._park()
            return
        await self._let_out(event)

    # --- openings (4.) ----------------------------------------------------------------------

    def start_opening(self, start: Callable[[], W]) -> W:
        """Start an opening's worker (keys_wait); it holds the keys from now on."""
        opening = Opening(self._app)
        self._openings.add(opening)
        token = _running.set(opening)  # copied into the worker's task as it is created
        try:
            worker = start()
        except BaseException:
            self._end(opening)
            raise
        finally:
            _running.reset(token)
        watch = asyncio.create_task(self._until_done(opening, worker))
        self._watching.add(watch)
        watch.add_done_callback(self._watching.discard)
        return worker

    async def _until_done(self, opening: Opening, worker: Worker[Any]) -> None:
        try:
            await worker.wait()
        except WorkerError:
            pass  # failed or cancelled: ended all the same (a failure says why itself)
        finally:
            self._end(opening)

    def _end(self, opening: Opening) -> None:
        opening.ended = True
        self._openings.discard(opening)
        self._opening_moved()

    def asked(self, screen: Screen[Any]) -> None:
        """The dialog the running opening (if any) pushed: the keys go to it once it is up."""
        opening = _running.get()
        if opening is None or opening.ended:
            return
        opening.asking, opening.overdue = screen, False
        self._opening_moved()

    def _waiting(self) -> bool:
        return any(o.pending for o in self._openings)

    def _opening_moved(self) -> None:
        """An opening asked or ended: once what it pushed has mounted (through that screen's
        queue, as for a key's own screen), the next key goes."""
        if self._busy or not self._held or self._waiting():
            return  # a key in flight settles first; or another opening still holds them
        stack = self._app.screen_stack
        if stack and stack[-1].call_later(self._app.call_later, self._next):
            return
        self._app.call_later(self._next)

    def _park(self) -> None:
        if self._parked is None:
            self._parked = self._app.set_timer(MAX_OPENING, self._overdue)

    def _unpark(self) -> None:
        if self._parked is not None:
            self._parked.stop()
            self._parked = None

    def _overdue(self) -> None:
        """Openings held the keys MAX_OPENING: they go on to what is on screen."""
        self._parked = None
        late = [o for o in self._openings if o.pending]
        if not late or not self._held or self._busy:
            return
        for opening in late:
            opening.overdue = True
        n = len(self._held)
        log.warning("a dialog did not open in %.1f s: %d held keys go on", MAX_OPENING, n)
        self._app.notify(
            f"still waiting for the server after {MAX_OPENING:g} s: the {n} key(s) typed "
            "meanwhile go to the screen on view; the dialog, once open, takes the keys after it",
            severity="warning",
        )
        self._opening_moved()

    # --- one key at a time ------------------------------------------------------------------

    async def _next(self) -> None:
        if self._busy or not self._held:
            return
        if self._waiting():
            self._park()
            return
        self._unpark()
        await self._let_out(self._held.popleft())

    async def _let_out(self, event: events.Event) -> None:
        self._busy = True
        self._turn += 1
        turn = self._turn
        screen = self._app.screen
        target = self._target(event, screen)
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
        self._hops += 1
        for n in range(at, len(path)):
            if path[n].call_later(self._walk, turn, path, n + 1, passes, screen):
                return
            # a node that closed (its screen went): the key goes no further through it
        if passes > 1:
            self._walk(turn, path, 0, passes - 1, screen)
            return
        stack = self._app.screen_stack  # (empty while the app shuts down)
        now = stack[-1] if stack else screen
        if now is not screen and now.call_later(self._last_hop, turn):
            return  # once the new screen has composed and mounted, then the app's turn
        self._app.call_later(self._release, turn)  # (False only when the app is closing)

    def _last_hop(self, turn: int) -> None:
        """The new screen has mounted: the app's turn, then the key has settled."""
        self._hops += 1
        self._app.call_later(self._release, turn)

    def _target(self, event: events.Event, screen: Screen[Any]) -> DOMNode:
        """Where App.on_event hands the event: a click to the widget under the pointer, a key
        to the focused widget, else the screen."""
        if isinstance(event, events.MouseEvent):
            try:
                return screen.get_widget_at(event.x, event.y)[0]
            except NoWidget:  # off every widget: the screen takes it
                return screen
        return self._app.focused or screen

    async def _release(self, turn: int) -> None:
        if turn != self._turn or not self._busy:
            return
        self._busy = False
        await self._next()

    def _arm_timer(self) -> None:
        if self._timer_turn != self._turn:
            self._timer_turn = self._turn
            self._hold(self._turn, self._hops)

    def _hold(self, turn: int, hops: int) -> None:
        """In MAX_HOLD, the key `turn` is let go if its walk has gone no hop past `hops`."""

        async def expire() -> None:
            if turn != self._turn or not self._busy:
                return
            if self._hops != hops:  # slow (a loaded machine), not stuck: it goes on
                self._hold(turn, self._hops)
                return
            log.warning("a key did not settle in %.1f s: the next one goes anyway", MAX_HOLD)
            await self._release(turn)

        self._app.set_timer(MAX_HOLD, expire)
