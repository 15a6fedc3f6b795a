"""The dashboard's cross-service dialogs: an issue from a Slack message (`N`: the form, then
the outbox chain create -> thread reply) and a share to Slack (`S`: the channel picker).

Functions, not methods, as in jira_flows: each takes the DashboardScreen and runs in one of
its workers for the reads it needs; the dialog's answer ends in the chain handed to
`screen.submit_steps`, or in one line saying why nothing was queued (a refusal, a cancel).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zen_tui import crosslink
from zen_tui.actions import NotApplicable
from zen_tui.models import Item, Message, url_of
from zen_tui.ui.screens.modals import IssueFormModal, PickerModal

if TYPE_CHECKING:
    from zen_tui.ui.screens.dashboard import DashboardScreen


async def issue_from_message(screen: DashboardScreen, message: Message) -> None:
    whole = screen.whole([message])  # the row's link is in the store
    if whole is None:
        return
    assert isinstance(whole[0], Message)
    message = whole[0]
    loaded = [i for pane in screen.panes() for snap in pane.snapshots.values() for i in snap.items]
    targets = crosslink.targets(loaded)
    if not targets:
        screen.say("no GitHub repository or Jira project loaded yet to file it in", "warning")
        return
    screen.say_connection(message.account)
    try:
        link = await screen.zen.backend.permalink(message)
    except Exception as exc:  # offline: the row's own link carries over instead
        screen.say(f"no permalink from Slack ({exc}); using the message's link", notify=False)
        link = url_of(message)
    form = IssueFormModal(
        f"New issue from {message.author}'s message",
        targets,
        crosslink.default_title(message),
        crosslink.default_body(message, link),
        crosslink.JIRA_TYPE,
    )

    def answered(answer: tuple[crosslink.Target, str, str, str] | None) -> None:
        if answer is None:
            screen.say(
                f"new issue from {message.author}'s message cancelled: nothing sent", notify=False
            )
            return
        target, title, body, issuetype = answer
        try:
            steps = crosslink.issue_from_message(message, target, title, body, issuetype)
        except NotApplicable as exc:
            screen.say(str(exc), "warning")
            return
        screen.submit_steps(steps, f"issue in {target.container} queued")

    screen.zen.push_dialog(form, answered)


async def share(screen: DashboardScreen, item: Item) -> None:
    whole = screen.whole([item])  # the row's URL is in the store
    if whole is None:
        return
    item = whole[0]
    slack = [a.name for a in screen.zen.accounts if a.service == "slack"]
    if not slack:
        screen.say("no Slack account in the config to share to", "warning")
        return
    screen.say_connection(slack[0])
    try:
        choices = await screen.zen.backend.share_targets(slack[0])
    except Exception as exc:
        screen.say(f"cannot list Slack channels: {exc}", "error")
        return
    if not choices:
        screen.say("no Slack channel or DM to share to", "warning")
        return
    by_label = {label: channel_id for channel_id, label in choices}

    def chosen(label: str | None) -> None:
        if not label:
            screen.say(f"share of {item.key} cancelled: nothing sent", notify=False)
            return
        step = crosslink.share(item, slack[0], by_label[label])
        screen.submit_steps([step], f"share of {item.key} to {label} queued")

    screen.zen.push_dialog(PickerModal(f"Share {item.key} to", list(by_label)), chosen)
