"""The dashboard demo runs with webhooks: the in-process simulator signs each change and
POSTs it to the engine's receiver on loopback, so a change shows without a poll."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import pytest

from tests.helpers import eventually, files_holding
from zen_tui.config import Settings
from zen_tui.demo import demo_session
from zen_tui.logs import setup_logging, shutdown_logging
from zen_tui.models import Action, FreshnessState
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build, build_local, connect


def live(engine: SyncEngine) -> bool:
    snaps = [engine.snapshot(s.id) for s in engine.sections]
    return all(s is not None and s.freshness.state is FreshnessState.LIVE for s in snaps)


def demo_engine(settings: Settings, deferred: bool) -> SyncEngine:
    """`deferred`: as the dashboard wires it, the clients (and the receiver) built at start."""
    if not deferred:
        return SyncEngine(build(settings))
    wired = build_local(settings)
    return SyncEngine(wired, connect=functools.partial(connect, wired))


@pytest.mark.parametrize("deferred", [False, True], ids=["built", "built-at-start"])
async def test_a_demo_engine_receives_the_simulators_webhooks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, deferred: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    log_file = setup_logging(tmp_path, "DEBUG")
    try:
        with demo_session(tmp_path, webhooks=True) as settings:
            keys = dict(settings.webhooks.secrets)
            engine = demo_engine(settings, deferred)
            try:
                # before start() nothing listens yet: the simulator's first deliveries (the
                # GitHub ping) are refused and retried; the first polls show the world
                assert (engine.webhooks is None) is deferred
                await engine.start()
                await eventually(lambda: live(engine))
                engine.set_paused(True)  # from here on only a webhook can change a section
                assert engine.webhooks is not None
                section = next(s for s in engine.sections if s.pane == "prs")
                pr = engine.snapshot(section.id).items[0]  # type: ignore[union-attr]
                client = engine.wired.clients[pr.account]
                result = await client.apply(
                    Action("add_label", pr.id, pr.account, {"label": "via-hook"}),
                    idempotency_key="demo-hook-1",
                )
                assert result.ok, result

                def labelled() -> bool:
                    snap = engine.snapshot(section.id)
                    item = next(i for i in snap.items if i.id == pr.id)  # type: ignore[union-attr]
                    return "via-hook" in item.labels

                await eventually(labelled)
                assert engine.webhooks.receiver.stats.accepted.get("github", 0) >= 1
            finally:
                await engine.stop()
    finally:
        shutdown_logging()
    assert sorted(keys) == ["github", "jira", "slack"] and all(len(k) >= 32 for k in keys.values())
    text = log_file.read_text(encoding="utf-8") + caplog.text
    assert "demo webhooks" in text
    assert not [k for k in keys.values() if k in text]  # no signing secret in any log line
    assert files_holding(tmp_path, keys.values()) == []  # nor at rest: store, WAL, logs


def test_headless_demo_commands_keep_polling_only(tmp_path: Path) -> None:
    with demo_session(tmp_path) as settings:
        assert not settings.webhooks.enabled and not settings.webhooks.secrets


def test_demo_secrets_stay_out_of_the_settings_repr(tmp_path: Path) -> None:
    with demo_session(tmp_path, webhooks=True) as settings:
        keys = settings.webhooks.secrets.values()
        assert settings.webhooks.enabled and keys
        assert not [k for k in keys if k in repr(settings)]
