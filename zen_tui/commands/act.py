"""`zen-tui act KIND ITEM_ID [KEY=VALUE ...]`: queue a triage action in the outbox and try to
send it now (with anything queued before it, in order).

Exit status: 0 applied, 3 pending (offline, breaker open, rate limited), or unknown (sent,
no clear answer: said `unknown`, as `zen-tui outbox` lists it): the next `zen-tui sync` or
the dashboard sends/verifies it; 1 failed (reason printed),
2 bad input (unknown account, malformed item id, a kind the service does not take, a
missing, unknown or invalid parameter; checked before anything is queued).

A one-shot send never keeps the user waiting through a whole outage: each call is tried at
most ACT_ATTEMPTS times, the send as a whole gets SEND_DEADLINE seconds, and an account whose
breaker a running dashboard or `zen-tui sync` saw open is not called at all (only while that
record is current: its saver still runs and the record is young, as `zen-tui health` shows;
an old record, or one from a saver gone or stopped, is not trusted). Whatever did not
go through stays in the outbox and the answer is `pending`, at once.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from zen_tui.action_kinds import ACTION_KINDS

# The engine (asyncio, the gateway) loads only when an action is sent; the config, the models
# and the validation when the command runs, not for `zen-tui --help`.
if TYPE_CHECKING:
    from zen_tui.config import AccountConfig, Settings
    from zen_tui.models import Action, ActionState, MergeMethods
    from zen_tui.store import OutboxEntry, Store
    from zen_tui.sync.engine import SyncEngine

PENDING = 3
CROSS_VERBS = ("issue-from-message", "share")  # zen_tui/commands/act_cross.py
# `share` is an action kind too; `issue-from-message` makes a chain (zen_tui/crosslink.py).
KINDS: tuple[str, ...] = (*ACTION_KINDS, "issue-from-message")
ACT_ATTEMPTS = 2  # per call: one quick retry; the outbox retries later, not the user
SEND_DEADLINE = 10.0  # seconds for the whole send, as for any call a person waits on
HELP = "queue a triage action on one item (through the outbox)"


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=KINDS, metavar="KIND", help=f"one of: {', '.join(KINDS)}")
    parser.add_argument("item", metavar="ITEM_ID", help='item id, e.g. "gh:owner/repo#12"')
    parser.add_argument(
        "params",
        nargs="*",
        type=_param,
        action=_Params,
        metavar="KEY=VALUE",
        help="the action's arguments, e.g. body=LGTM label=bug",
    )


def _param(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE (e.g. body=LGTM)")
    return key, value


class _Params(argparse.Action):
    """KEY=VALUE pairs as a dict (a later KEY wins, as in a shell environment)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        pairs: list[tuple[str, str]] = list(values) if isinstance(values, list) else []
        setattr(namespace, self.dest, dict(pairs))


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.kind in CROSS_VERBS:  # across services: loaded only when asked for
        from zen_tui.commands import act_cross

        return act_cross.run(args, settings, one_shot(settings))
    from zen_tui.actions import InvalidAction, validate
    from zen_tui.models import Action

    account = _account_of(args.item, settings)
    if account is None:
        print(f"zen-tui: {_no_account(args.item)}", file=sys.stderr)
        return 2
    action = Action(
        kind=args.kind, item_id=args.item, account=account.name, params=dict(args.params)
    )
    try:
        validate(action, account.service)  # before queueing: a bad action never enters the outbox
    except InvalidAction as exc:
        print(f"zen-tui: {exc}", file=sys.stderr)
        return 2
    import asyncio

    return asyncio.run(_act(one_shot(settings), action))


def _no_account(item_id: str) -> str:
    return (
        f"cannot tell the account of {item_id!r}; item ids look like "
        "ACCOUNT:KEY (see `zen-tui list ... --json`)"
    )


class _Given:
    """The action as the command line gives it, for action_rules.validate (no msgspec)."""

    __slots__ = ("account", "item_id", "kind", "params")

    def __init__(self, kind: str, item_id: str, account: str, params: dict[str, str]) -> None:
        self.kind, self.item_id, self.account, self.params = kind, item_id, account, params


def refused(args: argparse.Namespace) -> str | None:
    """The one-line refusal `run` would give this command line, found from argv and the
    config's [[accounts]] names and services alone: before the config is checked in full, the
    store opens, the log is set up or msgspec loads, so a script's typo is answered about as
    fast as `--help`. None when the action may be fine or only the full run can tell (no
    config to read, a config this plain reading does not follow, an action across services):
    `run` checks it again. With a config the full load would refuse, this refusal comes first,
    as argparse's usage errors do."""
    if args.kind in CROSS_VERBS:
        return None
    from zen_tui.action_rules import InvalidAction, validate

    name, sep, _ = args.item.partition(":")
    services = _account_services(args)
    if services is None:
        return None
    service = services.get(name) if sep else None
    if service is None:
        return _no_account(args.item)
    try:
        validate(_Given(args.kind, args.item, name, dict(args.params)), service)
    except InvalidAction as exc:
        return str(exc)
    return None


def _account_services(args: argparse.Namespace) -> dict[str, str] | None:
    """Account name -> service, as the config's [[accounts]] tables write them (no file: none
    yet, as for the full load); None when the full load must answer: a named file that is
    missing or unreadable, TOML that does not parse, accounts not written as name/service
    strings, a name given twice."""
    from zen_tui import config_cache, paths
    from zen_tui.action_rules import KINDS

    try:
        path = paths.config_path(args.config)
        if not path.exists():
            return None if paths.config_path_is_explicit(args.config) else {}
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, paths.HomeNotFound):
        return None
    # The parse the last full load kept (zen_tui/config_cache.py), else tomllib's.
    doc = config_cache.lookup(config_cache.cache_file(), text)
    if doc is None:
        doc = _parsed(text)
    if doc is None:
        return None
    raw = doc.get("accounts", [])
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        return None
    services = {a.get("name"): a.get("service") for a in raw}
    if len(services) != len(raw) or not all(
        isinstance(n, str) and s in KINDS for n, s in services.items()
    ):
        return None
    return services


def _parsed(text: str) -> dict[str, Any] | None:
    import tomllib

    from zen_tui import toml_input

    try:
        return toml_input.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def one_shot(settings: Settings) -> Settings:
    """The configured gateways, each call tried at most ACT_ATTEMPTS times."""
    from msgspec.structs import replace

    gateway = {}
    for account in settings.accounts:
        gs = settings.gateway_for(account.service)
        attempts = min(gs.retry.max_attempts, ACT_ATTEMPTS)
        gateway[account.service] = replace(gs, retry=replace(gs.retry, max_attempts=attempts))
    return replace(settings, gateway=settings.gateway | gateway)


async def _act(settings: Settings, action: Action) -> int:
    from zen_tui.gateway.errors import CircuitOpen
    from zen_tui.models import ActionState
    from zen_tui.store.outbox import HOLDS_LATER, held_behind
    from zen_tui.sync.engine import SyncEngine
    from zen_tui.sync.freshness import reason_for
    from zen_tui.wiring import build

    engine = SyncEngine(build(settings))
    try:
        open_until = breaker_open_until(engine.store, action.account)
        if action.kind == "merge" and open_until is None:  # by a method the repository allows
            refusal, action = await _merge_method(engine, action)
            if refusal:
                print(f"zen-tui: {refusal}", file=sys.stderr)
                return 2
        [entry] = engine.outbox.queue([action])  # in the store before anything is sent
        service = next(a.service for a in settings.accounts if a.name == action.account)
        if open_until is not None:  # the service is down: queue and answer, send nothing
            err = CircuitOpen(service=service, account=action.account, retry_at=open_until)
            _settle(engine, entry, ActionState.PENDING, reason_for(err))
        else:
            await send_within_deadline(engine, entry)
            await engine.relist_landed([entry])  # `list` shows the server's state after it
        entry = engine.store.outbox_get(entry.id)
        waiting = engine.store.outbox_by_state(*HOLDS_LATER)
        held = None if entry is None or open_until else held_behind(entry, waiting)
    finally:
        await engine.stop()
    if entry is None:  # cancelled from another terminal while it waited behind earlier ones
        from zen_tui.sync.outbox import TAKEN_OUT

        print(f"failed {action.kind} on {action.item_id}: {TAKEN_OUT}", file=sys.stderr)
        return 1
    said = entry.reason and entry.reason != f"{action.kind} done"  # not `add_label done` again
    reason = f": {held}" if held else f": {entry.reason}" if said else ""
    if entry.state is ActionState.DONE:
        print(f"applied {action.kind} on {action.item_id}{reason}")
        return 0
    if entry.state is ActionState.FAILED:
        print(f"failed {action.kind} on {action.item_id}{reason}", file=sys.stderr)
        return 1
    from zen_tui.store.outbox_words import kept, what

    print(kept(entry, what(entry), reason))  # in the state `zen-tui outbox` lists it in
    return PENDING


async def _merge_method(engine: SyncEngine, action: Action) -> tuple[str | None, Action]:
    """A merge by a method its repository allows: without merge_method=, the one it allows,
    or the first it allows in GitHub's order (merge, squash, rebase), as the dashboard's
    picker offers first (said on stderr); with one it turns off, why not (refused before
    anything is queued). Not known (the repository does not say, or no answer within
    SEND_DEADLINE): the action as given, and GitHub's 405 says why if it refuses."""
    from msgspec.structs import replace

    repo = action.item_id.partition(":")[2].rpartition("#")[0]
    methods = await _merge_methods(engine, action)
    allowed = methods.allowed
    given = action.params.get("merge_method")
    if given is not None:
        if allowed is None or given in allowed:
            return None, action
        use = f"use merge_method={allowed[0]}"
        return f"merge_method={given}: {repo} allows only {', '.join(allowed)}; {use}", action
    if allowed is None:
        why = methods.unknown_why()
        print(f"zen-tui: merging by GitHub's default (merge): {repo}: {why}", file=sys.stderr)
        return None, action
    if len(allowed) == 1:
        said = f"the one method {repo} allows"
    else:
        said = f"the first {repo} allows of {', '.join(allowed)} (merge_method= picks another)"
    print(f"zen-tui: merging by {allowed[0]}, {said}", file=sys.stderr)
    return None, replace(action, params={**action.params, "merge_method": allowed[0]})


async def _merge_methods(engine: SyncEngine, action: Action) -> MergeMethods:
    """What the PR's repository allows, read within SEND_DEADLINE."""
    import asyncio

    from zen_tui.models import MergeMethods

    key = action.item_id.partition(":")[2]
    try:
        read = engine.read_current(action.account, lambda c: c.merge_methods(key))
        methods: MergeMethods = await asyncio.wait_for(read, SEND_DEADLINE)
    except Exception as exc:  # not connected, no answer in time
        return MergeMethods(error=str(exc) or type(exc).__name__)
    return methods


def _settle(engine: SyncEngine, entry: OutboxEntry, state: ActionState, reason: str | None) -> None:
    """Record the state act leaves an entry in, under its lease as every outbox write is."""
    taken = engine.outbox.claim(entry)
    if taken is not None:
        try:
            engine.outbox.mark(taken, state, reason)
        finally:
            engine.outbox.release(taken)


async def send_within_deadline(engine: SyncEngine, entry: OutboxEntry) -> None:
    """Replay the outbox (this entry and any queued before it) within SEND_DEADLINE. A send
    cut off mid-request may have reached the server: its entry is checked before a resend."""
    import asyncio

    from zen_tui.events import Event
    from zen_tui.models import ActionState
    from zen_tui.sync.backend import ActionUpdated

    sending: set[str] = set()  # entries this send has marked SENDING and not yet settled

    def watch(event: Event) -> None:
        if isinstance(event, ActionUpdated):
            (sending.add if event.state is ActionState.SENDING else sending.discard)(
                event.action_id
            )

    unsubscribe = engine.bus.subscribe(watch)
    try:
        await asyncio.wait_for(engine.outbox.replay(), SEND_DEADLINE)
    except TimeoutError:
        reason = f"no answer within {SEND_DEADLINE:.0f} s; will verify before resending"
        for entry_id in sorted(sending):
            stuck = engine.store.outbox_get(entry_id)
            if stuck is not None and stuck.state is ActionState.SENDING:
                _settle(engine, stuck, ActionState.UNKNOWN, reason)
    finally:
        unsubscribe()


def breaker_open_until(store: Store, account: str, now: float | None = None) -> float | None:
    """When the breaker that a running dashboard or `zen-tui sync` last saw open for this
    account lets a probe through again; None when it is closed or that time has passed, and
    when the record is not current (its saver gone or stopped, or the record old: the same
    rule as `zen-tui health`, store/saver.py): then nothing is known and act tries to send."""
    from zen_tui.store.saver import saver_running

    now = time.time() if now is None else now
    data, at = store.load_health().get(account, ({}, None))
    until = data.get("half_open_at")
    if data.get("breaker") != "open" or not isinstance(until, int | float) or at is None:
        return None
    if not saver_running(data, at, now):
        return None
    return float(until) if until > now else None


def _account_of(item_id: str, settings: Settings) -> AccountConfig | None:
    name, sep, _ = item_id.partition(":")
    return next((a for a in settings.accounts if sep and a.name == name), None)
