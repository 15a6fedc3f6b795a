"""The steps the `N` and `S` forms and `zen-tui act` build (zen_tui.crosslink) pass the same
rules as every other action, and say clearly what is wrong with bad input."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from zen_tui import crosslink
from zen_tui.actions import NotApplicable, check, validate
from zen_tui.models import Issue, Message, PullRequest

WHEN = "2026-01-01T00:00:00Z"
PR = PullRequest(
    "gh:acme/api#7",
    "gh",
    "github",
    "acme/api#7",
    "Fix <it>",
    "https://gh/7",
    WHEN,
    repo="acme/api",
    number=7,
)
JIRA = Issue("jr:OPS-7", "jr", "jira", "OPS-7", "t", "https://j/OPS-7", WHEN, project="OPS")
MSG = Message(
    "sl:C1:1700000000.000100",
    "sl",
    "slack",
    "C1:1700000000.000100",
    "t",
    "u",
    WHEN,
    channel="dev",
    channel_id="C1",
    author="ana",
    text="Build is red\nsince 9:00",
    ts="1700000000.000100",
)
REPLY_IN_THREAD = replace(MSG, ts="1700000005.000200", thread_ts="1700000000.000100")
SERVICES = {"gh": "github", "jr": "jira", "sl": "slack"}


def test_issue_from_message_is_a_create_then_a_reply_in_the_thread() -> None:
    target = crosslink.Target("gh", "github", "acme/api")
    title = crosslink.default_title(MSG)
    body = crosslink.default_body(MSG, "https://zen.slack.com/archives/C1/p1700000000000100")
    (create, linked), (reply, none) = crosslink.issue_from_message(MSG, target, title, body)
    assert (create.kind, create.account, create.item_id, linked) == (
        "create_issue",
        "gh",
        MSG.id,
        MSG.id,
    )
    assert create.params == {"repo": "acme/api", "title": "Build is red", "body": body}
    assert "ana in #dev" in body and body.endswith("/p1700000000000100")
    assert (reply.kind, reply.account, none) == ("reply", "sl", None)
    assert {k: reply.params[k] for k in ("body", "url", "title")} == {
        "body": "Filed as",  # typed text: the link is the url and title the client makes one of
        "url": "{{created_url}}",
        "title": "{{created_key}}",
    }
    for action in (create, reply):
        validate(action, SERVICES[action.account])
    [(_, _), (in_thread, _)] = crosslink.issue_from_message(REPLY_IN_THREAD, target, "t", "b")
    assert in_thread.params["thread_ts"] == MSG.ts  # a reply's thread, not a new one


def test_share_takes_the_items_link_and_title() -> None:
    action, linked = crosslink.share(PR, "sl", "C9", "  please look ")
    validate(action, "slack")
    assert linked == PR.id and action.account == "sl" and action.item_id == PR.id
    assert action.params == {
        "channel": "C9",
        "url": "https://gh/7",
        "title": "acme/api#7: Fix <it>",
        "body": "please look",
    }
    with pytest.raises(NotApplicable, match="needs a channel"):
        crosslink.share(PR, "sl", "")


def test_targets_come_from_the_loaded_items_github_first() -> None:
    found = crosslink.targets([JIRA, PR, MSG, PR])
    assert [(t.ref, t.label()) for t in found] == [
        ("gh:acme/api", "GitHub acme/api (gh)"),
        ("jr:OPS", "Jira OPS (jr)"),
    ]


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("acme/api", "is not ACCOUNT:REPO"),
        ("nope:x", "accounts: gh, jr"),
        ("sl:C1", "not slack"),
        ("gh:", "is not ACCOUNT:REPO"),
    ],
)
def test_a_bad_target_says_what_to_write(ref: str, says: str) -> None:
    with pytest.raises(NotApplicable, match=says):
        crosslink.parse_target(ref, SERVICES)  # type: ignore[arg-type]


def test_keys_take_one_item_of_the_right_kind() -> None:
    check("issue", [MSG])
    check("share", [PR])
    check("share", [JIRA])
    with pytest.raises(NotApplicable, match="Slack messages"):
        check("issue", [PR])
    with pytest.raises(NotApplicable, match="one item at a time"):
        check("share", [PR, JIRA])


def test_long_first_lines_are_cut_for_the_title() -> None:
    long = replace(MSG, text="x" * 300)
    assert len(crosslink.default_title(long)) == crosslink.TITLE_MAX


def test_a_jira_project_gets_jiras_own_create_with_an_issue_type() -> None:
    target = crosslink.Target("jr", "jira", "OPS")
    [(create, linked), _] = crosslink.issue_from_message(MSG, target, "t", "b", "Bug")
    validate(create, "jira")
    assert (create.kind, create.item_id, create.account, linked) == (
        "create",
        "jr:OPS",
        "jr",
        MSG.id,
    )
    assert create.params == {
        "project": "OPS",
        "issuetype": "Bug",
        "summary": "t",
        "description": "b",
    }
    [(default, _), _] = crosslink.issue_from_message(MSG, target, "t", "b", " ")
    assert default.params["issuetype"] == crosslink.JIRA_TYPE


def test_the_body_names_the_channel_once_whichever_way_it_is_spelled() -> None:
    for channel, shown in (("dev", "#dev"), ("#dev", "#dev"), ("@ada", "@ada")):
        body = crosslink.default_body(replace(MSG, channel=channel), "L")
        assert body.endswith(f"— ana in {shown} on Slack: L"), body
