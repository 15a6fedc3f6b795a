"""Keys typed in one burst after a key whose dialog opens only once a server read answers
(`t` reads the transitions, `E` editmeta, `n` the projects, `S` the Slack channels, ...) act
as if typed slowly: they wait for the dialog, then go to it (zen_tui.ui.key_gate's openings).

Over the REAL stack (simulator on a loopback port, SyncEngine, SQLite), two of them from the
same seed: one gets the keys one at a time, each once the app is idle, the other in one
burst. What lands in the simulator, the screens, the focus and the lists' cursors must be the
same. test_burst_keys.py has the same comparison over the FakeBackend for the rest.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.helpers import seeds
from tools.demo_stack import DemoStack, all_live, demo_stack, wait_until
from zen_tui.ui.app import ZenApp
from zen_tui.ui.widgets.item_list import ItemList
from zen_tui.ui.widgets.preview import Preview

from .conftest import LONG_LIVED, outbox_idle, polls_held, refreshes_idle, until_quiet
from .test_burst_keys import describe, key_event

pytestmark = pytest.mark.timeout(300)
# a Slack timestamp, and the marker an issue made from a message carries (a fresh uuid)
TIMESTAMP = re.compile(r"\d{10}\.?\d{6}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")
WIDE = (160, 45)
SEED = 5
LATENCY_MS = 40

# Where each pane's keys start from: the issues pane on its Jira tab, the messages pane
ON_JIRA = ["tab", "right_square_bracket"]
ON_MESSAGES = ["tab", "tab"]

# Every action whose dialog a worker opens after a read (docs/keys.md; bindings of
# DashboardScreen whose _ASK entry is a worker), each with the dialog's keys and one more
# for the list after it.
AFTER_A_READ = [
    ("transition", ON_JIRA, ["t", "down", "enter", "j"]),
    ("transition-left", ON_JIRA, ["t", "escape", "j"]),
    ("merge-left", [], ["m", "escape", "j"]),  # the repository's merge methods read first
    ("bulk-move", [*ON_JIRA, "space", "space"], ["t", "down", "enter", "y", "j"]),
    ("edit-fields", ON_JIRA, ["E", "x", "y", "ctrl+s", "j"]),
    ("assign-to", ON_JIRA, ["A", "down", "enter", "j"]),
    ("link", ON_JIRA, ["i", "enter", *"OPS-1", "enter", "j"]),
    ("edit-comment", [*ON_JIRA, "c", "h", "i", "ctrl+s"], ["C", "enter", "enter", "x", "ctrl+s"]),
    ("history", ON_JIRA, ["H", "enter"]),
    ("history-then-down", ON_JIRA, ["H", "j", "enter"]),
    ("create", ON_JIRA, ["n", "enter", "enter", *"bug", "ctrl+s", "j"]),
    ("share", [], ["S", "down", "enter", "j"]),
    ("issue-from-message", ON_MESSAGES, ["N", "x", "ctrl+s", "j"]),
]


@pytest.fixture
def stacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[DemoStack, DemoStack]]:
    # The refresh an applied action asks for waits for the polls `run` holds, not for its
    # delay: a second of it was waited out at the end of every run for nothing.
    monkeypatch.setattr("zen_tui.sync.engine.AFTER_ACTION_DELAY", 0.01)
    with (
        demo_stack(tmp_path / "slow", seed=SEED, size=160) as slow,
        demo_stack(tmp_path / "fast", seed=SEED, size=160) as fast,
    ):
        yield slow, fast


def waiting_for_an_answer(app: ZenApp) -> int:
    """The screens a worker awaits the answer of (push_screen_wait): such a worker is idle."""
    return sum(
        1
        for screen in app.screen_stack
        for callback in screen._result_callbacks
        if callback.future is not None and not callback.future.done()
    )


def idle(app: ZenApp, *, refreshed: bool) -> bool:
    """Nothing the user waits for: every key handled, no worker busy (one awaiting a
    dialog's answer is not), every screen mounted, the outbox sent; `refreshed`: the
    refreshes it asked for are in too (a create's placeholder row goes then)."""
    if not app.is_running:
        return True
    if not app.key_gate.settled:  # a key posted is not handled yet, or one is held
        return False
    busy = [w for w in app.workers if w.group not in LONG_LIVED and w.is_running]
    mounted = all(s.is_mounted for s in app.screen_stack)
    sent = outbox_idle(app.backend) and (not refreshed or refreshes_idle(app.backend))
    return len(busy) <= waiting_for_an_answer(app) and mounted and sent


async def settle(pilot: Pilot[Any], *, refreshed: bool = False) -> None:
    app = pilot.app
    assert isinstance(app, ZenApp)
    await pilot.pause()
    while True:  # what the queued messages start (a snapshot's preview read) is waited for too
        await wait_until(lambda: idle(app, refreshed=refreshed), "the app to be idle")
        await until_quiet(pilot)  # not Textual's idle guess, which a loaded machine fools
        if idle(app, refreshed=refreshed):
            return


def timeless(value: object) -> object:
    """What differs between two runs of the same keys: a Slack timestamp (in a message id,
    a permalink), a uuid."""
    return TIMESTAMP.sub("<ts>", str(value))


def landed(stack: DemoStack) -> list[object]:
    """What reached the simulator, in order."""
    return [timeless(sorted(m.items())) for m in stack.sim.counters()["mutation_log"]]


def outcome(app: ZenApp, stack: DemoStack) -> dict[str, object]:
    found: dict[str, object] = {"landed": landed(stack), "running": app.is_running}
    if not app.is_running:
        return found
    top = app.screen
    found["screens"] = [type(s).__name__ for s in app.screen_stack]
    found["focused"] = describe(top.focused)
    found["boxes"] = [
        (describe(w), w.value if isinstance(w, Input) else w.text)
        for w in top.query("Input, TextArea")
        if isinstance(w, Input | TextArea)
    ]
    dash = app._dashboard()
    assert dash is not None
    # (by place: a Slack message's id is its timestamp, which differs between the two runs)
    found["lists"] = [(lst.id, lst.cursor, sorted(lst.selected)) for lst in dash.query(ItemList)]
    # (what it shows of the item is left out: a poll may reload it at any time)
    preview = dash.query_one(Preview)
    history = "History (newest first)" in str(preview.query_one("#preview-body").render())
    found["preview"] = (dash.preview_shown, timeless(preview.item_id), history)
    return found


async def run(
    stack: DemoStack, before: Sequence[str], keys: Sequence[str], *, burst: bool
) -> dict[str, object]:
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        # a server across a network: each read takes a while (the simulator's own latency)
        stack.sim.set_faults([{"service": "*", "latency_ms": LATENCY_MS}])
        await settle(pilot, refreshed=True)
        # The refresh an applied action asks for lands later (AFTER_ACTION_DELAY, 1 s):
        # after the rest of a burst, but before the next key typed slowly, whose row moves
        # with what it changes (an issue assigned away leaves "mine", a create's placeholder
        # row goes); and the outcome read before or after it differed. So in both runs the
        # listings are read after the keys, and the outcome once they are in.
        async with polls_held(app.backend):
            for key in before:
                app.post_message(key_event(key))
                await settle(pilot)
            for key in keys:
                app.post_message(key_event(key))
                if not burst:
                    await settle(pilot)
            await settle(pilot)
        await settle(pilot, refreshed=True)
        return outcome(app, stack)


def difference(slow: dict[str, object], fast: dict[str, object]) -> dict[str, object]:
    keys = slow.keys() | fast.keys()
    return {k: (fast.get(k), slow.get(k)) for k in keys if fast.get(k) != slow.get(k)}


# Cases whose mechanism another case also takes (a dialog left with esc, the history's read,
# a Jira form after a read) run with `make soak`; each costs two stacks and about 10 s.
# `share` (a picker after a Slack read) is the mechanism `transition` takes in every run (a
# picker after a Jira read); `edit-fields` (a Jira form after the editmeta read) the one
# `create` takes (a Jira form after the createmeta read, after a picker).
SOAK_CASES = {
    "transition-left",
    "history",
    "history-then-down",
    "edit-comment",
    "link",
    "share",
    "edit-fields",
}
CASES = [
    pytest.param(before, keys, id=name, marks=pytest.mark.slow if name in SOAK_CASES else ())
    for name, before, keys in AFTER_A_READ
]


@pytest.mark.parametrize(("before", "keys"), CASES)
async def test_a_dialog_opened_after_a_read_takes_the_keys_typed_before_it_appeared(
    before: list[str], keys: list[str], stacks: tuple[DemoStack, DemoStack]
) -> None:
    slow_stack, fast_stack = stacks
    slow = await run(slow_stack, before, keys, burst=False)
    assert slow["landed"] or keys[0] in ("H",) or "escape" in keys, slow  # it did something
    fast = await run(fast_stack, before, keys, burst=True)
    assert difference(slow, fast) == {}, f"burst {keys} after {before}: (burst, slow)"


# --- random bursts over the stack ---------------------------------------------------------------

OPENERS = ["t", "E", "A", "i", "C", "H", "n", "S", "N"]
MOVES = ["tab", "shift+tab", "j", "k", "space", "right_square_bracket"]
ANSWERS = ["enter", "down", "escape", "x", "y", "ctrl+s"]


@pytest.mark.parametrize("seed", seeds(every_run=(0,), soak=(1, 2)))
async def test_random_bursts_with_reads_do_what_they_do_typed_slowly(
    seed: int, stacks: tuple[DemoStack, DemoStack]
) -> None:
    """Openers, moves and dialog keys in random order: every key lands where it would typed
    one at a time, however long the reads in between take."""
    rng = random.Random(seed)
    keys = [rng.choice(OPENERS) if n % 3 == 0 else rng.choice(MOVES + ANSWERS) for n in range(12)]
    slow_stack, fast_stack = stacks
    slow = await run(slow_stack, ON_JIRA, keys, burst=False)
    fast = await run(fast_stack, ON_JIRA, keys, burst=True)
    assert difference(slow, fast) == {}, f"seed {seed}: burst {keys}: (burst, slow)"
