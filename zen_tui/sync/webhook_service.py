"""Webhooks as the engine runs them: receiver + processor, and whether an account is 'live'
(a verified delivery arrived recently), which lets its pollers back off to a safety net."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from zen_tui.config import WebhookConfig
from zen_tui.gateway.clock import Clock
from zen_tui.store import Store
from zen_tui.sync.webhook_processor import WebhookProcessor, WebhookTarget
from zen_tui.sync.webhook_verify import SERVICES
from zen_tui.sync.webhooks import WebhookReceiver, WebhookServer

if TYPE_CHECKING:
    from zen_tui.services.base import ServiceClient

log = logging.getLogger("zen_tui.sync.webhooks")


class Webhooks:
    def __init__(
        self,
        config: WebhookConfig,
        store: Store,
        clients: Mapping[str, ServiceClient],
        services: Mapping[str, str],
        target: WebhookTarget,
        clock: Clock,
        *,
        live_window: float,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        secrets = {s: v for s in SERVICES if (v := config.secret(s, environ))}
        self.clock, self.live_window = clock, live_window
        # account -> service, for every configured account: `clients` (read as they are
        # built) may not hold them all yet
        self._service_of: dict[str, str] = dict(services)
        self.store = store
        self.processor = WebhookProcessor(store, clients, target, clock)
        self.receiver = WebhookReceiver(
            config,
            store,
            secrets=secrets,
            clock=clock.time,
            on_delivery=self._delivered,
            on_unsaved=self.processor.unsaved,
        )
        self.server = WebhookServer(self.receiver)
        # What start() found wrong, one line each (logged; `zen-tui sync` prints them too)
        self.problems: list[str] = []

    def _delivered(self, service: str) -> None:
        self.processor.wake()

    async def start(self) -> list[asyncio.Task[None]]:
        """Serve (if any secret is set) and apply pending deliveries; the tasks to cancel.
        The counters (receiver and processor) count from here."""
        self.receiver.stats.started_at = self.processor.since = self.clock.time()
        services = sorted(set(self._service_of.values()))
        for service in (s for s in services if s not in self.receiver.secrets):
            env = self.receiver.config.secret_env.get(service)
            where = f"${env} is not set" if env else f"[webhooks.secret_env] has no {service}"
            self.problems.append(f"no secret for {service} ({where}); its deliveries are refused")
            log.warning("webhooks: %s", self.problems[-1])
        if self.receiver.secrets and await self.server.start():
            log.info("webhooks: listening on %s", self.server.url("{github,jira,slack}"))
        elif self.server.failure is not None:
            self.problems.append(f"{self.server.failure}; polling as usual")
        return [asyncio.create_task(self.processor.run(), name="webhook processor")]

    async def stop(self) -> None:
        await self.server.stop()

    @property
    def counting(self) -> bool:
        """This process counts deliveries: its receiver listens, or its processor applies
        the queued ones (a `zen-tui sync --once` does neither)."""
        return self.server.listening or self.processor.running

    def live(self, account: str) -> bool:
        """A verified delivery for this account's service arrived within the live window."""
        last = self.receiver.stats.last_at.get(self._service_of.get(account, ""))
        return last is not None and self.clock.time() - last <= self.live_window

    def health(self) -> dict[str, Any]:
        stats = self.receiver.stats.as_dict()
        processor = self.processor
        return stats | {
            "processed": processor.processed,
            "carried_over": processor.carried_over,
            "port": self.server.port,
        }
