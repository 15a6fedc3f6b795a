"""Every bad config exits 2 with one line naming the file, the key, the value and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from zen_tui.cli import main

from .conftest import assert_one_clear_line, run_config

GH = '[[accounts]]\nname = "gh"\nservice = "github"\n'
SLACK = '[[accounts]]\nname = "sl"\nservice = "slack"\n'
JIRA = '[[accounts]]\nname = "jr"\nservice = "jira"\nbase_url = "https://x.atlassian.net"\n'

# (config text, fragments the one-line message must contain)
CASES: dict[str, tuple[str, list[str]]] = {
    "syntax": ('[[accounts]]\nname = "gh\n', ["invalid TOML", "line 2", "fix the syntax"]),
    "nested past the parser's stack": (
        "x = " + "[" * 5000 + "]" * 5000 + "\n",
        ["invalid TOML", "nested too deeply", "fix the syntax"],
    ),
    "an integer past int()'s digit limit": (
        "[polling]\nmin_interval = " + "9" * 5000 + "\n",
        ["invalid TOML", "an integer longer than 4300 digits", "fix the syntax"],
    ),
    "unknown top-level key": (
        "acounts = []\n",
        ["acounts = []", "unknown key", 'did you mean "accounts"'],
    ),
    "unknown nested key": (
        "[gateway.github.breaker]\ntimout = 30\n",
        ["gateway.github.breaker.timout = 30", "unknown key", 'did you mean "timeout"'],
    ),
    "wrong type": (
        '[gateway.jira.breaker]\nfailure_threshold = "five"\n',
        ['gateway.jira.breaker.failure_threshold = "five"', "expected a whole number", "1 or more"],
    ),
    "bool is not an int": (
        "[gateway.jira.breaker]\nmax_half_open = true\n",
        ["gateway.jira.breaker.max_half_open = true", "whole number"],
    ),
    "out of range": (
        "[gateway.github.breaker]\nfailure_threshold = 0\n",
        ["gateway.github.breaker.failure_threshold = 0", "out of range", "1 or more"],
    ),
    "bad duration": (
        '[gateway.github.breaker]\ntimeout = "30x"\n',
        ['gateway.github.breaker.timeout = "30x"', "not a valid duration", '"250ms", "30s"'],
    ),
    "negative duration": (
        "[gateway.slack.timeouts]\nread = -1\n",
        ["gateway.slack.timeouts.read = -1", "not a valid duration"],
    ),
    "zero breaker timeout": (
        '[gateway.github.breaker]\ntimeout = "0s"\n',
        ['gateway.github.breaker.timeout = "0s"', "longer than zero"],
    ),
    "zero deadline": (
        '[gateway.github.deadline]\ninteractive = "0s"\n',
        ['gateway.github.deadline.interactive = "0s"', "longer than zero", '"30s"'],
    ),
    "misspelt deadline": (
        '[gateway.jira.deadline]\nbackgound = "1m"\n',
        ['gateway.jira.deadline.backgound = "1m"', "unknown key", 'did you mean "background"'],
    ),
    "unknown account in a section": (
        GH + '[[sections]]\npane = "prs"\naccount = "gh2"\nquery = "is:pr"\n',
        ['sections[1].account = "gh2"', "unknown account", "(gh)"],
    ),
    "section without account": (
        GH + '[[sections]]\npane = "prs"\nquery = "is:pr"\n',
        ["sections[1].account", "missing"],
    ),
    "unknown service": (
        '[[accounts]]\nname = "gl"\nservice = "gitlab"\n',
        ['accounts[1].service = "gitlab"', 'did you mean "github"', "github, jira, slack"],
    ),
    "unknown pane": (
        GH + '[[sections]]\npane = "pr"\naccount = "gh"\nquery = "is:pr"\n',
        ['sections[1].pane = "pr"', "prs, issues, messages"],
    ),
    "pane does not fit the service": (
        GH + '[[sections]]\npane = "messages"\naccount = "gh"\nquery = "x"\n',
        ['sections[1].pane = "messages"', "does not fit", "needs a slack account"],
    ),
    "jira pane for slack": (
        SLACK + '[[sections]]\npane = "issues"\naccount = "sl"\nchannels = ["#dev"]\n',
        ['sections[1].pane = "issues"', "github or jira account"],
    ),
    "jql on a github section": (
        GH + '[[sections]]\npane = "prs"\naccount = "gh"\njql = "project = X"\n',
        ['sections[1].jql = "project = X"', "jql is for jira sections", "use query ="],
    ),
    "section without a query": (
        JIRA + '[[sections]]\npane = "issues"\naccount = "jr"\n',
        ["sections[1].jql", "missing", "jql ="],
    ),
    "slack channels and query": (
        SLACK
        + '[[sections]]\npane = "messages"\naccount = "sl"\nchannels = ["#dev"]\nquery = "x"\n',
        ['sections[1].query = "x"', "channels or query, not both"],
    ),
    "channels not a list": (
        SLACK + '[[sections]]\npane = "messages"\naccount = "sl"\nchannels = "#dev"\n',
        ['sections[1].channels = "#dev"', "list of strings"],
    ),
    "duplicate account": (
        GH + GH,
        ['accounts[2].name = "gh"', "duplicate account name", "unique"],
    ),
    "bad account name": (
        '[[accounts]]\nname = "my gh:1"\nservice = "github"\n',
        ['accounts[1].name = "my gh:1"', "not a valid account name"],
    ),
    "jira without base_url": (
        '[[accounts]]\nname = "jr"\nservice = "jira"\n',
        ["accounts[1].base_url", "missing", "atlassian.net"],
    ),
    "bad base_url": (
        '[[accounts]]\nname = "gh"\nservice = "github"\nbase_url = "api.github.com"\n',
        ['accounts[1].base_url = "api.github.com"', "not an http(s) URL"],
    ),
    "plain http to another machine": (
        GH + 'base_url = "http://ghe.example.com/api/v3"\n',
        ['base_url = "http://ghe.example.com/api/v3"', "unencrypted", "use https://"],
    ),
    "plain http to a host named like loopback": (
        GH + 'base_url = "http://127.0.0.1.example.com"\n',
        ["unencrypted", "use https://"],
    ),
    "email on github": (
        GH + 'email = "me@example.com"\n',
        ['accounts[1].email = "me@example.com"', "only used by jira"],
    ),
    "unknown policy": (
        '[gateway.github.cache.user_info]\npolicy = "lifo"\n',
        ['gateway.github.cache.user_info.policy = "lifo"', "lru, lfu, fifo"],
    ),
    "unknown cache type": (
        "[gateway.github.cache.user_infos]\nttl = 3\n",
        ["gateway.github.cache.user_infos", "unknown key", 'did you mean "user_info"'],
    ),
    "unknown gateway service": (
        "[gateway.gitlab.breaker]\ntimeout = 3\n",
        ["gateway.gitlab", "unknown key", "github, jira, slack"],
    ),
    "bad bucket": (
        '[gateway.github.rate_limit.buckets]\nsearch = [30, "soon"]\n',
        ['gateway.github.rate_limit.buckets.search = [30, "soon"]', '[30, "1m"]'],
    ),
    "retry max below initial": (
        '[gateway.jira.retry]\ninitial_wait = "10s"\nmax_wait = "2s"\n',
        ['gateway.jira.retry.max_wait = "2s"', "shorter than initial_wait", "at least 10s"],
    ),
    "polling default outside range": (
        '[polling]\nmin_interval = "1m"\ndefault_interval = "10s"\n',
        ['polling.default_interval = "10s"', "between 60s and 600s"],
    ),
    "webhook port": (
        "[webhooks]\nport = 70000\n",
        ["webhooks.port = 70000", "from 0 to 65535"],
    ),
    "accounts as a table": (
        '[accounts]\nname = "gh"\n',
        ["accounts = a table", "[[accounts]]"],
    ),
    "account not a table": (
        "accounts = [1]\n",
        ["accounts[1] = 1", "expected a table", "[[accounts]]"],
    ),
    "cache maxsize zero": (
        "[gateway.github.cache.user_info]\nmaxsize = 0\n",
        ["gateway.github.cache.user_info.maxsize = 0", "out of range", "1 or more"],
    ),
    "cache maxsize negative": (
        "[gateway.jira.cache.issue_details]\nmaxsize = -5\n",
        ["gateway.jira.cache.issue_details.maxsize = -5", "out of range", "1 or more"],
    ),
    "policy not a string": (
        "[gateway.github.cache.listing]\npolicy = 3\n",
        ["gateway.github.cache.listing.policy = 3", "lru, lfu, fifo"],
    ),
    "bad ttl": (
        '[gateway.github.cache.project_list]\nttl = "soon"\n',
        ['gateway.github.cache.project_list.ttl = "soon"', "not a valid duration"],
    ),
    "negative failure threshold": (
        "[gateway.github.breaker]\nfailure_threshold = -2\n",
        ["gateway.github.breaker.failure_threshold = -2", "out of range", "1 or more"],
    ),
    "negative success threshold": (
        "[gateway.github.breaker]\nsuccess_threshold = -1\n",
        ["gateway.github.breaker.success_threshold = -1", "out of range", "1 or more"],
    ),
    "max_half_open below 1": (
        "[gateway.jira.breaker]\nmax_half_open = 0\n",
        ["gateway.jira.breaker.max_half_open = 0", "out of range", "1 or more"],
    ),
    "retry multiplier below 1": (
        "[gateway.github.retry]\nmultiplier = 0.5\n",
        ["gateway.github.retry.multiplier = 0.5", "out of range", "at least 1.0"],
    ),
    "retry max_attempts zero": (
        "[gateway.github.retry]\nmax_attempts = 0\n",
        ["gateway.github.retry.max_attempts = 0", "out of range", "from 1 to 20"],
    ),
    "safety factor above 1": (
        "[gateway.slack.rate_limit]\nsafety_factor = 1.5\n",
        ["gateway.slack.rate_limit.safety_factor = 1.5", "at most 1.0"],
    ),
    "negative queue deadline": (
        '[gateway.github.rate_limit]\nqueue_deadline = "-3s"\n',
        ['gateway.github.rate_limit.queue_deadline = "-3s"', "not a valid duration"],
    ),
    "boolean as a string": (
        '[gateway.slack.cache]\nenabled = "yes"\n',
        ['gateway.slack.cache.enabled = "yes"', "expected true or false"],
    ),
    "keymap value": (
        "[ui.keymap]\nrefresh = 5\n",
        ["ui.keymap.refresh = 5", "non-empty string"],
    ),
    "unknown pane preset": (
        GH + '[[panes]]\npreset = "outbox"\n',
        ['panes[1].preset = "outbox"', "not allowed", "use one of: inbox"],
    ),
    "pane preset without a preset": (
        GH + "[[panes]]\nlimit = 5\n",
        ["panes[1].preset", "missing", "use one of: inbox"],
    ),
    "pane preset naming an unknown account": (
        GH + '[[panes]]\npreset = "inbox"\naccounts = ["gh", "jira"]\n',
        ['panes[1].accounts = "jira"', "unknown account", "(gh)"],
    ),
    "panes not tables": ('panes = "inbox"\n' + GH, ["expected [[panes]] tables"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_config_exits_2_with_one_clear_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, fragments = CASES[name]
    assert_one_clear_line(tmp_path, text, capsys, fragments)


def test_a_token_pasted_as_token_env_is_not_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "ghp_" + "A1b2" * 9
    rc, err = run_config(tmp_path, GH + f'token_env = "{token}"\n', capsys)
    assert rc == 2
    assert "accounts[1].token_env" in err
    assert "looks like a token" in err
    assert token not in err


def test_a_password_in_base_url_is_refused_and_not_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, err = run_config(tmp_path, GH + 'base_url = "https://me:hunter2@ghe.example.com"\n', capsys)
    assert rc == 2 and err.count("\n") == 1
    assert 'accounts[1].base_url = "https://***@ghe.example.com"' in err
    assert "user name or password" in err and "token_env" in err
    assert "hunter2" not in err and "me:" not in err


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/github",
        "http://localhost:9/jira",
        "http://[::1]:9",
        "http://127.3.0.1",
    ],
)
def test_plain_http_to_this_machine_is_taken(url: str, tmp_path: Path) -> None:
    """The simulator and an SSH tunnel's end: nothing leaves the machine."""
    from zen_tui.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text(GH + f'base_url = "{url}"\n', encoding="utf-8")
    assert load_settings(config, tmp_path).accounts[0].base_url == url.rstrip("/")


def test_missing_explicit_config_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.toml"
    rc = main(["--config", str(missing), "--data-dir", str(tmp_path), "health"])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"config error in {missing}: file not found" in err


def test_unreadable_encoding_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_bytes(b"name = '\xff\xfe'\n")
    rc = main(["--config", str(cfg), "--data-dir", str(tmp_path), "health"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "cannot read the file" in err and "UTF-8" in err
    assert "Traceback" not in err


def test_config_error_itself_carries_no_token(tmp_path: Path) -> None:
    from zen_tui.config import ConfigError, load_settings

    token = "xoxb-" + "1234567890-" * 3 + "abc"
    cfg = tmp_path / "config.toml"
    cfg.write_text(SLACK + f'token_env = "{token}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, tmp_path)
    assert token not in str(info.value)
    assert token not in repr(info.value.value)
    assert info.value.key == "accounts[1].token_env"
