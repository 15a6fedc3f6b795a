"""Local GitHub / Jira / Slack look-alike with fault injection (demo, tests, benchmarks)."""

from zen_tui.simulator.app import build_app, create_world
from zen_tui.simulator.server import SimAccount, SimulatorServer, serve

__all__ = ["SimAccount", "SimulatorServer", "build_app", "create_world", "serve"]
