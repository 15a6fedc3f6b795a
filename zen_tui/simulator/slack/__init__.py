"""The simulated Slack Web API: conversations, search, reactions, chat and OAuth v2."""

from zen_tui.simulator.slack.service import SlackSim

__all__ = ["SlackSim"]
