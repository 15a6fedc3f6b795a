"""`zen-tui init`: write a starter config, from a few questions or (`--yes`) from what is
already here: a GitHub login (GH_TOKEN, `gh`), SLACK_TOKEN, JIRA_API_TOKEN.

Sections: review requests, my PRs, assigned issues (GitHub), Jira "mine", Slack mentions.
The text is checked with the real config loader before it is written; an existing config is
never overwritten without --force. Tokens are never written: they come from the sources in
docs/login.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from zen_tui import paths

if TYPE_CHECKING:  # the config loads when the command runs, not for `zen-tui --help`
    from zen_tui.config import Settings
    from zen_tui.models import Service

PROG = "zen-tui"
GITHUB_API = "https://api.github.com"
Ask = Callable[[str], str]
HELP = "write a starter config (asks a few questions, or --yes)"
WHERE = "pass --config with a file in a folder you can write"
NO_QUESTIONS = "pass --yes to ask nothing"
# The exit statuses every command uses (docs/cli.md): bad input (an existing config without
# --force, an answer the config refuses, no account chosen, no answers to read, a config
# folder that cannot be written) is 2, as a bad config or command line is; Ctrl-C is 130.
# 1 stays for an unexpected error (a bug), which cli.py reports with the log's path.
BAD_INPUT = 2
INTERRUPTED = 130


class Answers:
    """What the config is written from. A plain class: `--help` imports this module, and
    defining a dataclass or a NamedTuple compiles code (the first compile() of a process
    costs a millisecond)."""

    __slots__ = ("github_url", "jira_email", "jira_url", "slack")

    def __init__(
        self,
        *,
        github_url: str | None = GITHUB_API,  # None: no GitHub account
        jira_url: str | None = None,
        jira_email: str | None = None,
        slack: bool = False,
    ) -> None:
        self.github_url = github_url
        self.jira_url = jira_url
        self.jira_email = jira_email
        self.slack = slack


class InitError(Exception):
    """A one-line reason init wrote nothing."""


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--yes", "-y", action="store_true", help="ask nothing: use what is detected"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing config")
    parser.add_argument("--jira-url", metavar="URL", help="add a Jira site (with --yes)")
    parser.add_argument("--jira-email", metavar="EMAIL", help="your Atlassian email for it")


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    path = paths.config_path(args.config)
    try:
        if path.exists() and not args.force:
            raise InitError(f"{path} already exists; pass --force to overwrite it")
        answers = detected(args) if args.yes else ask_all(args, input)
        written = write(path, starter_config(answers))
    except InitError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return BAD_INPUT
    except OSError as exc:  # a folder that cannot be made or written: say which, no traceback
        print(f"{PROG}: cannot write {path}: {exc.strerror or exc}; {WHERE}", file=sys.stderr)
        return BAD_INPUT
    except EOFError:  # stdin ended before the answers (a script, `< /dev/null`)
        print(f"\n{PROG}: no answer to read; nothing written; {NO_QUESTIONS}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print(f"\n{PROG}: init cancelled; nothing written", file=sys.stderr)
        return INTERRUPTED
    print(f"Wrote a starter config to {written.resolve()}")
    for line in login_hints(answers):
        print(line)
    return 0


def detected(args: argparse.Namespace) -> Answers:
    """--yes: GitHub always; Jira when --jira-url is given; Slack when SLACK_TOKEN is set."""
    return Answers(
        github_url=GITHUB_API,
        jira_url=args.jira_url,
        jira_email=args.jira_email or (os.environ.get("JIRA_EMAIL") or None),
        slack=bool(os.environ.get("SLACK_TOKEN", "").strip()),
    )


def ask_all(args: argparse.Namespace, ask: Ask) -> Answers:
    guess = detected(args)
    github = _ask(ask, f"GitHub API URL ('-' for none) [{GITHUB_API}]: ", GITHUB_API)
    jira = _ask(
        ask,
        f"Jira site URL, e.g. https://your-site.atlassian.net [{_shown(guess.jira_url)}]: ",
        guess.jira_url or "-",
    )
    email = None
    if jira != "-":
        email = _ask(
            ask, f"Your Atlassian email [{_shown(guess.jira_email)}]: ", guess.jira_email or "-"
        )
    slack_default = "y" if guess.slack else "n"
    slack = _ask(ask, f"Add Slack mentions? (y/n) [{slack_default}]: ", slack_default)
    return Answers(
        github_url=None if github == "-" else github_api_url(github),
        jira_url=None if jira == "-" else jira,
        jira_email=None if email in (None, "-") else email,
        slack=slack.lower().startswith("y"),
    )


def github_api_url(typed: str) -> str:
    """The REST API's URL for what was typed at "GitHub API URL": the address a browser
    shows is what people have at hand, and the config took it as the API (every call then
    met github.com's web pages). github.com's API is api.github.com, a GHE.com one's
    api.SUBDOMAIN.ghe.com, a GitHub Enterprise Server's HOST/api/v3 (GitHub's REST docs).
    A URL with a path (an API URL, the simulator's) is taken as it is."""
    from urllib.parse import urlsplit

    url = typed.rstrip("/")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    as_typed = parts.path or parts.query or parts.fragment or host.startswith("api.")
    if parts.scheme not in ("http", "https") or not host or as_typed:
        return url  # the config loader says what is wrong with one that is not a URL
    if host in ("github.com", "www.github.com"):
        return GITHUB_API
    if host.endswith(".ghe.com"):
        return f"{parts.scheme}://api.{parts.netloc}"
    return f"{url}/api/v3"


def _ask(ask: Ask, prompt: str, default: str) -> str:
    return ask(prompt).strip() or default


def _shown(value: str | None) -> str:
    return value or "none"


def starter_config(a: Answers) -> str:
    """The TOML text; every value a TOML basic string (JSON string syntax is valid TOML)."""
    if a.jira_url and not a.jira_email:
        raise InitError("a Jira account needs your Atlassian email: pass --jira-email")
    parts = ["# zen-tui config written by `zen-tui init`; see docs/config.md for every key.\n"]
    parts.append("# Tokens never go here: see docs/login.md for where they come from.\n")
    parts += [_account(name, name, url, email=email) for name, url, email in _chosen(a)]
    if a.github_url:
        parts.append(
            _section(
                "prs", "Review requested", "github", query="is:pr is:open review-requested:@me"
            )
        )
        parts.append(_section("prs", "My PRs", "github", query="is:pr is:open author:@me"))
        parts.append(
            _section("issues", "Assigned issues", "github", query="is:issue is:open assignee:@me")
        )
    if a.jira_url:
        jql = "assignee = currentUser() AND statusCategory != Done ORDER BY updated DESC"
        parts.append(_section("issues", "Mine (Jira)", "jira", jql=jql))
    if a.slack:
        parts.append(_section("messages", "Mentions", "slack", query="mentions"))
    if len(parts) == 2:
        raise InitError("no accounts chosen; answer at least one service")
    return "".join(parts)


def _chosen(a: Answers) -> list[tuple[Service, str, str | None]]:
    """The accounts the answers ask for, each named after its service: (service, base URL,
    email), for the config text and for the login hints alike."""
    chosen: list[tuple[Service, str, str | None]] = []
    if a.github_url:
        chosen.append(("github", a.github_url, None))
    if a.jira_url:
        chosen.append(("jira", a.jira_url, a.jira_email))
    if a.slack:
        chosen.append(("slack", "https://slack.com/api", None))
    return chosen


def _account(name: str, service: str, base_url: str, *, email: str | None = None) -> str:
    lines = ["\n[[accounts]]", f"name = {_s(name)}", f"service = {_s(service)}"]
    lines.append(f"base_url = {_s(base_url)}")
    if email:
        lines.append(f"email = {_s(email)}")
    return "\n".join(lines) + "\n"


def _section(pane: str, title: str, account: str, **query: str) -> str:
    lines = ["\n[[sections]]", f"pane = {_s(pane)}", f"title = {_s(title)}"]
    lines.append(f"account = {_s(account)}")
    lines += [f"{key} = {_s(value)}" for key, value in query.items()]
    return "\n".join(lines) + "\n"


def _s(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def write(path: Path, text: str) -> Path:
    """Check `text` with the real loader (a bad URL or email is said in one line and nothing
    is written), then write it in one step (a temp file renamed over the target)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile

    fd, tmp_name = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        from zen_tui.config import ConfigError, load_settings

        try:
            load_settings(tmp, path.parent, must_exist=True)
        except ConfigError as exc:
            raise InitError(str(exc).replace(str(tmp), "the answers")) from None
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def login_hints(a: Answers) -> list[str]:
    """Per account: the login found here, or how to get one."""
    from zen_tui.config import AccountConfig

    accounts = [AccountConfig(name, name, url, email=email) for name, url, email in _chosen(a)]
    import asyncio  # the ambient token sources (`gh` as a subprocess) run on a loop

    from zen_tui.auth import ambient

    lines = []
    for account in accounts:
        found = asyncio.run(ambient.find(account))
        if found is not None:
            source = "the GitHub CLI's login" if found.source == "gh" else f"${found.source[4:]}"
            lines.append(f"  {account.name}: will use {source}")
        else:
            lines.append(
                f"  {account.name}: no login found; run `{PROG} auth login {account.name}`"
            )
    return lines
