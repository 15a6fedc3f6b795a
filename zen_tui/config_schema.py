"""What the settings are: typed, frozen records and the constants they are checked against.

The schema only; `zen_tui.config` reads and checks the TOML file into these (and re-exports
them, so `from zen_tui.config import Settings` keeps working), and `zen_tui.demo` builds them
for the simulator. No I/O here besides reading a webhook secret's environment variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from zen_tui.gateway.credentials import SecretRecord
from zen_tui.gateway.settings import EvictionPolicy, GatewaySettings, default_settings
from zen_tui.models import Pane, SectionInfo, Service

SERVICES: tuple[Service, ...] = ("github", "jira", "slack")
PANES: tuple[Pane, ...] = ("prs", "issues", "messages", "inbox")
PANE_SERVICES: dict[str, tuple[str, ...]] = {
    "prs": ("github",),
    "issues": ("github", "jira"),
    "messages": ("slack",),
    "inbox": ("github", "jira", "slack"),  # one list of every section, newest first
}
# Which key holds a section's query, per service.
QUERY_KEY: dict[str, str] = {"github": "query", "jira": "jql", "slack": "channels"}
DEFAULT_BASE_URLS: dict[str, str] = {
    "github": "https://api.github.com",
    "slack": "https://slack.com/api",
}
POLICIES: tuple[EvictionPolicy, ...] = ("lru", "lfu", "fifo")
DEFAULT_SECTION_LIMIT = 50


def is_loopback_host(host: str) -> bool:
    """This machine: `localhost`, 127.0.0.0/8 or ::1 (the simulator, a tunnel's end)."""
    if host == "localhost":
        return True
    import ipaddress  # loaded with pathlib already (urllib.parse): no cost

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen_advice(err: OSError, host: str, port: str) -> str | None:
    """What to change when an address cannot be listened on, `host` and `port` naming the
    settings, when it is not "another port" (the callers' own advice, which they gave for
    these too): the host when it is no address of this machine, a port above 1023 when a
    low one needs privileges."""
    import errno

    if err.errno == errno.EADDRNOTAVAIL:
        return f"not an address of this machine: set {host} to one of its own (127.0.0.1: loopback)"
    if err.errno == errno.EACCES:
        return f"ports below 1024 need privileges: set {port} above 1023 (0 = any free port)"
    return None


def is_loopback_url(url: str) -> bool:
    from urllib.parse import urlsplit

    return is_loopback_host(urlsplit(url).hostname or "")


# ---------------------------------------------------------------------------------------------
# Typed settings


class _Uncompared(SecretRecord, frozen=True):
    """Its secret fields are also left out of == and hash (a dataclass's compare=False): two
    settings that differ only in a secret held in memory are the same settings."""

    def _compared(self) -> tuple[Any, ...]:
        return tuple(value for _, value in self._shown())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Uncompared) and type(other) is type(self):
            return self._compared() == other._compared()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._compared())


class AccountConfig(_Uncompared, frozen=True):
    _secret = ("token",)

    name: str
    service: Service
    base_url: str
    token_env: str | None = None  # environment variable holding the token (beats the keyring)
    email: str | None = None  # Jira Basic auth with an API token
    user: str | None = None  # the login "@me" means (GitHub login, Jira accountId, Slack id)
    # Only for the demo: the simulator's token, held in memory. Never read from TOML.
    token: str | None = None


class SectionConfig(msgspec.Struct, frozen=True):
    pane: Pane
    title: str
    account: str
    query: str = ""  # GitHub search; Slack search.messages ("mentions" = messages naming me)
    jql: str = ""  # Jira
    channels: tuple[str, ...] = ()  # Slack: "#dev" names or channel ids
    limit: int = DEFAULT_SECTION_LIMIT

    @property
    def query_text(self) -> str:
        """The section's query whatever the service, for display and ids."""
        return self.query or self.jql or ", ".join(self.channels)


class PollingConfig(msgspec.Struct, frozen=True):
    """Feeds the pollers' interval policy (zen_tui.sync.interval)."""

    min_interval: float = 10.0
    max_interval: float = 600.0
    default_interval: float = 60.0
    focus_factor: float = 0.5  # the section on screen polls this much more often
    backoff: float = 1.5  # interval factor per poll that changed nothing


class UiConfig(msgspec.Struct, frozen=True):
    theme: str | None = None
    keymap: dict[str, str] = msgspec.field(default_factory=dict)  # binding id -> "j,down"
    select_advances: bool = True  # `space` selects the row, then moves the cursor down


COMMAND_MODES = ("background", "suspend")
COMMAND_TIMEOUT = 600.0  # seconds a background command may run before it is stopped
COMMAND_GRACE = 3.0  # seconds a stopped command's group has between SIGTERM and SIGKILL
# The longest grace a config may give: quitting the dashboard waits it out for a command
# that ignores SIGTERM.
COMMAND_GRACE_MAX = 60.0


class CommandConfig(msgspec.Struct, frozen=True):
    """A `[[commands]]` entry: a key on the dashboard runs a shell template with the item's
    fields (zen_tui.item_commands) in the background or in the suspended terminal."""

    key: str
    run: str
    title: str
    pane: Pane | None = None  # None: every pane
    mode: str = "background"  # COMMAND_MODES
    # Run in the item's repo checkout ([repos."owner/name"] path) and refuse without one.
    in_checkout: bool = False
    # Seconds a background command runs before its process group is stopped (SIGTERM, then
    # SIGKILL): a hung `git fetch` does not run for ever. Suspended ones have the terminal.
    timeout: float = COMMAND_TIMEOUT
    # Seconds its group has between SIGTERM and SIGKILL when it is stopped (timeout, cancel,
    # quit): a command that saves its work on SIGTERM may need longer.
    grace: float = COMMAND_GRACE


def _default_secret_env() -> dict[str, str]:
    return {
        "github": "ZEN_GITHUB_WEBHOOK_SECRET",
        "jira": "ZEN_JIRA_WEBHOOK_SECRET",
        "slack": "ZEN_SLACK_SIGNING_SECRET",
    }


class WebhookConfig(_Uncompared, frozen=True):
    _secret = ("secrets",)

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8790  # the simulator's default is 8765
    secret_env: dict[str, str] = msgspec.field(default_factory=_default_secret_env)
    # GitHub sends deliveries of up to 25 MB (larger ones not at all); Jira and Slack
    # publish no cap, their events are far smaller. 25 MiB covers either reading of "MB".
    max_body_bytes: int = 26_214_400
    replay_window: float = 300.0  # older signed timestamps are rejected as replays
    # Secrets held in memory (the demo generates its own); never in a config file or repr.
    secrets: dict[str, str] = msgspec.field(default_factory=dict)

    def secret(self, service: str, environ: Mapping[str, str] | None = None) -> str | None:
        """The signing secret for `service`: one held in memory, else its environment
        variable's value."""
        if self.secrets.get(service):
            return self.secrets[service]
        name = self.secret_env.get(service)
        env = os.environ if environ is None else environ
        return env.get(name) or None if name else None


class Settings(msgspec.Struct, frozen=True):
    accounts: list[AccountConfig]
    sections: list[SectionConfig]
    gateway: dict[str, GatewaySettings]
    polling: PollingConfig
    ui: UiConfig
    webhooks: WebhookConfig
    config_path: Path | None
    data_dir: Path
    commands: tuple[CommandConfig, ...] = ()
    # "owner/name" -> local checkout
    repo_paths: dict[str, Path] = msgspec.field(default_factory=dict)
    demo: bool = False  # the bundled simulator (`--demo`): its store lives for one run

    @property
    def sync_command(self) -> str:
        """The command that fills the store for these settings, as a hint names it. None in
        the demo: each run has its own store, which no other command can fill."""
        return "" if self.demo else "zen-tui sync --once"

    def account(self, name: str) -> AccountConfig:
        for account in self.accounts:
            if account.name == name:
                return account
        raise KeyError(name)

    def gateway_for(self, service: str) -> GatewaySettings:
        return self.gateway.get(service) or default_settings(service)


PRESETS = ("inbox",)
# The Inbox preset: what mentions me or waits for me, per service (newest first on screen).
INBOX_QUERIES: dict[str, tuple[str, str]] = {
    "github": ("GitHub notifications", "notifications"),
    # Valid JQL on Jira Cloud: currentUser() goes with user fields only (=, !=); there is no
    # documented JQL for "mentions me" (`text ~ currentUser()` is a 400: `~` takes a string).
    # Jira's auto-watch makes me a watcher of what I report or comment on.
    "jira": (
        "Jira: watching or assigned",
        "watcher = currentUser() OR assignee = currentUser() ORDER BY updated DESC",
    ),
    "slack": ("Slack mentions", "mentions"),
}


def inbox_section(account: AccountConfig, limit: int = DEFAULT_SECTION_LIMIT) -> SectionConfig:
    """The Inbox pane's section for one account (`[[panes]] preset = "inbox"`)."""
    title, query = INBOX_QUERIES[account.service]
    if account.service == "jira":
        return SectionConfig("inbox", title, account.name, jql=query, limit=limit)
    return SectionConfig("inbox", title, account.name, query=query, limit=limit)


def section_infos(settings: Settings) -> list[SectionInfo]:
    """The sections as the UI sees them; ids f"{pane}:{index}:{account}", index per pane."""
    counts: dict[str, int] = {}
    infos = []
    for section in settings.sections:
        index = counts.get(section.pane, 0)
        counts[section.pane] = index + 1
        service = settings.account(section.account).service
        infos.append(
            SectionInfo(
                id=f"{section.pane}:{index}:{section.account}",
                pane=section.pane,
                title=section.title,
                account=section.account,
                service=service,
                query=section.query_text,
            )
        )
    return infos
