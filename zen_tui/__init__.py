"""zen-tui: one keyboard-driven dashboard for GitHub, Jira and Slack triage."""

from zen_tui import _httpx_cli, _msgspec_typing

__version__ = "0.1.0"

_httpx_cli.install()  # before any zen_tui module imports httpx
_msgspec_typing.install()  # before any imports msgspec: it loads without typing_extensions
