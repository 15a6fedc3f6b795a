"""Work across services: an issue made from a Slack message (then a reply in its thread with
the issue's link), an item shared to a Slack channel or DM. Pure Python (no Textual, no I/O):
the dashboard's `N` / `S` forms and `zen-tui act` build the same outbox steps here.

An issue from a message is an outbox chain (zen_tui.sync.outbox): step 1 creates the issue
and records its key and URL; step 2, the reply, waits for it and takes them in place of its
placeholders. Both steps are verified before any resend, so a crash between them creates
nothing twice. Step 1 is linked to the message, a share to the item it shares (the store's
links table), so both rows show the link after a restart.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from zen_tui.actions import NotApplicable, create_action
from zen_tui.models import Action, Issue, Item, Message, PullRequest, Service, url_of

# What the thread reply says, "Filed as" and a link to the issue titled by its key; the outbox
# fills the placeholders from the created issue. The link is the Slack client's to make
# (`url`, `title`): the body is sent as typed text, its < > shown as they are.
REPLY = {"body": "Filed as", "url": "{{created_url}}", "title": "{{created_key}}"}
TITLE_MAX = 120
JIRA_TYPE = "Task"  # the issue type a Jira issue from a message gets unless one is named
Step = tuple[Action, str | None]  # (action, the item what it creates is linked to)


class Target(msgspec.Struct, frozen=True):
    """Where an issue can be made: a GitHub repository or a Jira project of one account."""

    account: str
    service: Service
    container: str  # "acme/api" or "OPS"

    @property
    def ref(self) -> str:
        """As `zen-tui act issue-from-message ... to=` takes it: ACCOUNT:REPO or ACCOUNT:KEY."""
        return f"{self.account}:{self.container}"

    def label(self) -> str:
        what = "GitHub" if self.service == "github" else "Jira"
        return f"{what} {self.container} ({self.account})"


def targets(items: Iterable[Item]) -> list[Target]:
    """The repositories and projects the loaded items come from, GitHub first."""
    found: set[Target] = set()
    for item in items:
        if isinstance(item, PullRequest | Issue) and item.service == "github" and item.repo:
            found.add(Target(item.account, "github", item.repo))
        elif isinstance(item, Issue) and item.service == "jira" and item.project:
            found.add(Target(item.account, "jira", item.project))
    return sorted(found, key=lambda t: (t.service != "github", t.account, t.container))


def parse_target(ref: str, services: dict[str, Service]) -> Target:
    """'gh:acme/api' / 'jira:OPS' -> a Target; `services` maps account names to services."""
    account, _, container = ref.partition(":")
    service = services.get(account)
    if service is None or not container:
        known = ", ".join(a for a, s in services.items() if s in ("github", "jira")) or "none"
        raise NotApplicable(
            f"to={ref!r} is not ACCOUNT:REPO (GitHub, e.g. gh:acme/api) or ACCOUNT:PROJECT "
            f"(Jira, e.g. jira:OPS); accounts: {known}"
        )
    if service not in ("github", "jira"):
        raise NotApplicable(f"to={ref!r}: issues are made on GitHub or Jira, not {service}")
    return Target(account, service, container)


def default_title(message: Message) -> str:
    """The message's first line, cut to TITLE_MAX characters."""
    first = (message.text or message.title).strip().splitlines()
    line = first[0] if first else f"Slack message from {message.author}"
    return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1] + "…"


def default_body(message: Message, permalink: str, text: str | None = None) -> str:
    """The message's text (or `text`), who wrote it where, and its permalink."""
    where = message.channel if message.channel[:1] in ("#", "@") else f"#{message.channel}"
    said = (message.text if text is None else text).strip()
    return f"{said}\n\n— {message.author} in {where} on Slack: {permalink}"


def issue_from_message(
    message: Message, target: Target, title: str, body: str, issuetype: str = JIRA_TYPE
) -> list[Step]:
    """The chain: create the issue (linked to the message), then reply in its thread.
    `issuetype` (by name or id) is for a Jira project; GitHub has none."""
    if not title.strip():
        raise NotApplicable("an issue needs a title")
    if target.service == "github":
        create = Action(
            "create_issue",
            message.id,
            target.account,
            {"repo": target.container, "title": title.strip(), "body": body},
        )
    else:  # Jira's own create (JiraClient.create_issue), its item the project
        kind = issuetype.strip() or JIRA_TYPE
        create = create_action(target.account, target.container, kind, title.strip(), body)
    reply = Action(
        "reply",
        message.id,
        message.account,
        {**REPLY, "thread_ts": message.thread_ts or message.ts},
    )
    return [(create, message.id), (reply, None)]


def share(item: Item, slack_account: str, channel: str, note: str = "") -> Step:
    """Post the item's link (titled `KEY: title`) and a note to a channel or DM, linked."""
    if not channel:
        raise NotApplicable("share needs a channel: #name, a channel id or a DM id")
    params = {"channel": channel, "url": url_of(item), "title": f"{item.key}: {item.title}"}
    if note.strip():
        params["body"] = note.strip()
    return Action("share", item.id, slack_account, params), item.id
