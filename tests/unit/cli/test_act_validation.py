"""`zen-tui act` refuses a malformed action before queueing it: exit 2, one line, no outbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from zen_tui import config_cache, paths
from zen_tui.actions import InvalidAction, create_action, validate
from zen_tui.cli import main
from zen_tui.models import Action
from zen_tui.store import Store

from .conftest import cli_args, gh_pr

CONFIG = """
[[accounts]]
name = "gh"
service = "github"
[[accounts]]
name = "jr"
service = "jira"
base_url = "https://example.atlassian.net"
[[accounts]]
name = "sl"
service = "slack"
"""


@pytest.fixture
def base(tmp_path: Path) -> list[str]:
    return cli_args(tmp_path, CONFIG)


DEEP = "[" * 100_000 + "]" * 100_000  # past json.loads' stack: RecursionError
BAD = [
    (["merge", "github:garbage"], "cannot tell the account"),
    (["merge", "gh:garbage"], "not a github item id"),
    (["merge", "gh:"], "not a github item id"),
    (["merge", "gh:acme/api#x"], "OWNER/REPO#NUMBER"),
    (["transition", "jr:ops-1", "transition=Done"], "PROJECT-NUMBER"),
    (["react", "sl:general", "name=eyes"], "CHANNEL:TS"),
    (["transition", "gh:acme/api#1", "transition=Done"], "github items do not take transition"),
    (["react", "jr:OPS-1", "name=eyes"], "jira items do not take react"),
    (["close", "jr:OPS-1"], "jira items do not take close"),
    (["merge", "sl:C01:1700000000.000100"], "slack items do not take merge"),
    (["add_label", "gh:acme/api#1"], "add_label needs label=VALUE"),
    (["transition", "jr:OPS-1"], "transition needs transition=VALUE"),
    (["react", "sl:C01:1700000000.000100"], "react needs name=VALUE"),
    (["unreact", "sl:C01:1700000000.000100"], "unreact needs name=VALUE"),
    (["unreact", "gh:acme/api#1", "name=eyes"], "github items do not take unreact"),
    (["close", "gh:acme/api#1", "bogus=1"], "close does not take 'bogus'"),
    (["merge", "gh:acme/api#1", "merge_method=fast"], "use one of: merge, squash, rebase"),
    (["create", "jr:OPS-1", "summary=x", "issuetype=Task"], "use jr:PROJECT, e.g. OPS"),
    (["create", "jr:ops", "summary=x", "issuetype=Task"], "PROJECT, e.g. OPS"),
    (["create", "jr:OPS", "issuetype=Task"], "create needs summary=VALUE"),
    (["create", "jr:OPS", "summary=x"], "create needs issuetype=VALUE"),
    (["create", "jr:OPS", "summary=x", "issuetype=Task", "duedate=31.1.2027"], "YYYY-MM-DD"),
    (["create", "jr:OPS", "summary=x", "issuetype=Task", "fields=[1]"], "JSON object"),
    (["create", "jr:OPS", "summary=x", "issuetype=Task", f"fields={DEEP}"], "JSON object"),
    (["create", "gh:acme/api", "summary=x", "issuetype=Task"], "github items do not take create"),
    (
        ["comment", "gh:acme/api#1", "body=" + "é" * 70_000],  # characters, not bytes
        "body too long for GitHub: 70,000 characters as sent, at most 65,536; shorten it by 4,464",
    ),
    (
        ["comment", "jr:OPS-1", "body=" + "é" * 32_768],
        "comment too long for Jira: 32,768 characters as sent, at most 32,767; shorten it by 1",
    ),
    (
        ["transition", "jr:OPS-1", "transition=x", 'fields={"comment": "' + "x" * 40_000 + '"}'],
        "comment too long for Jira: 40,000 characters as sent, at most 32,767",
    ),
    (
        ["transition", "jr:OPS-1", "transition=x", 'fields={"comment": {"body": "x"}}'],
        "a transition's comment is text",
    ),
]


@pytest.mark.parametrize(("argv", "message"), BAD)
def test_bad_action_exits_2_with_one_line_and_queues_nothing(
    base: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    code = main([*base, "act", *argv])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == "" and len(err.strip().splitlines()) == 1 and message in err
    assert "Traceback" not in err
    db = paths.store_path(tmp_path / "data")
    if db.exists():  # validation may run before anything opened the store
        with Store.open(db) as store:
            assert store.outbox_by_state() == []


GOOD = [
    ("github", Action("merge", "gh:acme/api.v2#12", "gh", {"merge_method": "squash"})),
    ("github", Action("add_label", "gh:acme/api#1", "gh", {"label": "bug"})),
    ("github", Action("close", "gh:a/b#3", "gh")),
    ("jira", Action("transition", "jr:OPS-42", "jr", {"name": "Done"})),
    ("jira", Action("comment", "jr:OPS_2-9", "jr", {"body": "hi"})),
    ("jira", Action("transition", "jr:OPS-4", "jr", {"name": "x", "fields": '{"comment": "ok"}'})),
    ("jira", create_action("jr", "OPS", "Bug", "crash", "text", {"labels": ["x"]})),
    ("jira", Action("create", "jr:OPS", "jr", {"summary": "s", "issuetype": "Task"})),
    ("github", Action("comment", "gh:a/b#3", "gh", {"body": "é" * 65_536})),
    ("github", Action("create_issue", "sl:C01:1.2", "gh", {"repo": "a/b", "title": "t" * 256})),
    ("slack", Action("reply", "sl:C024BE91L:1700000000.000100", "sl", {"text": "ok"})),
    ("slack", Action("react", "sl:C01:1.2", "sl", {"reaction": "eyes"})),
    ("slack", Action("unreact", "sl:C01:1.2", "sl", {"name": "eyes"})),
]


@pytest.mark.parametrize(("service", "action"), GOOD)
def test_well_formed_actions_pass(service: str, action: Action) -> None:
    validate(action, service)


def test_an_issue_title_github_would_refuse_is_refused_before_queueing() -> None:
    """GitHub takes a title of at most 256 characters (422 past it); a Jira comment is held
    to Jira's limit (32,767), not GitHub's."""
    params = {"repo": "a/b", "title": "t" * 257}
    with pytest.raises(InvalidAction, match=r"title too long for GitHub: 257 .* shorten it by 1"):
        validate(Action("create_issue", "sl:C01:1.2", "gh", params), "github")
    validate(Action("comment", "jr:OPS-1", "jr", {"body": "x" * 32_767}), "jira")  # Jira's own


def test_empty_required_value_is_missing() -> None:
    with pytest.raises(InvalidAction, match="needs body=VALUE"):
        validate(Action("comment", "gh:a/b#1", "gh", {"body": ""}), "github")


def test_every_action_the_dashboard_builds_passes_the_same_rules() -> None:
    from zen_tui.models import Issue, Message
    from zen_tui.ui import triage  # pure module: no Textual import

    pr = gh_pr("acme/api#7", url="u")
    issue = Issue(
        id="jr:OPS-7",
        account="jr",
        service="jira",
        key="OPS-7",
        title="t",
        url="u",
        updated_at="2026-01-01T00:00:00Z",
    )
    msg = Message(
        id="sl:C1:1700000000.000100",
        account="sl",
        service="slack",
        key="C1:1700000000.000100",
        title="t",
        url="u",
        updated_at="2026-01-01T00:00:00Z",
    )
    from msgspec.structs import replace

    notification = replace(pr, thread_id="42", unread=True)
    built = 0
    for command in set(triage.CHECKS) - triage.DIALOGS:  # dialogs: test_jira_triage_live
        for item in (pr, issue, msg, notification):
            try:
                actions = triage.build(command, [item], "value")
            except triage.NotApplicable:
                continue
            for action in actions:
                validate(action, item.service)
                built += 1
    assert built >= 10


def test_a_created_issues_placeholder_row_takes_no_action_yet() -> None:
    from zen_tui.actions import NotApplicable, check
    from zen_tui.models import Issue

    placeholder = Issue(
        id="jr:OPS",
        account="jr",
        service="jira",
        key="OPS-new",
        title="t",
        url="u",
        updated_at="",
    )
    with pytest.raises(NotApplicable, match="OPS-new is still being created"):
        check("transition", [placeholder])


@pytest.mark.parametrize(("argv", "message"), BAD)
def test_a_refusal_found_early_is_the_one_the_full_run_gives(
    base: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    """act.refused reads argv and the config's [[accounts]] alone (no msgspec, store or log);
    for every malformed action it refuses, with the very line the full check in `run` prints
    once the config is loaded, the store opened and the models built."""
    from zen_tui.cli_parser import parse_args
    from zen_tui.commands import act
    from zen_tui.config import load_settings

    args = parse_args([*base, "act", *argv])
    early = act.refused(args)
    assert early is not None and message in early
    settings = load_settings(args.config, tmp_path / "data", must_exist=True)
    assert act.run(args, settings) == 2
    assert capsys.readouterr().err == f"zen-tui: {early}\n"
    # The full load kept the config's parse (zen_tui/config_cache.py): read from it, the same.
    assert config_cache.lookup(config_cache.cache_file(), args.config.read_text()) is not None
    assert act.refused(args) == early


def test_a_well_formed_action_is_not_refused_early(base: list[str]) -> None:
    from zen_tui.cli_parser import parse_args
    from zen_tui.commands import act

    for argv in (["merge", "gh:acme/api#1"], ["transition", "jr:OPS-1", "to=Done"]):
        assert act.refused(parse_args([*base, "act", *argv])) is None


BROKEN = {
    "invalid TOML": ("[[accounts]\n", "invalid TOML"),
    "an unknown service": ('[[accounts]]\nname = "gh"\nservice = "gitlab"\n', "gitlab"),
    "a name given twice": (
        '[[accounts]]\nname = "gh"\nservice = "github"\n' * 2,
        "duplicate account name",
    ),
}


@pytest.mark.parametrize(("config", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_a_config_the_early_check_cannot_read_is_left_to_the_full_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str, message: str
) -> None:
    """Accounts the plain reading does not follow: no early refusal, the config's own error."""
    code = main([*cli_args(tmp_path, config), "act", "merge", "gh:garbage"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "item id" not in err, err


def test_a_named_config_that_is_missing_is_said_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.toml"
    code = main(["--config", str(missing), "--data-dir", str(tmp_path), "act", "merge", "gh:x"])
    err = capsys.readouterr().err
    assert code == 2 and "file not found" in err, err
