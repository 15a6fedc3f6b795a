"""zen-tui: one keyboard-driven dashboard for GitHub, Jira and Slack triage."""

from zen_tui import _httpx_cli

__version__ = "0.1.0"

_httpx_cli.install()  # before any zen_tui module imports httpx
