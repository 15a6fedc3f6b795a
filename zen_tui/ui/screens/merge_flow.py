"""`m`: merge pull requests by a method their repository allows.

GitHub refuses a merge by a method a repository's settings turn off (405 "Merge commits are
not allowed on this repository."), and many allow only squash, or squash and rebase. So the
methods each repository allows are read first (Backend.merge_methods): one allowed is used
(after a confirm, as every merge asks); several are offered in a picker, the repository's
first in GitHub's order (merge, squash, rebase) highlighted, `enter` taking it. A selection
across repositories is merged by one method per repository, asked per repository. A
repository that does not say (GitHub left the fields out) or could not be read offers all
three, saying so: one it turned off still fails with GitHub's reason.

A function, as jira_flows and crosslink_flows: it runs in the dashboard's worker, after the
read, so the keys typed meanwhile go to the dialog (zen_tui.ui.key_gate).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from zen_tui.actions import MERGE_METHODS
from zen_tui.models import Action, Item, MergeMethods
from zen_tui.ui import triage
from zen_tui.ui.screens.modals import ConfirmModal, PickerModal

if TYPE_CHECKING:
    from zen_tui.ui.screens.dashboard import DashboardScreen

# What each method does, as GitHub's merge button says it.
LABELS = {
    "merge": "merge: create a merge commit",
    "squash": "squash: squash and merge",
    "rebase": "rebase: rebase and merge",
}


def repository(item: Item) -> str:
    """'acme/api' of a pull request 'acme/api#12'."""
    return item.key.rpartition("#")[0]


def by_repository(items: list[Item]) -> dict[tuple[str, str], list[Item]]:
    """The items per (account, repository), in the order they come."""
    groups: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        groups.setdefault((item.account, repository(item)), []).append(item)
    return groups


async def read(screen: DashboardScreen, item: Item) -> MergeMethods:
    try:
        return await screen.zen.backend.merge_methods(item)
    except Exception as exc:  # not connected, the login changed: said, all three offered
        return MergeMethods(error=str(exc))


async def merge(
    screen: DashboardScreen,
    items: list[Item],
    loaded: Callable[[], object],
    done: Callable[[list[Action] | None], object],
) -> None:
    """Ask how to merge `items`, one method per repository, and hand `done` their merge
    Actions (None: cancelled, or a dialog was in the way, which that says). `loaded` runs
    once the reads are in. The last dialog answers through `done`, the ones before it are
    awaited: the worker ends once the last is up, as every dialog-opening worker does."""
    groups = by_repository(items)
    answers = await asyncio.gather(*(read(screen, group[0]) for group in groups.values()))
    loaded()
    chosen: dict[tuple[str, str], str] = {}
    asks: list[tuple[tuple[str, str], PickerModal]] = []
    for (key, group), answer in zip(groups.items(), answers, strict=True):
        allowed = answer.allowed or MERGE_METHODS
        if answer.allowed is not None and len(allowed) == 1:
            chosen[key] = allowed[0]
        else:
            prompt = _prompt(screen, key[1], group, answer)
            asks.append((key, PickerModal(prompt, [LABELS[m] for m in allowed])))
    confirm = len(chosen) > 0  # a method used without asking: the merge confirmed as a whole
    for n, (key, picker) in enumerate(asks):
        if n == len(asks) - 1 and not confirm:
            then = partial(_picked, groups, chosen, key, done)
            if not screen.zen.push_dialog(picker, then):
                done(None)
            return
        picked = await screen.zen.ask_dialog(picker)
        if picked is None:
            done(None)
            return
        chosen[key] = picked.partition(":")[0]
    question = ConfirmModal(_question(screen, items, groups, chosen))
    if not screen.zen.push_dialog(question, partial(_confirmed, groups, chosen, done)):
        done(None)


def _picked(
    groups: dict[tuple[str, str], list[Item]],
    chosen: dict[tuple[str, str], str],
    key: tuple[str, str],
    done: Callable[[list[Action] | None], object],
    label: str | None,
) -> None:
    if label is None:
        done(None)
        return
    _confirmed(groups, {**chosen, key: label.partition(":")[0]}, done, True)


def _confirmed(
    groups: dict[tuple[str, str], list[Item]],
    chosen: dict[tuple[str, str], str],
    done: Callable[[list[Action] | None], object],
    yes: bool | None,
) -> None:
    if not yes:
        done(None)
        return
    done([a for key, group in groups.items() for a in triage.build("merge", group, chosen[key])])


def _prompt(screen: DashboardScreen, repo: str, group: list[Item], answer: MergeMethods) -> str:
    what = screen.named(group)
    if answer.allowed is not None:
        return f"Merge {what} by ({repo} allows {', '.join(answer.allowed)})"
    return (
        f"Merge {what} by\n({repo}: {answer.unknown_why()}; which it allows: "
        "GitHub refuses one it turned off, saying so)"
    )


def _question(
    screen: DashboardScreen,
    items: list[Item],
    groups: dict[tuple[str, str], list[Item]],
    chosen: dict[tuple[str, str], str],
) -> str:
    """`Really merge acme/api#12 by squash (the one method acme/api allows)?`, or across
    repositories `Really merge 4 items: acme/api by squash, acme/web by rebase?`."""
    if len(groups) == 1:
        [(key, method)] = chosen.items()
        return f"Really merge {screen.named(items)} by {method} (the one method {key[1]} allows)?"
    how = ", ".join(f"{key[1]} by {method}" for key, method in chosen.items())
    return f"Really merge {screen.named(items)}: {how}?"
