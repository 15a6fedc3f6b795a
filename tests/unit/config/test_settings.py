"""Valid configs: the design's defaults, overrides landing in GatewaySettings, ids, demo."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from zen_tui.config import (
    PollingConfig,
    Settings,
    WebhookConfig,
    load_settings,
    parse_duration,
    section_infos,
)
from zen_tui.demo import demo_settings
from zen_tui.gateway.settings import default_settings
from zen_tui.logs import redact


def load(tmp_path: Path, text: str) -> Settings:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    return load_settings(cfg, tmp_path / "data")


def test_missing_default_file_means_no_accounts(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.toml", tmp_path)
    assert settings.accounts == [] and settings.sections == []
    assert settings.config_path is None
    assert settings.data_dir == tmp_path
    assert set(settings.gateway) == {"github", "jira", "slack"}


def test_design_defaults(tmp_path: Path) -> None:
    gw = load(tmp_path, "").gateway
    gh, jira = gw["github"].breaker, gw["jira"].breaker
    assert (gh.failure_threshold, gh.success_threshold, gh.timeout, gh.max_half_open) == (
        5,
        2,
        30.0,
        3,
    )
    assert (jira.failure_threshold, jira.success_threshold, jira.timeout, jira.max_half_open) == (
        3,
        1,
        60.0,
        1,
    )
    for service in ("github", "jira", "slack"):
        retry = gw[service].retry
        assert (retry.initial_wait, retry.multiplier, retry.max_wait) == (1.0, 2.0, 8.0)
        assert retry.jitter and retry.max_attempts >= 2
        types = gw[service].cache.types
        assert types["user_info"].ttl == 3600.0
        assert types["project_list"].ttl == 300.0
        assert types["issue_details"].ttl == 30.0
    assert gw["github"].rate_limit.buckets["search"] == (30.0, 60.0)
    for service in ("github", "jira", "slack"):
        deadline = gw[service].deadline
        assert (deadline.interactive, deadline.background) == (10.0, 60.0)


def test_overrides_land_in_gateway_settings(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        """
[gateway.github.breaker]
failure_threshold = 7
timeout = "2m"
per_endpoint = true
[gateway.github.retry]
initial_wait = "250ms"
max_wait = 4
max_attempts = 3
jitter = false
[gateway.github.cache]
enabled = false
[gateway.github.cache.project_list]
ttl = "1h30m"
maxsize = 10
policy = "fifo"
[gateway.github.rate_limit]
queue_deadline = "5s"
safety_factor = 0.5
[gateway.github.rate_limit.buckets]
search = [10, "1m"]
graphql = [100, "1h"]
[gateway.github.timeouts]
read = "30s"
[gateway.github.deadline]
interactive = "4s"
background = "2m"
[gateway.github]
user_agent = "me/1.0"
max_response_mb = 2.5
""",
    )
    gh = settings.gateway["github"]
    assert gh.breaker.failure_threshold == 7
    assert gh.breaker.success_threshold == 2  # untouched keys keep the service default
    assert gh.breaker.timeout == 120.0 and gh.breaker.per_endpoint
    assert (gh.retry.initial_wait, gh.retry.max_wait, gh.retry.max_attempts) == (0.25, 4.0, 3)
    assert not gh.retry.jitter
    assert not gh.cache.enabled
    project = gh.cache.types["project_list"]
    assert (project.ttl, project.maxsize, project.policy) == (5400.0, 10, "fifo")
    assert gh.cache.types["user_info"].ttl == 3600.0
    assert gh.rate_limit.queue_deadline == 5.0 and gh.rate_limit.safety_factor == 0.5
    assert gh.rate_limit.buckets["search"] == (10.0, 60.0)
    assert gh.rate_limit.buckets["graphql"] == (100.0, 3600.0)
    assert gh.rate_limit.buckets["core"] == (5000.0, 3600.0)
    assert gh.timeouts.read == 30.0 and gh.timeouts.connect == 5.0
    assert (gh.deadline.interactive, gh.deadline.background) == (4.0, 120.0)
    assert gh.user_agent == "me/1.0"
    assert gh.max_response_bytes == 2_500_000
    # Other services are untouched.
    assert settings.gateway["jira"].breaker.failure_threshold == 3
    assert settings.gateway["jira"].deadline.interactive == 10.0
    assert settings.gateway["jira"].max_response_bytes == 8_000_000


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        (30, 30.0),
        (0.5, 0.5),
        ("250ms", 0.25),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("1m30s", 90.0),
        (" 2 h ", 7200.0),
        ("0s", 0.0),
    ],
)
def test_durations(raw: object, seconds: float) -> None:
    assert parse_duration(raw) == seconds


@pytest.mark.parametrize("raw", ["30x", "", "s", "5 minutes", "-1s", -3, True, [1], "1h-5m"])
def test_bad_durations(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(raw)


ACCOUNTS = """
[[accounts]]
name = "gh"
service = "github"
token_env = "ZEN_GH_TOKEN"
user = "octocat"

[[accounts]]
name = "work"
service = "jira"
base_url = "https://example.atlassian.net/"
email = "me@example.com"

[[accounts]]
name = "team"
service = "slack"

[[sections]]
pane = "prs"
title = "Review requested"
account = "gh"
query = "is:pr is:open review-requested:@me"

[[sections]]
pane = "issues"
account = "gh"
query = "is:issue assignee:@me"
limit = 20

[[sections]]
pane = "issues"
title = "Mine"
account = "work"
jql = "assignee = currentUser()"

[[sections]]
pane = "messages"
title = "Dev"
account = "team"
channels = ["#dev", "C024BE91L"]
"""


def test_accounts_and_sections(tmp_path: Path) -> None:
    settings = load(tmp_path, ACCOUNTS)
    gh, jira, slack = settings.accounts
    assert (gh.base_url, gh.token_env, gh.user) == (
        "https://api.github.com",
        "ZEN_GH_TOKEN",
        "octocat",
    )
    assert (jira.base_url, jira.email) == ("https://example.atlassian.net", "me@example.com")
    assert slack.base_url == "https://slack.com/api"
    assert settings.account("work") is jira
    issues = settings.sections[1]
    assert issues.limit == 20 and issues.title == "is:issue assignee:@me"
    assert settings.sections[3].channels == ("#dev", "C024BE91L")
    assert settings.sections[0].limit == 50


def test_section_infos_have_stable_ids_per_pane(tmp_path: Path) -> None:
    infos = section_infos(load(tmp_path, ACCOUNTS))
    assert [i.id for i in infos] == ["prs:0:gh", "issues:0:gh", "issues:1:work", "messages:0:team"]
    assert [i.service for i in infos] == ["github", "github", "jira", "slack"]
    assert infos[2].query == "assignee = currentUser()"
    assert infos[3].query == "#dev, C024BE91L"
    assert infos[0].title == "Review requested"


def test_polling_ui_and_webhooks(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        """
[polling]
min_interval = "5s"
default_interval = "30s"
max_interval = "15m"
focus_factor = 0.25
[ui]
theme = "zen-light"
[ui.keymap]
refresh = "r"
down = ["j", "down"]
[webhooks]
enabled = true
port = 9000
replay_window = "2m"
[webhooks.secret_env]
github = "MY_GH_HOOK"
""",
    )
    p = settings.polling
    assert (p.min_interval, p.default_interval, p.max_interval, p.focus_factor) == (
        5.0,
        30.0,
        900.0,
        0.25,
    )
    assert settings.ui.theme == "zen-light"
    assert settings.ui.keymap == {"refresh": "r", "down": "j,down"}
    hooks = settings.webhooks
    assert hooks.enabled and hooks.host == "127.0.0.1" and hooks.port == 9000
    assert hooks.replay_window == 120.0
    assert hooks.secret_env["github"] == "MY_GH_HOOK"
    assert hooks.secret_env["slack"] == "ZEN_SLACK_SIGNING_SECRET"
    assert hooks.secret("github", {"MY_GH_HOOK": "s3cret-value"}) == "s3cret-value"
    assert hooks.secret("jira", {}) is None


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load(tmp_path, ACCOUNTS)
    with pytest.raises(AttributeError):
        settings.accounts[0].name = "x"  # type: ignore[misc]


def test_example_config_is_valid(tmp_path: Path) -> None:
    import zen_tui

    example = Path(zen_tui.__file__).parent / "example-config.toml"
    settings = load_settings(example, tmp_path)
    assert {a.service for a in settings.accounts} == {"github", "jira", "slack"}
    assert {s.pane for s in settings.sections} == {"prs", "issues", "messages"}
    assert len(section_infos(settings)) == len(settings.sections)
    # It says its values are the defaults: keep it honest.
    assert settings.gateway["github"] == default_settings("github")
    assert settings.polling == PollingConfig() and settings.webhooks == WebhookConfig()


@dataclass(frozen=True)
class FakeSim:
    service: str
    name: str
    base_url: str
    token: str
    username: str | None = None


def test_demo_settings_cover_every_pane_and_mask_tokens(tmp_path: Path) -> None:
    token = "demo-token-" + "7" * 20
    sims = [
        FakeSim("github", "github", "http://127.0.0.1:1/github", token),
        FakeSim("jira", "jira", "http://127.0.0.1:1/jira/", "jira-token-12345", "me@example.com"),
        FakeSim("slack", "slack", "http://127.0.0.1:1/slack/api", "slack-token-12345"),
    ]
    settings = demo_settings(sims, tmp_path)
    assert [a.service for a in settings.accounts] == ["github", "jira", "slack"]
    assert settings.account("github").token == token
    assert settings.account("jira").email == "me@example.com"
    assert settings.account("jira").base_url == "http://127.0.0.1:1/jira"
    assert token not in repr(settings.account("github"))
    assert {i.pane for i in section_infos(settings)} == {"prs", "issues", "messages"}
    assert redact(f"sent {token}") == "sent ***"


def test_inbox_preset_is_one_inbox_section_per_account(tmp_path: Path) -> None:
    """`[[panes]] preset = "inbox"`: GitHub notifications, Jira watched-or-assigned, Slack
    mentions, after the [[sections]], with the ids every section gets."""
    from zen_tui.config import load_settings, section_infos

    path = tmp_path / "config.toml"
    path.write_text(
        '[[accounts]]\nname = "gh"\nservice = "github"\n'
        '[[accounts]]\nname = "jr"\nservice = "jira"\nbase_url = "https://x.atlassian.net"\n'
        '[[accounts]]\nname = "sl"\nservice = "slack"\n'
        '[[sections]]\npane = "prs"\naccount = "gh"\nquery = "is:open"\n'
        '[[panes]]\npreset = "inbox"\nlimit = 20\n'
    )
    settings = load_settings(path, tmp_path)
    inbox = [s for s in settings.sections if s.pane == "inbox"]
    assert [(s.account, s.query_text, s.limit) for s in inbox] == [
        ("gh", "notifications", 20),
        ("jr", "watcher = currentUser() OR assignee = currentUser() ORDER BY updated DESC", 20),
        ("sl", "mentions", 20),
    ]
    ids = [i.id for i in section_infos(settings) if i.pane == "inbox"]
    assert ids == ["inbox:0:gh", "inbox:1:jr", "inbox:2:sl"]

    path.write_text(path.read_text().replace("limit = 20\n", 'accounts = ["jr"]\n'))
    only = [s.account for s in load_settings(path, tmp_path).sections if s.pane == "inbox"]
    assert only == ["jr"]
