"""What a client resolves just before a send (a Jira transition's target status) is kept in
the outbox entry, so that after a crash verify() can still tell whether it was applied."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from zen_tui.gateway.errors import Unavailable
from zen_tui.gateway.events import EventBus
from zen_tui.models import Action, ActionState
from zen_tui.store import Store
from zen_tui.sync.outbox import Outbox

from .fakes import Result

MOVE = Action("transition", "jira:P-1", "jira", {"transition": "Start Progress"})


class ResolvingClient:
    """Resolves the target, keeps it (as JiraClient does), then sends; remembers nothing."""

    service = "jira"

    def __init__(self, status: str, outcome: Result | BaseException) -> None:
        self.status, self.outcome = status, outcome
        self.keep: Callable[[str, Mapping[str, str]], object] | None = None
        self.sent = 0
        self.seen: list[Action] = []

    def keep_resolved(self, sink: Callable[[str, Mapping[str, str]], object]) -> None:
        self.keep = sink

    async def apply(self, action: Action, *, idempotency_key: str) -> Result:
        assert self.keep is not None
        self.keep(idempotency_key, {"to": "In Progress"})
        self.sent += 1
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome

    async def verify(self, action: Action, *, idempotency_key: str) -> bool | None:
        self.seen.append(action)
        target = action.params.get("to")
        return None if target is None else self.status == target


def lost_answer() -> Unavailable:
    return Unavailable(service="jira", account="jira", message="timed out")


async def test_target_kept_before_send_is_verified_at_the_next_start(tmp_path) -> None:
    path = tmp_path / "zen.db"
    with Store.open(path) as store:
        first = ResolvingClient("In Progress", lost_answer())
        outbox = Outbox(store, {"jira": first}, EventBus())
        [entry] = outbox.queue([MOVE])
        assert await outbox.send(entry) is ActionState.UNKNOWN
        store.outbox_update(entry.id, state=ActionState.SENDING)  # as if killed mid-send
        outbox.close()

    with Store.open(path) as store:  # the next start: a fresh client with no memory
        again = ResolvingClient("In Progress", Result(False, "not available"))
        outbox = Outbox(store, {"jira": again}, EventBus())
        assert outbox.recover() == 1
        assert (await outbox.replay()) == {ActionState.DONE: 1}
        done = store.outbox_get(entry.id)
    assert again.sent == 0 and again.seen[0].params["to"] == "In Progress"
    assert done is not None and done.reason == "already applied (verified)"


async def test_target_not_reached_is_sent_again(tmp_path) -> None:
    with Store.open(tmp_path / "zen.db") as store:
        outbox = Outbox(store, {"jira": ResolvingClient("To Do", lost_answer())}, EventBus())
        [entry] = outbox.queue([MOVE])
        await outbox.send(entry)
        client = ResolvingClient("To Do", Result(True))
        outbox = Outbox(store, {"jira": client}, EventBus())
        assert (await outbox.replay()) == {ActionState.DONE: 1}
    assert client.sent == 1
