"""zen-tui: one keyboard-driven dashboard for GitHub, Jira and Slack triage."""

__version__ = "0.1.0"
