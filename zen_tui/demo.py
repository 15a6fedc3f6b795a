"""The demo: `zen-tui --demo` and the welcome screen's "run the demo".

A simulator in this process on loopback, settings pointing at it (accounts carrying the
simulator's tokens in memory only, sections that show something at once), and webhooks the
simulator signs to the engine's receiver. Kept out of `config` (which reads the user's file)
and `cli` (which parses arguments and dispatches), so both do one job and `commands.dashboard`
reaches the demo without importing the CLI.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from zen_tui.config import (
    SERVICES,
    AccountConfig,
    PollingConfig,
    SectionConfig,
    Settings,
    UiConfig,
    WebhookConfig,
)
from zen_tui.gateway.settings import default_settings
from zen_tui.logs import register_secret, route_to_log_file

log = logging.getLogger("zen_tui.demo")

DEMO_BANNER = "demo: simulated GitHub, Jira and Slack on loopback; nothing leaves this machine"
DEMO_SCENARIO = "tour"  # the dashboard's demo: each service fails and recovers in turn


@contextmanager
def demo_session(
    data_dir: Path, scenario: str | None = None, *, webhooks: bool = False
) -> Iterator[Settings]:
    """A simulator in this process for as long as the block runs, and settings pointing at it.
    Its data live in a folder of this run's own (<data_dir>/demo/run-*, removed at the end):
    the simulator's world exists only for this run, so nothing (an outbox entry, a lease) may
    reach another run's simulator, and two demos run side by side. A missing or broken
    scenario falls back to a quiet world. With `webhooks`, the simulator also delivers its
    changes to the engine's receiver."""
    from zen_tui.simulator.server import SimulatorServer  # loaded only when a demo runs

    try:
        server = SimulatorServer(scenario=scenario, activity=True)
    except (FileNotFoundError, ValueError) as exc:
        log.warning("demo scenario %r unusable (%s); running without it", scenario, exc)
        server = SimulatorServer(activity=True)
    with server:
        route_to_log_file("uvicorn", "uvicorn.error", "uvicorn.access")
        log.info("demo simulator at %s", server.root_url)
        hooks = demo_webhooks(server) if webhooks else None
        with run_folder(data_dir) as folder:
            yield demo_settings(server.accounts, folder, hooks)


RUN_OWNER = "owner"  # in each run folder: the process that made it (a lease owner id)


@contextmanager
def run_folder(data_dir: Path) -> Iterator[Path]:
    """<data_dir>/demo/run-XXXX: private (0700), this run's alone, removed when it ends. The
    folders of runs that were killed (so never removed their own) go first."""
    from zen_tui.store import leases

    root = data_dir / "demo"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    sweep_dead_runs(root)
    with tempfile.TemporaryDirectory(prefix="run-", dir=root, ignore_cleanup_errors=True) as tmp:
        (Path(tmp) / RUN_OWNER).write_text(leases.new_owner(), encoding="utf-8")
        yield Path(tmp)


def sweep_dead_runs(root: Path) -> None:
    """Remove the run folders whose owner is certainly gone. A folder with no owner file yet
    may be another run starting this instant: it stays."""
    import shutil

    from zen_tui.store import leases

    for folder in root.glob("run-*"):
        try:
            owner = (folder / RUN_OWNER).read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if owner and not leases.alive(owner):
            log.info("demo: removing %s, left by a run that was killed", folder.name)
            shutil.rmtree(folder, ignore_errors=True)


FILLED_FIRST = frozenset({"list", "health"})  # commands that only read the store
FILL_ROLE = "the demo's own sync pass"  # who saved the health a demo `health` shows


def fill(settings: Settings) -> None:
    """One quiet sync pass, so a headless demo command that only reads the store (`list`,
    `health`) shows this run's world: the store starts empty in every run."""
    import asyncio

    from zen_tui.sync.engine import SyncEngine
    from zen_tui.wiring import build

    async def once() -> None:
        engine = SyncEngine(build(settings), role=FILL_ROLE)
        try:
            await engine.sync_once()
        finally:
            await engine.stop()

    asyncio.run(once())


def session_for(command: str, data_dir: Path) -> AbstractContextManager[Settings]:
    """The demo a command runs against: the dashboard gets the "tour" scenario (each service
    fails and recovers in turn) with webhooks; headless commands a steady world, polling only."""
    dashboard = command == "dashboard"
    return demo_session(data_dir, DEMO_SCENARIO if dashboard else None, webhooks=dashboard)


def demo_webhooks(server: Any) -> WebhookConfig | None:
    """Webhooks for the demo: a free loopback port and fresh signing secrets (in memory only,
    masked in the logs), and the simulator signing each change to that receiver, so its
    activity shows up at once instead of at the next poll."""
    import secrets

    keys: dict[str, str] = {str(s): secrets.token_urlsafe(32) for s in SERVICES}
    for key in keys.values():
        register_secret(key)
    port = free_loopback_port()
    try:
        server.set_webhooks(
            {s: (f"http://127.0.0.1:{port}/webhooks/{s}", key) for s, key in keys.items()}
        )
    except RuntimeError as exc:  # a simulator build without webhooks: the demo just polls
        log.warning("demo without webhooks: %s", exc)
        return None
    log.info("demo webhooks: the simulator delivers to 127.0.0.1:%d", port)
    return WebhookConfig(enabled=True, host="127.0.0.1", port=port, secrets=keys)


def free_loopback_port() -> int:
    """A port nothing listens on now; the receiver binds it moments later (SO_REUSEADDR)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SimAccountLike(Protocol):
    """What the demo needs from zen_tui.simulator.server.SimAccount (not imported here)."""

    @property
    def service(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def username(self) -> str | None: ...


def demo_settings(
    sim_accounts: Iterable[SimAccountLike], data_dir: Path, webhooks: WebhookConfig | None = None
) -> Settings:
    """Accounts for the running simulator plus sections that show something at once."""
    accounts = [_demo_account(sim) for sim in sim_accounts]
    sections = [s for a in accounts for s in _demo_sections(a)]
    return Settings(
        accounts=accounts,
        sections=sections,
        gateway={service: default_settings(service) for service in SERVICES},
        polling=PollingConfig(),
        ui=UiConfig(),
        webhooks=webhooks or WebhookConfig(),
        config_path=None,
        data_dir=data_dir,
        demo=True,
    )


def _demo_account(sim: SimAccountLike) -> AccountConfig:
    if sim.service not in SERVICES:
        raise ValueError(f"unknown simulated service {sim.service!r}")
    register_secret(sim.token)
    service = sim.service
    email = sim.username if service == "jira" else None
    user = sim.username if service == "github" else None
    return AccountConfig(sim.name, service, sim.base_url.rstrip("/"), None, email, user, sim.token)


def _demo_sections(account: AccountConfig) -> list[SectionConfig]:
    name = account.name
    if account.service == "github":
        return [
            SectionConfig(
                "prs", "Review requested", name, query="is:pr is:open review-requested:@me"
            ),
            SectionConfig("prs", "My pull requests", name, query="is:pr is:open author:@me"),
            SectionConfig("issues", "Assigned to me", name, query="is:issue is:open assignee:@me"),
        ]
    if account.service == "jira":
        jql = "assignee = currentUser() AND statusCategory != Done ORDER BY updated DESC"
        return [SectionConfig("issues", "Jira: mine", name, jql=jql)]
    return [
        SectionConfig("messages", "Mentions", name, query="mentions"),
        SectionConfig("messages", "#dev", name, channels=("#dev",)),
    ]
