"""The optional activity generator: a colleague making a change every few seconds."""

from __future__ import annotations

import logging
import threading

from zen_tui.simulator.core.world import World

log = logging.getLogger(__name__)


class ActivityGenerator:
    """Calls `ServiceSim.activity()` on each mounted service in turn, from a daemon thread."""

    def __init__(self, world: World, interval: float = 3.0) -> None:
        self.world = world
        self.interval = interval
        self.changes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._turn = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def step(self) -> None:
        """Make one change on the next service (round robin); also used directly by tests."""
        services = list(self.world.services.values())
        if not services:
            return
        sim = services[self._turn % len(services)]
        self._turn += 1
        with self.world.lock:
            try:
                sim.activity()
            except Exception:  # a colleague's broken change must not stop the demo
                log.exception("simulator: activity on %s failed", sim.name)
                return
        self.changes += 1

    def start(self, interval: float | None = None) -> None:
        if interval is not None:
            self.interval = max(0.05, float(interval))
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sim-activity", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.step()
