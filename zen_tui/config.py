"""The TOML config -> typed, frozen settings; every mistake is one clear `ConfigError`.

This module reads and checks; the records themselves are in `zen_tui.config_schema`, the
demo's settings in `zen_tui.demo`.

Reading is checked by `zen_tui.config_reader`: a `ConfigError` names the file, the key path
(`gateway.github.breaker.timeout`; `sections[2].account`: list entries count from 1), the bad
value and what is allowed. No network I/O, no UI import. The gateway settings start from
`default_settings(service)` and take the user's overrides. Tokens are never read from the
file: only the name of the environment variable that holds one (`token_env`), or the keyring.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from msgspec import to_builtins
from msgspec.structs import replace

from zen_tui import config_cache
from zen_tui.config_reader import ConfigError, Table, parse_duration
from zen_tui.config_schema import (
    COMMAND_GRACE,
    COMMAND_GRACE_MAX,
    COMMAND_MODES,
    COMMAND_TIMEOUT,
    DEFAULT_BASE_URLS,
    DEFAULT_SECTION_LIMIT,
    PANE_SERVICES,
    PANES,
    POLICIES,
    PRESETS,
    QUERY_KEY,
    SERVICES,
    AccountConfig,
    CommandConfig,
    PollingConfig,
    SectionConfig,
    Settings,
    UiConfig,
    WebhookConfig,
    inbox_section,
    is_loopback_url,
    section_infos,
)
from zen_tui.gateway.settings import (
    BreakerSettings,
    CacheSettings,
    CacheTypeSettings,
    DeadlineSettings,
    GatewaySettings,
    RateLimitSettings,
    RetrySettings,
    TimeoutSettings,
    default_settings,
)
from zen_tui.redaction import register_secret

# The schema (config_schema) is re-exported: callers read every settings name from here.
__all__ = [
    "DEFAULT_BASE_URLS",
    "DEFAULT_SECTION_LIMIT",
    "PANES",
    "PANE_SERVICES",
    "POLICIES",
    "PRESETS",
    "QUERY_KEY",
    "SERVICES",
    "AccountConfig",
    "CommandConfig",
    "ConfigError",
    "PollingConfig",
    "SectionConfig",
    "Settings",
    "UiConfig",
    "WebhookConfig",
    "inbox_section",
    "load_settings",
    "parse_settings",
    "register_secrets",
    "section_infos",
]
# Patterns, compiled (and kept) by re the first time one is used: a config without keys or
# repos never compiles theirs, nor does `zen-tui list` pay 0.1 ms per pattern at import.
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# A key as Textual names it: one printable character, or a name with modifiers (ctrl+o, f5).
_KEY = r"^(?:(?:ctrl|shift|alt|super)\+)*(?:[!-~]|[a-z][a-z0-9_]*)$"
_REPO = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"


# ---------------------------------------------------------------------------------------------
# Reading tables with checks


# ---------------------------------------------------------------------------------------------
# Sections of the file


def _require_tables(raw: Any, key: str, what: str, file: Path | None) -> None:
    """`[[key]]` must be an array of tables; else say so and how to write one."""
    if not isinstance(raw, list):
        article = "an" if what[0] in "aeiou" else "a"
        raise ConfigError(
            f"expected [[{key}]] tables",
            file=file,
            key=key,
            value=raw,
            allowed=f"write each {what} as {article} [[{key}]] table",
        )


def _accounts(raw: Any, file: Path | None) -> list[AccountConfig]:
    _require_tables(raw, "accounts", "account", file)
    accounts: list[AccountConfig] = []
    for number, entry in enumerate(raw, start=1):
        account = _account(Table(entry, f"accounts[{number}]", file))
        if any(a.name == account.name for a in accounts):
            raise ConfigError(
                "duplicate account name",
                file=file,
                key=f"accounts[{number}].name",
                value=account.name,
                allowed="give every account a unique name",
            )
        accounts.append(account)
    return accounts


def _account(t: Table) -> AccountConfig:
    name = t.get("name", t.string, "")
    if not name:
        raise t.error(t.path("name"), None, "missing", 'every account needs name = "..."')
    if not re.match(_NAME, name):
        raise t.error(
            t.path("name"),
            name,
            "not a valid account name",
            "use letters, digits, '_', '-' and '.', starting with a letter or digit",
        )
    service = t.get("service", t.choice(SERVICES), None)
    if service is None:
        raise t.error(t.path("service"), None, "missing", f"use one of: {', '.join(SERVICES)}")
    base_url = t.get("base_url", _url_check(t), DEFAULT_BASE_URLS.get(service, ""))
    if not base_url:
        raise t.error(
            t.path("base_url"),
            None,
            "missing",
            f'a {service} account needs base_url = "https://your-site.atlassian.net"',
        )
    token_env = t.get("token_env", t.env_name, None)
    user = t.get("user", t.string, None)
    if "email" in t.data and service != "jira":
        raise t.error(
            t.path("email"),
            t.data["email"],
            "email is only used by jira accounts",
            "remove it (GitHub and Slack take a token only)",
        )
    email = t.get("email", t.string, None)
    t.done()
    return AccountConfig(name, service, base_url.rstrip("/"), token_env, email, user)


def _url_check(t: Table) -> Callable[[Any, str], str]:
    """An http(s) URL the account's token may be sent to: no user or password in it (a
    secret in the config file, and in every message that names the URL), and plain http only
    to this machine (the simulator, an SSH tunnel's end): elsewhere it sends the token in
    clear text to anyone on the way."""

    def check(value: Any, key: str) -> str:
        url = t.string(value, key)
        if not re.match(r"^https?://[^\s/]+", url):
            raise t.error(key, value, "not an http(s) URL", 'use e.g. "https://api.github.com"')
        scheme, rest = url.split("://", 1)
        where = rest.split("/", 1)[0]
        if "@" in where:  # shown without what precedes the @: it may be a password
            shown = f"{scheme}://***@{rest.split('@', 1)[1]}"
            raise t.error(
                key,
                shown,
                "holds a user name or password",
                "tokens never go in the config: remove it and set token_env or run "
                "`zen-tui auth login`",
            )
        if scheme == "http" and not is_loopback_url(url):
            raise t.error(
                key,
                value,
                "plain http to another machine would send your token unencrypted",
                "use https:// (http only for localhost, 127.0.0.1 or ::1: the simulator, "
                "an SSH tunnel)",
            )
        return url

    return check


def _sections(raw: Any, accounts: list[AccountConfig], file: Path | None) -> list[SectionConfig]:
    _require_tables(raw, "sections", "section", file)
    by_name = {a.name: a for a in accounts}
    return [
        _section(Table(entry, f"sections[{n}]", file), by_name)
        for n, entry in enumerate(raw, start=1)
    ]


def _section(t: Table, accounts: dict[str, AccountConfig]) -> SectionConfig:
    pane = t.get("pane", t.choice(PANES), None)
    if pane is None:
        raise t.error(t.path("pane"), None, "missing", f"use one of: {', '.join(PANES)}")
    name = t.get("account", t.string, "")
    if not name:
        raise t.error(
            t.path("account"),
            None,
            "missing",
            'every section needs account = "<name of an [[accounts]] entry>"',
        )
    if name not in accounts:
        known = ", ".join(accounts) or "none yet: add an [[accounts]] table"
        raise t.error(
            t.path("account"),
            name or None,
            "unknown account",
            f"use the name of an [[accounts]] entry ({known})",
        )
    service = accounts[name].service
    _check_misplaced_query(t, service)
    if service not in PANE_SERVICES[pane]:
        raise t.error(
            t.path("pane"),
            pane,
            f"does not fit account {name!r} ({service})",
            f"a {pane} section needs a {' or '.join(PANE_SERVICES[pane])} account",
        )
    query = t.get("query", t.string, "") if service in ("github", "slack") else ""
    jql = t.get("jql", t.string, "") if service == "jira" else ""
    no_channels: tuple[str, ...] = ()
    channels = t.get("channels", t.string_list, no_channels) if service == "slack" else ()
    if query and channels:
        raise t.error(
            t.path("query"),
            query,
            "a slack section takes channels or query, not both",
            "make two sections: one with channels, one with a search query",
        )
    if not (query or jql or channels):
        key = QUERY_KEY[service]
        raise t.error(t.path(key), None, "missing", f"a {service} section needs {_example(key)}")
    title = t.get("title", t.string, query or jql or ", ".join(channels))
    limit = t.get("limit", t.integer(1, 1000), DEFAULT_SECTION_LIMIT)
    t.done()
    return SectionConfig(pane, title, name, query, jql, channels, limit)


def _panes(raw: Any, accounts: list[AccountConfig], file: Path | None) -> list[SectionConfig]:
    """`[[panes]] preset = "inbox"`: the sections a preset stands for, one per account."""
    _require_tables(raw, "panes", "pane preset", file)
    known = {a.name: a for a in accounts}
    out: list[SectionConfig] = []
    for n, entry in enumerate(raw, start=1):
        t = Table(entry, f"panes[{n}]", file)
        if not t.get("preset", t.choice(PRESETS), ""):
            raise t.error(t.path("preset"), None, "missing", f"use one of: {', '.join(PRESETS)}")
        names = t.get("accounts", t.string_list, tuple(known))
        for name in names:
            if name not in known:
                listed = ", ".join(known) or "none yet: add an [[accounts]] table"
                raise t.error(
                    t.path("accounts"), name, "unknown account", f"use account names ({listed})"
                )
        limit = t.get("limit", t.integer(1, 1000), DEFAULT_SECTION_LIMIT)
        t.done()
        out += [inbox_section(known[name], limit) for name in names]
    return out


def _example(key: str) -> str:
    return {
        "query": 'query = "is:pr is:open review-requested:@me"',
        "jql": 'jql = "assignee = currentUser() ORDER BY updated DESC"',
        "channels": 'channels = ["#dev"]',
    }[key]


def _check_misplaced_query(t: Table, service: str) -> None:
    owners = {"jql": ("jira",), "channels": ("slack",), "query": ("github", "slack")}
    for key, services in owners.items():
        if key in t.data and service not in services:
            right = QUERY_KEY[service]
            owner = " or ".join(services)
            raise t.error(
                t.path(key),
                t.data[key],
                f"{key} is for {owner} sections",
                f"this section's account is {service}: use {_example(right)}",
            )


def _gateway(raw: Any, file: Path | None) -> dict[str, GatewaySettings]:
    t = Table(raw, "gateway", file)
    result: dict[str, GatewaySettings] = {}
    for service in SERVICES:
        base = default_settings(service)
        result[service] = _service_gateway(t.table(service), base) if service in t.data else base
    t.done(SERVICES)
    return result


def _service_gateway(t: Table, base: GatewaySettings) -> GatewaySettings:
    settings = replace(
        base,
        breaker=_breaker(t.table("breaker"), base.breaker),
        retry=_retry(t.table("retry"), base.retry),
        cache=_cache(t.table("cache"), base.cache),
        rate_limit=_rate_limit(t.table("rate_limit"), base.rate_limit),
        timeouts=_timeouts(t.table("timeouts"), base.timeouts),
        deadline=_deadline(t.table("deadline"), base.deadline),
        user_agent=t.get("user_agent", t.string, base.user_agent),
        max_response_bytes=_megabytes(t, "max_response_mb", base.max_response_bytes),
    )
    t.done()
    return settings


def _megabytes(t: Table, key: str, default: int) -> int:
    """A size in MB (0.1 .. 1000) as bytes."""
    return int(t.get(key, t.number(0.1, 1000.0), default / 1e6) * 1e6)


def _breaker(t: Table, b: BreakerSettings) -> BreakerSettings:
    out = BreakerSettings(
        failure_threshold=t.get("failure_threshold", t.integer(1), b.failure_threshold),
        success_threshold=t.get("success_threshold", t.integer(1), b.success_threshold),
        timeout=t.get("timeout", t.duration(positive=True), b.timeout),
        max_half_open=t.get("max_half_open", t.integer(1), b.max_half_open),
        per_endpoint=t.get("per_endpoint", t.boolean, b.per_endpoint),
    )
    t.done()
    return out


def _not_shorter(t: Table, out: Any, longer: str, shorter: str) -> None:
    """A maximum duration read into `out` must not be below its minimum."""
    high, low = getattr(out, longer), getattr(out, shorter)
    if high < low:
        raise t.error(
            t.path(longer),
            t.data.get(longer, high),
            f"shorter than {shorter}",
            f"use at least {low:g}s",
        )


def _retry(t: Table, r: RetrySettings) -> RetrySettings:
    out = RetrySettings(
        initial_wait=t.get("initial_wait", t.duration(), r.initial_wait),
        multiplier=t.get("multiplier", t.number(1.0), r.multiplier),
        max_wait=t.get("max_wait", t.duration(), r.max_wait),
        max_attempts=t.get("max_attempts", t.integer(1, 20), r.max_attempts),
        jitter=t.get("jitter", t.boolean, r.jitter),
        max_server_wait=t.get("max_server_wait", t.duration(), r.max_server_wait),
    )
    _not_shorter(t, out, "max_wait", "initial_wait")
    t.done()
    return out


def _cache(t: Table, c: CacheSettings) -> CacheSettings:
    enabled = t.get("enabled", t.boolean, c.enabled)
    types = dict(c.types)
    for name in c.types:
        if name in t.data:
            types[name] = _cache_type(t.table(name), c.types[name])
    t.done(c.types)
    return CacheSettings(enabled=enabled, types=types)


def _cache_type(t: Table, c: CacheTypeSettings) -> CacheTypeSettings:
    out = CacheTypeSettings(
        ttl=t.get("ttl", t.duration(), c.ttl),
        maxsize=t.get("maxsize", t.integer(1), c.maxsize),
        policy=t.get("policy", t.choice(POLICIES), c.policy),
    )
    t.done()
    return out


def _rate_limit(t: Table, r: RateLimitSettings) -> RateLimitSettings:
    buckets = dict(r.buckets)
    if "buckets" in t.data:
        bt = t.table("buckets")
        for scope, value in bt.data.items():
            buckets[scope] = _bucket(bt, value, bt.path(scope))
    out = RateLimitSettings(
        buckets=buckets,
        queue_deadline=t.get("queue_deadline", t.duration(), r.queue_deadline),
        adaptive=t.get("adaptive", t.boolean, r.adaptive),
        safety_factor=t.get("safety_factor", t.number(0.0, 1.0, open_low=True), r.safety_factor),
    )
    t.done()
    return out


def _bucket(t: Table, value: Any, key: str) -> tuple[float, float]:
    allowed = 'write [requests, period], e.g. [30, "1m"]'
    if not isinstance(value, list) or len(value) != 2:
        raise t.error(key, value, "expected [requests, period]", allowed)
    requests = t.number(0.0, open_low=True)(value[0], key)
    try:
        period = parse_duration(value[1])
    except ValueError:
        raise t.error(key, value, "the period is not a valid duration", allowed) from None
    if period <= 0:
        raise t.error(key, value, "the period must be longer than zero", allowed)
    return (requests, period)


def _timeouts(t: Table, d: TimeoutSettings) -> TimeoutSettings:
    check = t.duration(positive=True)
    out = TimeoutSettings(
        connect=t.get("connect", check, d.connect),
        read=t.get("read", check, d.read),
        write=t.get("write", check, d.write),
        pool=t.get("pool", check, d.pool),
    )
    t.done()
    return out


def _deadline(t: Table, d: DeadlineSettings) -> DeadlineSettings:
    check = t.duration(positive=True)
    out = DeadlineSettings(
        interactive=t.get("interactive", check, d.interactive),
        background=t.get("background", check, d.background),
    )
    t.done()
    return out


def _polling(t: Table) -> PollingConfig:
    d = PollingConfig()
    check = t.duration(positive=True)
    out = PollingConfig(
        min_interval=t.get("min_interval", check, d.min_interval),
        max_interval=t.get("max_interval", check, d.max_interval),
        default_interval=t.get("default_interval", check, d.default_interval),
        focus_factor=t.get("focus_factor", t.number(0.0, 1.0, open_low=True), d.focus_factor),
        backoff=t.get("backoff", t.number(1.0), d.backoff),
    )
    t.done()
    _not_shorter(t, out, "max_interval", "min_interval")
    if not out.min_interval <= out.default_interval <= out.max_interval:
        raise t.error(
            t.path("default_interval"),
            t.data.get("default_interval", out.default_interval),
            "outside min_interval..max_interval",
            f"use between {out.min_interval:g}s and {out.max_interval:g}s",
        )
    return out


def _ui(t: Table) -> UiConfig:
    theme = t.get("theme", t.string, None)
    keymap: dict[str, str] = {}
    if "keymap" in t.data:
        km = t.table("keymap")
        for binding_id, keys in km.data.items():
            key = km.path(binding_id)
            if isinstance(keys, list):
                keys = ",".join(km.string_list(keys, key))
            keymap[binding_id] = km.string(keys, key)
    select_advances = t.get("select_advances", t.boolean, True)
    t.done()
    return UiConfig(theme=theme, keymap=keymap, select_advances=select_advances)


def _commands(raw: Any, file: Path | None) -> tuple[CommandConfig, ...]:
    _require_tables(raw, "commands", "command", file)
    commands: list[CommandConfig] = []
    for number, entry in enumerate(raw, start=1):
        t = Table(entry, f"commands[{number}]", file)
        command = _command(t)
        taken = next((c for c in commands if c.key == command.key), None)
        if taken is not None and (taken.pane is None or command.pane in (None, taken.pane)):
            raise t.error(
                t.path("key"),
                command.key,
                f"already runs {taken.title!r}",
                "give every command its own key (or different panes)",
            )
        commands.append(command)
    return tuple(commands)


def _command(t: Table) -> CommandConfig:
    key = t.get("key", _key_check(t), "")
    if not key:
        raise t.error(t.path("key"), None, "missing", 'every command needs key = "C" (say)')
    pane = t.get("pane", t.choice(PANES), None)
    run = t.get("run", t.string, "")
    if not run:
        raise t.error(t.path("run"), None, "missing", 'e.g. run = "gh pr checkout {number}"')
    from zen_tui.item_commands import TemplateError, check_template  # only for a config with some

    try:
        check_template(run, pane)
    except TemplateError as exc:
        raise t.error(t.path("run"), run, str(exc)) from None
    command = CommandConfig(
        key=key,
        run=run,
        title=t.get("title", t.string, run),
        pane=pane,
        mode=t.get("mode", t.choice(COMMAND_MODES), "background"),
        in_checkout=t.get("in_checkout", t.boolean, False),
        timeout=t.get("timeout", t.duration(positive=True), COMMAND_TIMEOUT),
        grace=t.get("grace", _grace(t), COMMAND_GRACE),
    )
    for name in ("timeout", "grace"):
        if command.mode == "suspend" and name in t.data:  # it has the terminal: ctrl+c
            raise t.error(
                t.path(name),
                t.data[name],
                f"only background commands have a {name}",
                'remove it, or set mode = "background"',
            )
    t.done()
    return command


def _grace(t: Table) -> Callable[[Any, str], float]:
    """A duration from 0 (SIGKILL at once) up to COMMAND_GRACE_MAX."""
    duration = t.duration()

    def check(value: Any, key: str) -> float:
        seconds = duration(value, key)
        if seconds > COMMAND_GRACE_MAX:
            limit = f"{COMMAND_GRACE_MAX:.0f}s"
            raise t.error(key, value, f"is longer than {limit}", f'use at most "{limit}"')
        return seconds

    return check


def _key_check(t: Table) -> Callable[[Any, str], str]:
    def check(value: Any, key: str) -> str:
        text = t.string(value, key)
        if not re.match(_KEY, text):
            raise t.error(
                key, value, "not a key name", 'use one character ("C") or a name ("ctrl+o", "f5")'
            )
        return text

    return check


def _repos(t: Table) -> dict[str, Path]:
    """`[repos."owner/name"] path = "~/src/name"`: where a repo is checked out here."""
    paths: dict[str, Path] = {}
    for repo in t.data:
        t.used.add(repo)
        entry = Table(t.data[repo], f'{t.key}."{repo}"', t.file)
        if not re.match(_REPO, repo):
            raise t.error(t.path(repo), repo, "not a repo name", 'write [repos."owner/name"]')
        raw = entry.get("path", entry.string, "")
        if not raw:
            raise entry.error(entry.path("path"), None, "missing", 'e.g. path = "~/src/web"')
        path = Path(raw).expanduser()
        if not path.is_absolute():
            raise entry.error(
                entry.path("path"), raw, "not an absolute path", 'use e.g. "~/src/web"'
            )
        entry.done()
        paths[repo] = path
    return paths


def _webhooks(t: Table) -> WebhookConfig:
    d = WebhookConfig()
    secret_env = dict(d.secret_env)
    if "secret_env" in t.data:
        st = t.table("secret_env")
        for service in SERVICES:
            secret_env[service] = st.get(service, st.env_name, secret_env[service])
        st.done()
    out = WebhookConfig(
        enabled=t.get("enabled", t.boolean, d.enabled),
        host=t.get("host", t.string, d.host),
        port=t.get("port", t.integer(0, 65535), d.port),
        secret_env=secret_env,
        max_body_bytes=t.get("max_body_bytes", t.integer(1024), d.max_body_bytes),
        replay_window=t.get("replay_window", t.duration(positive=True), d.replay_window),
    )
    t.done()
    return out


# ---------------------------------------------------------------------------------------------
# Entry points


def parse_settings(data: dict[str, Any], *, file: Path | None, data_dir: Path) -> Settings:
    """Settings from an already-parsed TOML document."""
    top = Table(data, "", file)
    no_accounts: list[AccountConfig] = []
    accounts = top.get("accounts", lambda v, _k: _accounts(v, file), no_accounts)
    no_sections: list[SectionConfig] = []
    settings = Settings(
        accounts=accounts,
        sections=top.get("sections", lambda v, _k: _sections(v, accounts, file), no_sections)
        + top.get("panes", lambda v, _k: _panes(v, accounts, file), no_sections),
        gateway=_gateway(top.data.get("gateway", {}), file),
        polling=_polling(top.table("polling")),
        ui=_ui(top.table("ui")),
        webhooks=_webhooks(top.table("webhooks")),
        config_path=file,
        data_dir=data_dir,
        commands=top.get("commands", lambda v, _k: _commands(v, file), ()),
        repo_paths=_repos(top.table("repos")),
    )
    top.done(["gateway"])
    return settings


def load_settings(path: Path | None, data_dir: Path, *, must_exist: bool = False) -> Settings:
    """Read and check the config at `path`. A missing file means no accounts yet, unless
    `must_exist` (the user named the file explicitly), when it is a ConfigError. The parse of
    a text read before comes from zen_tui.config_cache; it is checked here all the same."""
    if path is None or not path.exists():
        if must_exist and path is not None:
            raise ConfigError(
                "file not found",
                file=path,
                allowed="check the path given to --config or $ZEN_TUI_CONFIG",
            )
        return parse_settings({}, file=None, data_dir=data_dir)
    text = _read(path)
    cache = config_cache.cache_file()
    data = config_cache.lookup(cache, text)
    if data is not None:  # the same text as last time: its parse, without loading tomllib
        return parse_settings(data, file=path, data_dir=data_dir)
    data = _parse_toml(text, path)
    settings = parse_settings(data, file=path, data_dir=data_dir)
    # only a config that passed every check
    config_cache.store(cache, text, data, headless_facts(settings))
    return settings


def headless_facts(settings: Settings) -> dict[str, Any]:
    """What `list`, `health` and `outbox` need of the settings, as plain JSON values, kept
    with the config's parse (config_cache) so that they can answer without loading msgspec
    (cli._quick): the accounts with the environment variables that would log them in (where
    one is set, the account reads its login's own rows: sync/session_rows.py), the sections
    as the UI sees them, whether webhooks are on, the variables whose values are masked
    in the log (register_secrets), and what the store's typed decode of an item takes
    (codec.plain_schema: `list` reads the rows as plain JSON by it)."""
    from zen_tui.auth.ambient import login_env_names
    from zen_tui.store.codec import plain_schema

    return {
        "accounts": [
            {"name": a.name, "service": a.service, "login_env": list(login_env_names(a))}
            for a in settings.accounts
        ],
        "sections": [to_builtins(info) for info in section_infos(settings)],
        "webhooks": settings.webhooks.enabled,
        "sync_command": settings.sync_command,
        "secret_env": secret_env_names(settings),
        "stored_items": plain_schema(),
    }


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the file: {exc.__class__.__name__}: {exc}",
            file=path,
            allowed="check that it is a readable UTF-8 text file",
        ) from None


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    """tomllib's parse of the config's `text`: loaded here, on a cache miss only (its
    import compiles a dozen regular expressions: ~5% of a headless command)."""
    import tomllib

    from zen_tui import toml_input

    try:
        return toml_input.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"invalid TOML: {exc}",
            file=path,
            allowed="fix the syntax at that line (see https://toml.io)",
        ) from None


def secret_env_names(settings: Settings) -> list[str]:
    """The environment variables whose values are secrets of these settings: the accounts'
    tokens, the webhooks' signing secrets."""
    names = [a.token_env for a in settings.accounts if a.token_env]
    return names + list(settings.webhooks.secret_env.values())


def register_secrets(settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Mask, in every log line from now on, the tokens and webhook secrets the config points
    at in the environment (tokens from the keyring or OAuth are registered where loaded)."""
    env = os.environ if environ is None else environ
    for name in secret_env_names(settings):
        register_secret(env.get(name))
    for value in settings.webhooks.secrets.values():
        register_secret(value)
    for account in settings.accounts:
        register_secret(account.token)
