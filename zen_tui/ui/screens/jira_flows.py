"""The dashboard's Jira triage dialogs: create (createmeta), edit fields (editmeta), assign
to anyone (user search as you type), link, edit/delete own comments, history, and the move
of a selection by target status. Each ends in outbox Actions the dashboard queues (with the
row's optimistic look), or in the preview (history). Reads go to the account's JiraClient,
the one it has when each is made (JiraReads).

Functions, not methods: each takes the DashboardScreen and runs in one of its workers, so a
dialog can await the next one (push_screen_wait).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from msgspec.structs import replace

from zen_tui.actions import KEY_SHAPES, InvalidAction, validate
from zen_tui.models import Action, Issue, Item
from zen_tui.sync.backend import NotConnected
from zen_tui.ui.screens.dashboard import jira_accounts
from zen_tui.ui.screens.forms import FormField, FormModal, UserPickerModal
from zen_tui.ui.screens.modals import ConfirmModal, EditorModal, InputModal, PickerModal

if TYPE_CHECKING:
    from zen_tui.services.jira import JiraClient
    from zen_tui.services.jira_bulk import Moves
    from zen_tui.services.jira_create import CreateField
    from zen_tui.ui.screens.dashboard import DashboardScreen

SKIP_ON_CREATE = {"project", "issuetype", "summary", "description", "reporter", "assignee"}
ASKED_ON_CREATE = ("priority", "labels", "duedate")  # optional ones the form also offers
T = TypeVar("T")


class NoJira(Exception):
    """No Jira account or client to ask; the text says what to do."""


class JiraReads:
    """A form's reads of one Jira account. Each is made of the client the account has when
    it is made, and made again of the new one if a login replaced it meanwhile (the
    engine's re-read, Backend.read_current): a form opened before a login change reads as
    the new login, never refused with `the login changed while this was read`."""

    def __init__(self, screen: DashboardScreen, account: str) -> None:
        self._backend = screen.zen.backend
        self._account = account

    async def __call__(self, read: Callable[[JiraClient], Awaitable[T]]) -> T:
        answer: T = await self._backend.read_current(self._account, read)
        return answer


async def client_for(screen: DashboardScreen, account: str) -> JiraReads:
    """The account's reads. Opened while that account (not another one) is still being
    built, the form says it is connecting and waits for it; if its build failed, the form
    says why while it is tried again, and refuses (the reason, one line) if it fails again."""
    screen.say_connection(account)
    try:
        client = await screen.zen.backend.service_client(account)
    except NotConnected as exc:  # this account's build failed again: why, in one line
        raise NoJira(str(exc)) from None
    from zen_tui.services.jira import JiraClient  # loaded with the first Jira form, not at start

    if not isinstance(client, JiraClient):
        raise NoJira(f"{account} is not a Jira account this dashboard can reach")
    return JiraReads(screen, account)


async def ask(screen: DashboardScreen, modal: Any) -> Any:
    return await screen.zen.ask_dialog(modal)


def _field(spec: CreateField, value: str = "", required: bool | None = None) -> FormField:
    kind = "date" if spec.kind == "date" else spec.kind
    hint = {"array": "space- or comma-separated", "issuelink": "issue key, e.g. OPS-1"}
    return FormField(
        id=spec.id,
        label=spec.name or spec.id,
        value=value,
        required=spec.required if required is None else required,
        choices=spec.allowed if spec.kind in ("priority", "option") else (),
        kind=kind,
        hint=hint.get(spec.kind, "YYYY-MM-DD" if kind == "date" else ""),
    )


# ---- create ---------------------------------------------------------------------------------


async def create_issue(screen: DashboardScreen) -> Action | None:
    """Account (if several) -> project -> issue type -> the form; the `create` action."""
    accounts = jira_accounts(screen)
    if not accounts:
        raise NoJira("no Jira account in the config: add one to create issues")
    item = screen.pane.cursor_item
    here = item.account if item is not None and item.service == "jira" else None
    account = here or accounts[0]
    if len(accounts) > 1 and here is None:
        account = await ask(screen, PickerModal("Create a Jira issue with", accounts))
        if account is None:
            return None
    jira = await client_for(screen, account)
    project = await _pick_project(screen, jira, item)
    if project is None:
        return None
    types = await jira(lambda c: c.creating.issue_types(project))
    names = [name for _, name in types]
    name = await ask(screen, PickerModal(f"Issue type in {project}", names))
    if name is None:
        return None
    type_id = next(tid for tid, n in types if n == name)
    fields = await jira(lambda c: c.creating.fields(project, type_id))
    values = await ask(screen, FormModal(f"New {name} in {project}", _create_form(fields)))
    if values is None:
        return None
    return _create_action(account, project, name, values, fields)


async def _pick_project(screen: DashboardScreen, jira: JiraReads, item: Item | None) -> Any:
    projects = await jira(lambda c: c.creating.projects())
    if not projects:
        raise NoJira("this Jira account sees no project to create issues in")
    current = item.project if isinstance(item, Issue) and item.service == "jira" else None
    projects.sort(key=lambda p: p[0] != current)  # the cursor item's project first
    labels = [f"{key} · {name}" if name else key for key, name in projects]
    picked = await ask(screen, PickerModal("Create an issue in", labels))
    return None if picked is None else projects[labels.index(picked)][0]


def _create_form(fields: list[CreateField]) -> list[FormField]:
    form = [
        FormField("summary", "Summary", required=True),
        FormField("description", "Description", multiline=True),
    ]
    for spec in fields:
        if spec.id in SKIP_ON_CREATE:
            continue
        if spec.required and not spec.has_default:
            form.append(_field(spec))
        elif spec.id in ASKED_ON_CREATE:
            form.append(_field(spec, required=False))
    return form


def _create_action(
    account: str, project: str, type_name: str, values: dict[str, str], specs: list[CreateField]
) -> Action:
    params = {"issuetype": type_name, "summary": values["summary"]}
    if values.get("description"):
        params["description"] = values["description"]
    other: dict[str, str] = {}
    for spec in specs:
        value = values.get(spec.id, "")
        if not value or spec.id in ("summary", "description"):
            continue
        if spec.id in ("priority", "labels", "duedate", "parent"):
            params[spec.id] = value
        else:  # a required field the form asked for: sent as Jira takes a plain value
            other[spec.id] = value
    if other:
        params["fields"] = json.dumps(other)
    return Action("create", f"{account}:{project}", account, params)


def placeholder(action: Action, site: str) -> Issue:
    """The row a create shows until the new issue arrives from Jira."""
    project = action.item_id.split(":", 1)[1]
    return Issue(
        id=action.item_id,
        account=action.account,
        service="jira",
        key=f"{project}-new",
        title=action.params.get("summary", ""),
        url=site,
        updated_at="",
        status="creating…",
        priority=action.params.get("priority"),
        project=project,
    )


# ---- edit, assign, link, comments, history ----------------------------------------------------


async def edit_fields(screen: DashboardScreen, item: Item) -> Action | None:
    """The form of editmeta's summary/priority/labels/due date, with today's values; only
    what changed is sent."""
    jira = await client_for(screen, item.account)
    form = await jira(lambda c: c.editing.edit_fields(item.key))
    if not form:
        raise NoJira(f"Jira offers none of summary/priority/labels/due date on {item.key}")
    fields = [_field(spec, now) for spec, now in form]
    values = await ask(screen, FormModal(f"Edit {item.key}", fields))
    if values is None:
        return None
    before = {spec.id: now for spec, now in form}
    changed = {k: v for k, v in values.items() if v != before.get(k, "")}
    if not changed:
        screen.say(f"nothing changed on {item.key}")
        return None
    return Action("edit", item.id, item.account, changed)


async def assign_to(screen: DashboardScreen, items: list[Item]) -> list[Action]:
    first = items[0]
    jira = await client_for(screen, first.account)

    async def search(query: str) -> list[tuple[str, str]]:
        return await jira(lambda c: c.editing.assignable(first.key, query))

    n = first.key if len(items) == 1 else f"{len(items)} issues"
    picked = await ask(screen, UserPickerModal(f"Assign {n} to", search))
    if picked is None:
        return []
    account_id, name = picked
    params = {"account_id": account_id, "display_name": name}
    return [Action("assign", i.id, i.account, dict(params)) for i in items]


async def link_issue(screen: DashboardScreen, items: list[Item]) -> list[Action]:
    jira = await client_for(screen, items[0].account)
    types = await jira(lambda c: c.editing.link_types())
    if not types:
        raise NoJira("this Jira has no issue link types")
    n = items[0].key if len(items) == 1 else f"{len(items)} issues"
    phrases = [f"{n} {t.outward} …  ({t.name})" for t in types]
    phrase = await ask(screen, PickerModal(f"Link {n}", phrases))
    if phrase is None:
        return []
    link = types[phrases.index(phrase)]
    target = await ask(
        screen, InputModal(f"{n} {link.outward} which issue?", "issue key, e.g. OPS-42")
    )
    if target is None:
        return []
    target = target.strip().upper()
    if not re.fullmatch(KEY_SHAPES["jira"][0], target):
        raise NoJira(f"{target!r} is not an issue key; use e.g. OPS-42")
    return [
        Action("link", i.id, i.account, {"type": link.name, "target": target})
        for i in items
        if i.key != target
    ]


async def edit_comment(screen: DashboardScreen, item: Item) -> Action | None:
    jira = await client_for(screen, item.account)
    mine = await jira(lambda c: c.editing.my_comments(item.key))
    if not mine:
        raise NoJira(f"you have no comment on {item.key} to edit")
    lines = [_first_line(c.text) for c in mine]
    picked = await ask(screen, PickerModal(f"Your comments on {item.key}", lines))
    if picked is None:
        return None
    comment = mine[lines.index(picked)]
    what = await ask(screen, PickerModal("Do what with it?", ["Edit", "Delete"]))
    if what == "Edit":
        text = await ask(screen, EditorModal(f"Edit your comment on {item.key}", comment.text))
        if text is None or text.strip() == comment.text.strip():
            return None
        return Action(
            "edit_comment", item.id, item.account, {"comment_id": comment.id, "body": text}
        )
    if what == "Delete":
        sure = await ask(screen, ConfirmModal(f"Really delete your comment on {item.key}?"))
        if sure:
            return Action("delete_comment", item.id, item.account, {"comment_id": comment.id})
    return None


def _first_line(text: str, width: int = 60) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= width else line[: width - 1] + "…"


async def history(screen: DashboardScreen, item: Item) -> Any:
    """The item's detail with its changelog, for the preview."""
    jira = await client_for(screen, item.account)
    changes = await jira(lambda c: c.editing.history(item.key))
    detail = await screen.zen.backend.details(item)
    return replace(detail, history=tuple((c.when, c.who, c.what) for c in changes))


# ---- move a selection by target status ---------------------------------------------------------


class Reach(msgspec.Struct, frozen=True):
    """Where a selection can move: status -> the items that can get there."""

    statuses: dict[str, list[Item]]
    items: list[Item]
    note: str = ""  # why the transitions were read the slow way, if they were

    def label(self, status: str) -> str:
        can = self.statuses[status]
        if len(can) == len(self.items):
            return f"{status}  (all {len(can)})"
        cannot = [i.key for i in self.items if i not in can]
        return f"{status}  ({len(can)} of {len(self.items)}; not {', '.join(cannot)})"


async def reach(screen: DashboardScreen, items: list[Item]) -> Reach:
    """Each item's own transitions (per account, one bulk lookup per status the rows show),
    grouped by target status."""
    statuses: dict[str, list[Item]] = {}
    by_account: dict[str, list[Item]] = {}
    notes: list[str] = []
    for item in items:
        by_account.setdefault(item.account, []).append(item)
    for account, group in by_account.items():
        jira = await client_for(screen, account)
        shown = {i.key: i.status for i in group if isinstance(i, Issue)}
        moves = await jira(partial(_moves, keys=[i.key for i in group], statuses=shown))
        notes += [moves.note] if moves.note and moves.note not in notes else []
        for item in group:
            for _, _, to in moves.by_key.get(item.key, []):
                if to and item not in statuses.setdefault(to, []):
                    statuses[to].append(item)
    ordered = dict(sorted(statuses.items(), key=lambda kv: (-len(kv[1]), kv[0])))
    return Reach(ordered, items, "; ".join(notes))


async def _moves(client: JiraClient, keys: list[str], statuses: dict[str, str]) -> Moves:
    return await client.available_moves(keys, statuses)


async def move_by_status(
    screen: DashboardScreen, items: list[Item], loaded: Callable[[], None] = lambda: None
) -> list[Action]:
    """Pick a target status; the items that can reach it move (each by its own transition),
    the others are named before anything is sent. `loaded` runs once the statuses are read
    (the caller's "loading…" note goes, not stays under the picker)."""
    where = await reach(screen, items)
    loaded()
    if where.note:
        screen.say(where.note, "warning")
    if not where.statuses:
        raise NoJira("none of the selected issues has a transition available now")
    labels = [where.label(s) for s in where.statuses]
    picked = await ask(screen, PickerModal(f"Move {len(items)} issues to", labels))
    if picked is None:
        return []
    status = list(where.statuses)[labels.index(picked)]
    can = where.statuses[status]
    cannot = [i.key for i in items if i not in can]
    if cannot:
        sure = await ask(
            screen,
            ConfirmModal(
                f"{', '.join(cannot)} cannot move to {status} (not in their workflow from "
                f"where they are). Move the other {len(can)}?"
            ),
        )
        if not sure:
            return []
    return [Action("transition", i.id, i.account, {"to": status}) for i in can]


def checked(action: Action) -> Action:
    """The same rules as `zen-tui act`: a bad action never reaches the outbox."""
    try:
        validate(action, "jira")
    except InvalidAction as exc:
        raise NoJira(str(exc)) from None
    return action
