"""Readiness per account: each account's gateway and client count as ready on their own, so
what needs one account never waits for (nor speaks of) another one's build; a failed build
says why (one line, no secret); and webhooks count as live for an account only while the
receiver listens and that account is built (a delivery for it before then only waits)."""

from __future__ import annotations

import argparse
import asyncio
import random
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import eventually
from tests.unit.sync.test_deferred_network import deferred, hooked, settings_in
from tests.unit.sync.test_partial_start import github_delivery, jira_deletion, section
from zen_tui.commands import health as health_command
from zen_tui.events import Event
from zen_tui.sync.backend import AccountConnection, NotConnected
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build_local, connect

SECRET = "ghp_" + "k" * 36  # a token a keyring backend's message might quote


def connections(engine: SyncEngine) -> list[AccountConnection]:
    seen: list[AccountConnection] = []

    def note(event: Event) -> None:
        if isinstance(event, AccountConnection):
            seen.append(event)

    engine.bus.subscribe(note)
    return seen


async def deliver(
    engine: SyncEngine, *deliveries: tuple[str, tuple[bytes, dict[str, str]]]
) -> None:
    """POST each (service, (body, headers)) to the receiver over its real socket."""
    assert engine.webhooks is not None and engine.webhooks.server.port
    url = f"http://127.0.0.1:{engine.webhooks.server.port}/webhooks"
    async with httpx.AsyncClient() as http:
        for service, (body, headers) in deliveries:
            answer = await http.post(f"{url}/{service}", content=body, headers=headers)
            assert answer.status_code == 202


async def test_each_account_is_ready_on_its_own_and_says_so(
    tmp_path: Path, keyring_faults: dict[str, Any]
) -> None:
    """Jira's keyring does not answer: GitHub and Slack are connected (their clients answer
    at once), Jira is connecting; once its keyring answers, it is connected too. Each change
    is published for that account alone."""
    locked = keyring_faults["jira"] = threading.Event()
    engine = deferred(settings_in(tmp_path))
    engine.set_paused(True)
    seen = connections(engine)
    starting = asyncio.ensure_future(engine.start())
    try:
        await eventually(lambda: sorted(engine.wired.clients) == ["github", "slack"], "builds")
        assert engine.connected("github") and engine.connected("slack")
        assert not engine.connected("jira") and not engine.connected()
        assert engine.connection("github").state == "connected"
        jira = engine.connection("jira")
        assert (jira.state, jira.service, jira.describe()) == (
            "connecting",
            "jira",
            "connecting to jira…",
        )
        client = await asyncio.wait_for(engine.service_client("github"), 5)  # no Jira wait
        assert client is engine.wired.clients["github"]
        assert ("jira", "connected") not in {(e.account, e.state) for e in seen}
        locked.set()
        await asyncio.wait_for(starting, 30)
        assert engine.connected("jira") and engine.connected()
        assert engine.connection("jira").describe() == ""
        said = {(e.account, e.state) for e in seen}
        assert said == {
            (a, s) for a in ("github", "jira", "slack") for s in ("connecting", "connected")
        }
    finally:
        locked.set()
        await asyncio.wait_for(engine.stop(), 5)


async def test_a_failed_account_says_why_in_one_line_without_its_secret(
    tmp_path: Path, keyring_faults: dict[str, Any]
) -> None:
    """Jira's keyring raises (a message of two lines quoting a token): Jira is failed, not
    connecting, and says why; the next call that needs it builds it again."""
    keyring_faults["jira"] = RuntimeError(f"keyring locked:\n  could not read {SECRET}")
    engine = deferred(settings_in(tmp_path))
    engine.set_paused(True)
    seen = connections(engine)
    try:
        await asyncio.wait_for(engine.start(), 30)  # one account failing is no start error
        assert engine.connected("github") and not engine.connected("jira")
        failed = engine.connection("jira")
        assert failed.state == "failed" and failed.reason is not None
        assert failed.reason.startswith("keyring locked: could not read ")
        assert SECRET not in failed.reason and "\n" not in failed.reason
        assert failed.describe() == f"jira: not connected ({failed.reason})"
        assert [e.state for e in seen if e.account == "jira"] == ["connecting", "failed"]
        del keyring_faults["jira"]
        await asyncio.wait_for(engine.refresh(section(engine, "jira", "issues").id), 30)
        assert engine.connection("jira").state == "connected"
        assert [e.state for e in seen if e.account == "jira"][-1] == "connected"
    finally:
        await asyncio.wait_for(engine.stop(), 5)


async def test_webhooks_are_live_only_for_a_built_account_while_the_receiver_listens(
    tmp_path: Path, keyring_faults: dict[str, Any]
) -> None:
    """Deliveries for GitHub and for Jira (whose keyring hangs) over a real socket: GitHub's
    webhooks are live, Jira's are not (it is connecting, and says so). With the receiver
    stopped, none is live any more."""
    locked = keyring_faults["jira"] = threading.Event()
    engine = deferred(hooked(settings_in(tmp_path)))
    engine.set_paused(True)
    starting = asyncio.ensure_future(engine.start())
    try:
        await eventually(lambda: sorted(engine.wired.clients) == ["github", "slack"], "builds")
        await deliver(engine, ("github", github_delivery("t")), ("jira", jira_deletion("P-1")))
        await eventually(lambda: engine.store.webhook_pending() == [], "the deliveries kept")
        health = {h.account: h for h in engine.health()}
        assert health["github"].webhooks_live and not health["jira"].webhooks_live
        assert health["github"].connection == "connected"
        assert (health["jira"].connection, health["jira"].connection_error) == ("connecting", None)
        assert engine.webhooks is not None
        await engine.webhooks.server.stop()
        assert not any(h.webhooks_live for h in engine.health())
    finally:
        locked.set()
        await asyncio.wait_for(asyncio.gather(starting, return_exceptions=True), 30)
        await asyncio.wait_for(engine.stop(), 5)


async def test_the_health_command_says_an_account_could_not_connect_and_why(
    tmp_path: Path, keyring_faults: dict[str, Any], capsys: Any
) -> None:
    """What the dashboard saved while Jira's keyring raised and a Jira delivery came in:
    `zen-tui health` says Jira could not connect and why (its secret masked), and that its
    webhooks are not live; GitHub, built, shows its figures. Once it quits, nothing is live."""
    keyring_faults["jira"] = RuntimeError(f"keyring locked ({SECRET})")
    settings = hooked(settings_in(tmp_path))
    engine = deferred(settings)
    engine.set_paused(True)
    try:
        await asyncio.wait_for(engine.start(), 30)
        await deliver(engine, ("github", github_delivery("t")), ("jira", jira_deletion("P-1")))
        await eventually(lambda: engine.store.webhook_pending() == [], "the deliveries kept")
        engine.save_health()
        capsys.readouterr()  # asked while the dashboard runs: its webhooks may be live
        assert health_command.run(argparse.Namespace(json=False), settings) == 0
        out = capsys.readouterr().out
    finally:
        await asyncio.wait_for(engine.stop(), 5)
    jira = out.split("jira (jira)")[1].split("slack (slack)")[0]
    assert ": could not connect: keyring locked (ghp_***)" in jira.splitlines()[0]
    assert "breaker" not in jira and SECRET not in out
    assert "  webhooks  not live (the account is not connected)" in jira
    github = out.split("github (github)")[1].split("jira (jira)")[0]
    assert "breaker   closed" in github and "  webhooks  live on port" in github
    assert health_command.run(argparse.Namespace(json=False), settings) == 0
    after = capsys.readouterr().out.split("github (github)")[1].split("jira (jira)")[0]
    assert ", not running now" in after and "  webhooks  not live (nothing is running" in after


async def test_a_call_for_an_account_that_cannot_be_built_gets_why_in_one_line(
    tmp_path: Path,
) -> None:
    """Even a build that fails as a whole (the request stack will not import): start()
    raises it as it is, but a call for one account (a form's client) gets NotConnected,
    naming the account and why in one line, without a secret the error quoted."""

    def network(account: str) -> Any:
        raise ImportError(f"no module named 'httpx'\n(while {SECRET})")

    engine = deferred(settings_in(tmp_path), network)
    engine.set_paused(True)
    try:
        with pytest.raises(ImportError):
            await asyncio.wait_for(engine.start(), 30)
        with pytest.raises(NotConnected) as raised:
            await asyncio.wait_for(engine.service_client("jira"), 30)
        assert str(raised.value) == "jira: not connected (no module named 'httpx' (while ghp_***))"
        assert engine.connection("jira").state == "failed"
    finally:
        await asyncio.wait_for(engine.stop(), 5)


NAMES = ("github", "jira", "slack")


async def test_readiness_stays_per_account_in_random_orders(tmp_path: Path) -> None:
    """Seeded rounds: each account's build succeeds or fails, their (hung) builds end in a
    random order. After each ends: each account's state is its own (connected iff its
    client exists), the last news on the bus agrees with it, a built account's client is
    handed over at once whatever the others do, and only built accounts' webhooks are live
    (every service had a delivery just now, the receiver listening)."""
    rng = random.Random(20261206)
    for round_ in range(12):
        fails = {name for name in NAMES if rng.random() < 0.4}
        order = rng.sample(NAMES, len(NAMES))
        await one_round(tmp_path / str(round_), fails, order)


def listening(engine: SyncEngine) -> bool:
    return engine.webhooks is not None and engine.webhooks.server.listening


async def one_round(data_dir: Path, fails: set[str], order: list[str]) -> None:
    gates = {name: threading.Event() for name in NAMES}
    wired = build_local(hooked(settings_in(data_dir)))

    def network(account: str) -> Any:
        gates[account].wait(30)
        if account in fails:
            return {}, {}, {account: RuntimeError(f"{account} keyring locked")}
        return connect(wired, account)

    engine = SyncEngine(wired, connect=network)
    engine.set_paused(True)
    seen = connections(engine)
    starting = asyncio.ensure_future(engine.start())
    try:
        await eventually(lambda: listening(engine), "the receiver")
        hooks = engine.webhooks
        assert hooks is not None
        for service in NAMES:  # a verified delivery for every service, just now
            hooks.receiver.stats.last_at[service] = engine.wired.clock.time()
        for ended, account in enumerate(order, 1):
            gates[account].set()
            await eventually(lambda a=account: engine.connection(a).state != "connecting", account)
            for name in NAMES:
                state = engine.connection(name).state
                expected = "failed" if name in fails else "connected"
                assert state == ("connecting" if name in order[ended:] else expected)
                assert (state == "connected") == (name in engine.wired.clients)
                said = [e.state for e in seen if e.account == name]
                assert said and said[-1] == state
                if state == "connected":
                    client = await asyncio.wait_for(engine.service_client(name), 1)
                    assert client is engine.wired.clients[name]
            live = {h.account: h.webhooks_live for h in engine.health()}
            assert live == {n: engine.connected(n) for n in NAMES}
    finally:
        for gate in gates.values():
            gate.set()
        await asyncio.wait_for(asyncio.gather(starting, return_exceptions=True), 30)
        await asyncio.wait_for(engine.stop(), 5)
