"""`[ui] select_advances`, `[[commands]]` and `[repos."owner/name"]` are typed and checked at
start (one line, with the fix); templates are filled with shell-quoted values only; a query
saved with `s` changes its one line of the config file."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.fakes.backend import DEFAULT_SECTIONS, make_items
from zen_tui.cli import main
from zen_tui.config import load_settings
from zen_tui.config_schema import COMMAND_GRACE, COMMAND_TIMEOUT
from zen_tui.config_writer import CannotSave, save_section_query
from zen_tui.item_commands import (
    TemplateError,
    check_template,
    item_fields,
    render,
)

from .conftest import assert_one_clear_line

GOOD = """\
[ui]
select_advances = false

[[commands]]
key = "C"
pane = "prs"
title = "checkout"
run = "gh pr checkout {number}"
mode = "suspend"
in_checkout = true

[[commands]]
key = "ctrl+d"
run = "git diff main...{branch}"
timeout = "1m30s"
grace = "10s"

[repos."acme/web"]
path = "~/src/web"
"""


def test_a_good_config_is_typed(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD, encoding="utf-8")
    settings = load_settings(path, tmp_path)
    assert settings.ui.select_advances is False
    checkout, diff = settings.commands
    assert (checkout.key, checkout.pane, checkout.mode, checkout.in_checkout) == (
        "C",
        "prs",
        "suspend",
        True,
    )
    assert (diff.key, diff.pane, diff.mode, diff.title) == (
        "ctrl+d",
        None,
        "background",
        "git diff main...{branch}",
    )
    assert diff.timeout == 90.0
    assert checkout.timeout == COMMAND_TIMEOUT == 600.0  # the default: 10 minutes
    assert diff.grace == 10.0
    assert checkout.grace == COMMAND_GRACE == 3.0  # the default
    assert settings.repo_paths == {"acme/web": Path.home() / "src" / "web"}
    assert load_settings(None, tmp_path).ui.select_advances is True  # the default


BAD: dict[str, tuple[str, list[str]]] = {
    "select_advances not a bool": (
        '[ui]\nselect_advances = "yes"\n',
        ['ui.select_advances = "yes"', "expected true or false"],
    ),
    "unknown field": (
        '[[commands]]\nkey = "C"\nrun = "open {link}"\n',
        ["commands[1].run", "unknown field {link}", "url"],
    ),
    "field of another pane": (
        '[[commands]]\nkey = "C"\npane = "messages"\nrun = "gh pr checkout {number}"\n',
        ["unknown field {number}", "the messages pane's items have"],
    ),
    "field inside quotes": (
        '[[commands]]\nkey = "C"\nrun = "echo \\"{title}\\""\n',
        ["{title} is inside quotes", "write it bare"],
    ),
    "field inside single quotes": (
        '[[commands]]\nkey = "C"\nrun = "echo \'{title}\'"\n',
        ["{title} is inside quotes"],
    ),
    "format spec": (
        '[[commands]]\nkey = "C"\nrun = "echo {number!r}"\n',
        ["plain names like {number}"],
    ),
    "lone brace": ('[[commands]]\nkey = "C"\nrun = "echo {"\n', ["{{ or }}"]),
    "no key": ('[[commands]]\nrun = "echo {url}"\n', ["commands[1].key", "missing"]),
    "bad key": ('[[commands]]\nkey = "C C"\nrun = "echo"\n', ["not a key name", "ctrl+o"]),
    "no run": ('[[commands]]\nkey = "C"\n', ["commands[1].run", "missing"]),
    "bad mode": (
        '[[commands]]\nkey = "C"\nrun = "echo"\nmode = "tmux"\n',
        ["commands[1].mode", "background, suspend"],
    ),
    "timeout not a duration": (
        '[[commands]]\nkey = "C"\nrun = "echo"\ntimeout = "soon"\n',
        ['commands[1].timeout = "soon"', "not a valid duration", '"5m"'],
    ),
    "timeout zero": (
        '[[commands]]\nkey = "C"\nrun = "echo"\ntimeout = 0\n',
        ["commands[1].timeout = 0", "must be longer than zero"],
    ),
    "timeout negative": (
        '[[commands]]\nkey = "C"\nrun = "echo"\ntimeout = "-5s"\n',
        ["commands[1].timeout", "not a valid duration"],
    ),
    "timeout on a suspend command": (
        '[[commands]]\nkey = "C"\nrun = "vim"\nmode = "suspend"\ntimeout = "5m"\n',
        ["commands[1].timeout", "only background commands have a timeout", "remove it"],
    ),
    "grace not a duration": (
        '[[commands]]\nkey = "C"\nrun = "echo"\ngrace = "a while"\n',
        ['commands[1].grace = "a while"', "not a valid duration", '"5m"'],
    ),
    "grace negative": (
        '[[commands]]\nkey = "C"\nrun = "echo"\ngrace = -1\n',
        ["commands[1].grace = -1", "not a valid duration"],
    ),
    "grace too long": (
        '[[commands]]\nkey = "C"\nrun = "echo"\ngrace = "5m"\n',
        ['commands[1].grace = "5m"', "is longer than 60s", 'use at most "60s"'],
    ),
    "grace not a number": (
        '[[commands]]\nkey = "C"\nrun = "echo"\ngrace = true\n',
        ["commands[1].grace = true", "not a valid duration"],
    ),
    "grace on a suspend command": (
        '[[commands]]\nkey = "C"\nrun = "vim"\nmode = "suspend"\ngrace = "5s"\n',
        ["commands[1].grace", "only background commands have a grace", "remove it"],
    ),
    "same key twice": (
        '[[commands]]\nkey = "C"\nrun = "a"\n[[commands]]\nkey = "C"\nrun = "b"\npane = "prs"\n',
        ["commands[2].key", "already runs 'a'"],
    ),
    "unknown command key": (
        '[[commands]]\nkey = "C"\nrun = "echo"\ncwd = "/tmp"\n',
        ["commands[1].cwd", "unknown key"],
    ),
    "repo not owner/name": ('[repos.web]\npath = "/src/web"\n', ["repos.web", "owner/name"]),
    "relative repo path": (
        '[repos."acme/web"]\npath = "src/web"\n',
        ['repos."acme/web".path = "src/web"', "not an absolute path"],
    ),
    "repo without path": ('[repos."acme/web"]\ndir = "/x"\n', ['repos."acme/web".path']),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_command_or_repo_is_one_clear_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, fragments = BAD[name]
    assert_one_clear_line(tmp_path, text, capsys, fragments)


HOSTILE = ["$(touch PWNED)", "`touch PWNED`", "a'b", 'a"b', "x; touch PWNED", "-rf", "\n", "é ✓"]


@pytest.mark.parametrize("value", HOSTILE)
def test_every_value_reaches_the_command_as_one_literal_word(value: str, tmp_path: Path) -> None:
    template = "printf '%s\\n' {title} {key}"
    check_template(template, "prs")
    line = render(template, {"title": value, "key": "acme/web#1"})
    out = subprocess.run(line, shell=True, cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout == f"{value}\nacme/web#1\n"
    assert not list(tmp_path.iterdir())


def test_quote_detection_follows_the_shell() -> None:
    check_template("echo {url} '{{literal}}' \"x\" {key}", None)  # {{ }} is a literal brace
    check_template("echo \\'{key}", None)  # an escaped quote opens nothing
    for bad in ('echo "a {key}"', "echo 'x'\"{key}\"", 'echo "\\"{key}"'):
        with pytest.raises(TemplateError, match="inside quotes"):
            check_template(bad, None)
    with pytest.raises(TemplateError, match="here-document"):
        check_template("cat <<EOF\n{title}\nEOF", None)


def test_item_fields_per_kind_and_the_repo_path() -> None:
    pr, issue, message = (make_items(DEFAULT_SECTIONS[n], 1)[0] for n in (0, 3, 4))
    fields = item_fields(pr, {pr.repo: Path("/src/x")})  # type: ignore[union-attr]
    assert fields["number"] == str(pr.number) and fields["path"] == "/src/x"
    assert item_fields(issue, {})["repo"] == ""  # a Jira issue has none
    assert item_fields(message, {})["channel"] == message.channel  # type: ignore[union-attr]
    for pane, item in (("prs", pr), ("issues", issue), ("messages", message)):
        check_template(" ".join(f"{{{f}}}" for f in item_fields(item, {})), pane)


CONFIG = """\
# top comment
[[accounts]]
name = "jr"
service = "jira"
base_url = "https://x.atlassian.net"

[[accounts]]
name = "sl"
service = "slack"

[[sections]]
pane = "issues"
account = "jr"
jql = 'assignee = currentUser()'  # literal string, comment kept

[[sections]]
pane = "messages"
account = "sl"
channels = ["#dev"]
"""


def test_saving_a_query_changes_only_its_value(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    assert save_section_query(path, "issues", 0, 'project = "ZEN" ORDER BY updated') == "jql"
    assert save_section_query(path, "messages", 0, "#dev, #ops") == "channels"
    text = path.read_text(encoding="utf-8")
    assert text == CONFIG.replace(
        "jql = 'assignee = currentUser()'", 'jql = "project = \\"ZEN\\" ORDER BY updated"'
    ).replace('channels = ["#dev"]', 'channels = ["#dev", "#ops"]')
    data = tomllib.loads(text)
    assert data["sections"][0]["jql"] == 'project = "ZEN" ORDER BY updated'
    assert load_settings(path, tmp_path).sections[1].channels == ("#dev", "#ops")


def test_a_query_the_writer_cannot_place_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    multi = CONFIG.replace("jql = 'assignee = currentUser()'", "jql = '''\nassignee = x\n'''")
    path.write_text(multi, encoding="utf-8")
    with pytest.raises(CannotSave, match="edit the file by hand"):
        save_section_query(path, "issues", 0, "project = ZEN")
    assert path.read_text(encoding="utf-8") == multi
    with pytest.raises(CannotSave, match="no issues section number 2"):
        save_section_query(path, "issues", 1, "x")


def test_cli_still_loads_a_config_with_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(GOOD, encoding="utf-8")
    assert main(["--config", str(cfg), "--data-dir", str(tmp_path), "health"]) == 0
