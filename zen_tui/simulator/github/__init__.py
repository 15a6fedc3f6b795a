"""The simulated GitHub: REST (search, pulls, reviews, checks, issues, notifications), the
GraphQL API the PR rows read, OAuth device and web flows."""

from zen_tui.simulator.github.service import GitHubSim

__all__ = ["GitHubSim"]
