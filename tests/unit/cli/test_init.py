"""`zen-tui init`: a starter config from questions or from what is detected (`gh` login,
env tokens), loaded back with the real config loader; never overwriting without --force."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest

from tests.unit.auth.gh_stub import fake_token, gh_stub
from zen_tui.cli import main
from zen_tui.config import load_settings
from zen_tui.logs import shutdown_logging

__all__ = ["gh_stub"]


@pytest.fixture
def init(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = tmp_path / "conf" / "config.toml"

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "init", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    yield config, run
    shutdown_logging()


def sections(config: Path) -> list[tuple[str, str, str]]:
    settings = load_settings(config, config.parent, must_exist=True)
    return [(s.pane, s.title, s.account) for s in settings.sections]


def test_yes_writes_what_is_detected_and_says_where(
    init, gh_stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, run = init
    gh_stub(fake_token("gh"))
    slack = fake_token("slack")
    monkeypatch.setenv("SLACK_TOKEN", slack)
    code, out, err = run("--yes")
    assert code == 0, err
    assert f"Wrote a starter config to {config.resolve()}" in out
    assert (
        "github: will use the GitHub CLI's login" in out and "slack: will use $SLACK_TOKEN" in out
    )
    assert sections(config) == [
        ("prs", "Review requested", "github"),
        ("prs", "My PRs", "github"),
        ("issues", "Assigned issues", "github"),
        ("messages", "Mentions", "slack"),
    ]
    assert slack not in config.read_text()  # tokens never go in the config


def test_an_existing_config_is_kept_without_force(init) -> None:
    config, run = init
    config.parent.mkdir(parents=True)
    config.write_text("# mine\n")
    code, out, err = run("--yes")
    assert code == 2 and out == ""  # bad input, as for every command
    assert err.strip() == f"zen-tui: {config} already exists; pass --force to overwrite it"
    assert config.read_text() == "# mine\n"
    code, _, _ = run("--yes", "--force")
    assert code == 0 and ("prs", "My PRs", "github") in sections(config)


def test_questions_add_jira_mine_and_slack_mentions(init, monkeypatch: pytest.MonkeyPatch) -> None:
    config, run = init
    answers = iter(["-", "https://acme.atlassian.net", "me@acme.example", "y"])
    monkeypatch.setattr(builtins, "input", lambda prompt: next(answers))
    code, out, err = run()
    assert code == 0, err
    assert sections(config) == [
        ("issues", "Mine (Jira)", "jira"),
        ("messages", "Mentions", "slack"),
    ]
    settings = load_settings(config, config.parent, must_exist=True)
    jira = next(a for a in settings.accounts if a.service == "jira")
    assert jira.email == "me@acme.example" and jira.base_url == "https://acme.atlassian.net"
    assert "jira: no login found; run `zen-tui auth login jira`" in out


def test_a_bad_answer_is_one_line_and_writes_nothing(init) -> None:
    config, run = init
    code, _, err = run("--yes", "--jira-url", "not a url", "--jira-email", "me@x.example")
    assert code == 2 and "not an http(s) URL" in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and not config.exists()
    assert list(config.parent.iterdir()) == []  # no temp file left behind
    code, _, err = run("--yes", "--jira-url", "https://acme.atlassian.net")
    assert code == 2 and "needs your Atlassian email" in err and not config.exists()


def test_no_account_chosen_is_bad_input(init, monkeypatch: pytest.MonkeyPatch) -> None:
    config, run = init
    answers = iter(["-", "-", "n"])  # no GitHub, no Jira, no Slack
    monkeypatch.setattr(builtins, "input", lambda prompt: next(answers))
    code, out, err = run()
    assert (code, out) == (2, "") and not config.exists()
    assert err.strip() == "zen-tui: no accounts chosen; answer at least one service"


def test_no_answers_to_read_is_bad_input_and_ctrl_c_is_130(
    init, monkeypatch: pytest.MonkeyPatch
) -> None:
    """stdin ended before the questions were answered (a script, `< /dev/null`): bad input,
    saying how to ask nothing; Ctrl-C at a question: 130, as for every command."""
    config, run = init

    def ended(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr(builtins, "input", ended)
    code, out, err = run()
    assert (code, out) == (2, "") and not config.exists()
    assert err.strip() == "zen-tui: no answer to read; nothing written; pass --yes to ask nothing"

    def interrupted(prompt: str) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(builtins, "input", interrupted)
    code, out, err = run()
    assert (code, out) == (130, "") and not config.exists()
    assert err.strip() == "zen-tui: init cancelled; nothing written"


def test_the_welcome_screens_set_up_runs_init_and_reopens_with_its_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`i` on the welcome screen: the UI closes with INIT_REQUESTED, init asks its questions
    in the terminal, and the dashboard opens again with the sections it wrote."""
    import argparse

    from zen_tui.commands import dashboard
    from zen_tui.config import parse_settings
    from zen_tui.ui import INIT_REQUESTED

    opened: list[list[str]] = []

    def fake_open(settings, demo: bool) -> int:  # type: ignore[no-untyped-def]
        opened.append([s.title for s in settings.sections])
        return INIT_REQUESTED if len(opened) == 1 else 0

    monkeypatch.setattr(dashboard, "_open", fake_open)
    answers = iter(["", "", "n"])  # GitHub (default), no Jira, no Slack
    monkeypatch.setattr(builtins, "input", lambda prompt: next(answers))
    config = tmp_path / "config.toml"
    args = argparse.Namespace(config=str(config), demo=False)
    empty = parse_settings({}, file=None, data_dir=tmp_path)
    assert dashboard.run(args, empty) == 0
    assert opened == [[], ["Review requested", "My PRs", "Assigned issues"]]
    assert f"Wrote a starter config to {config}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("typed", "api"),
    [
        ("https://github.com", "https://api.github.com"),
        ("https://github.com/", "https://api.github.com"),
        ("https://ghe.acme.example", "https://ghe.acme.example/api/v3"),
        ("https://acme.ghe.com", "https://api.acme.ghe.com"),
        ("https://ghe.acme.example/api/v3", "https://ghe.acme.example/api/v3"),
        ("https://api.github.com", "https://api.github.com"),
    ],
)
def test_a_github_web_address_is_asked_as_its_api(
    init, monkeypatch: pytest.MonkeyPatch, typed: str, api: str
) -> None:
    """ "GitHub API URL": the address a browser shows was written as the API's, so every call
    met github.com's web pages."""
    config, run = init
    answers = iter([typed, "-", "n"])
    monkeypatch.setattr(builtins, "input", lambda prompt: next(answers))
    code, _, err = run()
    assert code == 0, err
    [github] = load_settings(config, config.parent, must_exist=True).accounts
    assert github.base_url == api


def test_a_config_folder_that_cannot_be_made_is_one_line(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    config = blocker / "conf" / "config.toml"  # under a file: no folder can be made there
    code = main(["--config", str(config), "--data-dir", str(tmp_path / "d"), "init", "--yes"])
    err = capsys.readouterr().err
    shutdown_logging()
    assert code == 2 and err.startswith(f"zen-tui: cannot write {config}: ")
    assert "unexpected error" not in err and "pass --config" in err
    assert len(err.strip().splitlines()) == 1
