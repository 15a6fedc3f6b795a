"""The dashboard: gateway cards, the three panes, the preview, the status line, and triage.

Every triage key becomes `Action`s (zen_tui.ui.triage) sent with one `backend.submit` call;
rows show the optimistic result at once and the outbox state from ActionUpdated events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from functools import partial
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from msgspec.structs import replace
from textual import events, on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Input, Static

from zen_tui.models import (
    Action,
    ActionState,
    Cause,
    Freshness,
    Issue,
    Item,
    ItemDetail,
    Message,
    Pane,
    PullDiff,
    PullRequest,
    ScreenField,
    SectionInfo,
    body_of,
    item_label,
    url_of,
)
from zen_tui.store.outbox import LANDED_BEFORE_CANCEL
from zen_tui.sync.backend import ActionUpdated, NotStored, SectionUpdated
from zen_tui.ui import messages, triage
from zen_tui.ui.browser import open_in_browser
from zen_tui.ui.key_gate import keys_wait
from zen_tui.ui.keys import key_char
from zen_tui.ui.messages import DetailLoaded
from zen_tui.ui.safe import plain, show
from zen_tui.ui.widgets.gateway import ServiceCard, breaker_text
from zen_tui.ui.widgets.item_list import ItemList, RowState
from zen_tui.ui.widgets.key_footer import KeyFooter
from zen_tui.ui.widgets.pane import ItemPane, SelectionFiltered
from zen_tui.ui.widgets.preview import Preview

if TYPE_CHECKING:
    from textual.geometry import Size

    from zen_tui import crosslink
    from zen_tui.ui import item_command
    from zen_tui.ui.app import ZenApp


WIDE = 120  # columns from which panes and preview sit side by side
_OPEN = (ActionState.PENDING, ActionState.SENDING, ActionState.UNKNOWN)
LANDED_KEEP = 300.0  # seconds a landed action's look waits for a snapshot fetched after it

TRIAGE_BINDINGS: list[Binding] = [
    Binding("enter", "preview", "Preview", id="preview"),
    Binding("o", "open", "Open", id="open-browser"),
    Binding("D", "diff", "Diff", id="diff"),
    Binding("u", "triage('mark_read')", "Mark read", id="mark-read"),
    Binding("z", "triage('mark_done')", "Mark done", id="mark-done"),
    Binding("y", "copy('url')", "Copy URL", show=False, id="copy-url"),
    Binding("Y", "copy('id')", "Copy id", show=False, id="copy-id"),
    Binding("a", "triage('assign')", "Assign me", id="assign"),
    Binding("l", "triage('label')", "Label", id="label"),
    Binding("c", "triage('comment')", "Comment", id="comment"),
    Binding("v", "triage('approve')", "Approve", id="approve"),
    Binding("m", "triage('merge')", "Merge", id="merge"),
    Binding("x", "triage('close')", "Close/reopen", id="close-reopen"),
    Binding("t", "triage('transition')", "Transition", id="transition"),
    Binding("r", "triage('reply')", "Reply", id="reply"),
    Binding("e", "triage('react')", "React", id="react"),
    Binding("N", "triage('issue')", "New issue", id="issue-from-message"),
    Binding("S", "triage('share')", "Share", id="share-to-slack"),
    Binding("n", "create_issue", "New Jira issue", id="create-issue"),
    Binding("E", "triage('edit')", "Edit fields", id="edit-fields"),
    Binding("A", "triage('assign_to')", "Assign to…", id="assign-to"),
    Binding("i", "triage('link')", "Link issue", id="link-issue"),
    Binding("C", "triage('edit_comment')", "Edit my comment", id="edit-comment"),
    Binding("H", "triage('history')", "History", id="history"),
    Binding("space", "select", "Select", id="select"),
    Binding("slash", "filter", "Filter", id="filter"),
    Binding("R", "refresh", "Refresh", id="refresh"),
    Binding("p", "pause", "Pause", id="pause"),
    Binding("s", "edit_query", "Edit query", show=False, id="edit-query"),
    Binding("L", "login", "Log in", show=False, id="login"),
    Binding("right_square_bracket", "section(1)", "Next section", show=False, id="next-section"),
    Binding("left_square_bracket", "section(-1)", "Prev section", show=False, id="prev-section"),
    Binding("tab", "pane(1)", "Next pane", show=False, id="next-pane"),
    Binding("shift+tab", "pane(-1)", "Previous pane", show=False, id="prev-pane"),
    Binding("escape", "clear", "Clear selection", show=False, id="clear-selection"),
]
PANES: tuple[Pane, ...] = ("prs", "issues", "messages")
OPTIONAL_PANES: tuple[Pane, ...] = ("inbox",)
QUERY_NAMES = {"github": "GitHub search", "jira": "JQL", "slack": "channels or search"}


def copy_id(item: Item) -> str:
    """What `Y` copies: a GitHub number (`gh pr checkout 123`), else the service's key."""
    number = item.number if isinstance(item, PullRequest | Issue) else None
    return str(number) if item.service == "github" and number else item.key


def close_verb(items: list[Item]) -> str:
    """What `x` will do to these items: close, reopen, or both (a mixed selection)."""
    kinds = {a.kind for a in triage.build("close", items)}
    return "/".join(sorted(kinds, key=("close", "reopen").index)) or "close"


def needs_login(fresh: Freshness | None) -> bool:
    """A freshness that only a new login fixes (AuthExpired, the keyring provider)."""
    return fresh is not None and fresh.cause is Cause.AUTH


# A short terminal drops what stands around the focused list before the list itself: it keeps
# LIST_ROWS rows while there is room. The rows the rest takes (app.tcss): the gateway cards
# 5, the status line and footer 2, each pane's border 2 and tab row 1.
LIST_ROWS = 3
CARDS_ROWS = 5
PANE_ROWS = 3
BARS_ROWS = 2


class Layout(NamedTuple):
    """What a terminal of some height leaves out, so the focused list keeps its rows."""

    stacked: bool  # wide: the panes not focused shrink to their title bars, as when narrow
    no_cards: bool  # the gateway cards go (the status line still says the section's state)
    no_others: bool  # the other panes' title bars go too (`tab` still reaches them)


def short_layout(height: int, panes: int) -> Layout:
    """The layout for `height` rows and `panes` panes. At 15 rows the cards alone left the
    focused list no row at all; wide, the panes share the height evenly, so each needs its
    list's rows (else they stack first)."""
    needs = BARS_ROWS + PANE_ROWS * panes + LIST_ROWS  # stacked, without the cards
    shared = BARS_ROWS + CARDS_ROWS + (PANE_ROWS + LIST_ROWS) * panes  # wide, evenly
    return Layout(height < shared, height < needs + CARDS_ROWS, height < needs)


class DashboardScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(TRIAGE_BINDINGS)

    paused: var[bool] = var(False, init=False)  # polling paused (p)
    pane_id: var[str] = var("prs", init=False)  # the active pane: PANES
    preview_shown: var[bool] = var(False, init=False)  # narrow: enter shows the preview

    def __init__(self) -> None:
        super().__init__(id="dashboard")
        self._open_items: set[str] = set()  # items with an action not yet done/failed
        # item -> when its action landed: a snapshot fetched before then cannot show it yet,
        # so the optimistic look stays until one fetched after (the freshness invariant)
        self._landed: dict[str, float] = {}
        self._last_message = ""
        self._message_pane = ""  # the pane the last message was about: shown only there
        self._panes: list[ItemPane] = []
        self._login_asked: set[str] = set()  # accounts already told their login expired
        self._batches: list[Batch] = []  # multi-item actions whose outcome is reported per item
        # create action item id -> (its placeholder's pane, when it landed or None)
        self._creating: dict[str, tuple[ItemPane, float | None]] = {}
        # item -> what I sent that its preview shows before the server's copy has it
        self._mine: dict[str, list[tuple[str, str, str]]] = {}
        self._unstored: str | None = None  # the item the preview says is not stored yet
        self._commands_running: list[item_command.Running] = []  # background [[commands]] in flight

    @property
    def zen(self) -> ZenApp:
        # Textual types `self.app` as App[object]; this screen is only ever pushed by ZenApp.
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        backend = self.zen.backend
        # the layout classes from the start: set on resize only, it restyled the whole screen
        self._fit(self.app.size)
        with Horizontal(id="cards"):
            for service in self.carded_services():
                yield ServiceCard(service)
        with Horizontal(id="main"):
            with Vertical(id="panes"):
                initial = self.zen.initial_snapshots
                for pane in self.pane_ids():
                    sections = [s for s in backend.sections if s.pane == pane]
                    item_pane = ItemPane(pane, sections, self.zen.clock)
                    # Known before mounting, so the pane's border takes its freshness colour
                    # in the first styling pass instead of a restyle right after it.
                    item_pane.snapshots.update(
                        (s.id, initial[s.id]) for s in sections if s.id in initial
                    )
                    item_pane.preset_classes()
                    item_pane.set_class(pane == self.pane_id, "-focused", update=False)
                    yield item_pane
            yield Preview(self.zen.clock)
        yield Static(id="status")
        yield KeyFooter(self.footer_shows)

    def on_mount(self) -> None:
        self._bind_commands()
        for sid, snap in self.zen.initial_snapshots.items():
            self.apply_snapshot(sid, snap, status=False)
        self._load_links()
        self.refresh_cards()  # the status line (and the footer's keys) once, for them all
        self.watch_pane_id(self.pane_id)
        self.query_one("#list-prs", ItemList).focus()

    # --- layout -----------------------------------------------------------------------------

    def carded_services(self) -> list[str]:
        """The services that get a gateway card: the configured ones (as on the health screen)."""
        return self.zen.configured_services()

    def pane_ids(self) -> tuple[Pane, ...]:
        """The three panes, then an optional one (the Inbox) only when it has sections."""
        configured = {s.pane for s in self.zen.backend.sections}
        return (*PANES, *(p for p in OPTIONAL_PANES if p in configured))

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size)

    def _fit(self, size: Size) -> None:
        layout = short_layout(size.height, len(self.pane_ids()))
        self.set_class(size.width >= WIDE, "-wide")
        self.set_class(layout.stacked, "-stacked")
        self.set_class(layout.no_cards, "-no-cards")
        self.set_class(layout.no_others, "-no-others")

    def panes(self) -> list[ItemPane]:
        if not self._panes:  # queried once: events call this often
            self._panes = list(self.query(ItemPane))
        return self._panes

    @property
    def pane(self) -> ItemPane:
        return self.query_one(f"#pane-{self.pane_id}", ItemPane)

    def watch_pane_id(self, pane_id: str) -> None:
        for pane in self.panes():
            pane.set_class(pane.pane == pane_id, "-focused")  # narrow: makes its list visible

    def watch_preview_shown(self, shown: bool) -> None:
        self.set_class(shown, "-show-preview")

    def watch_paused(self, paused: bool) -> None:
        self.zen.backend.set_paused(paused)
        self.refresh_status()

    def on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        # The pane of the focus now, not of the event's widget: two quick tabs bubble two
        # events up through two panes in no set order, and when the older one came last the
        # pane (the actions' target, the status line) went back to a pane without the focus.
        focused = self.focused
        for pane in self.panes():
            if focused is not None and (focused in pane.walk_children() or focused is pane):
                self.pane_id = pane.pane
                self._focus_sections(pane)
                self.refresh_status()
                self._load_detail(pane.cursor_item)

    # --- state from events ------------------------------------------------------------------

    def apply_snapshot(self, section_id: str, snapshot: Any, status: bool = True) -> None:
        """Show a section's snapshot; `status`: the status line too (the mount's first
        snapshots leave it to one refresh after them all)."""
        fetched = snapshot.freshness.fetched_at
        self._landed = {
            i: at for i, at in self._landed.items() if fetched is None or fetched - at < LANDED_KEEP
        }
        older = {i for i, at in self._landed.items() if fetched is None or fetched < at}
        for pane in self.panes():
            if any(s.id == section_id for s in pane.sections):
                pane.update_snapshot(section_id, snapshot)
                pane.clear_overrides(keep=self._open_items | older)
        self._arrived(section_id, fetched)
        if status:
            self.refresh_status()
        # The preview said "not stored": listed again, what a listing answered (live, or by
        # the cache within its TTL) shows is stored (or it is gone). Not on a failed poll's
        # snapshot: that would ask again, and again.
        answered = snapshot.freshness.answered
        if answered and any(item.id == self._unstored for item in snapshot.items):
            self._load_detail(self.pane.cursor_item)

    def on_section_updated(self, message: messages.SectionUpdated) -> None:
        event = message.event
        with suppress(NoMatches):  # one that lands while the app tears down
            self.apply_snapshot(event.section_id, event.snapshot)
            self._offer_login(event)

    def on_section_activity_changed(self, message: messages.SectionActivityChanged) -> None:
        event = message.event
        with suppress(NoMatches):
            for pane in self.panes():
                if any(s.id == event.section_id for s in pane.sections):
                    pane.set_activity(event.section_id, event.activity)
            self.refresh_status()

    def on_action_updated(self, message: messages.ActionUpdated) -> None:
        with suppress(NoMatches):
            self._apply_action(message.event)

    def _apply_action(self, event: ActionUpdated) -> None:
        row = RowState(event.state, event.kind, event.reason)
        for pane in self.panes():
            pane.set_row_state(event.item_id, row)
        if event.state in _OPEN:
            self._open_items.add(event.item_id)
            return
        self._open_items.discard(event.item_id)
        if event.kind == "create":
            self._created(event)
            return
        if event.state == ActionState.DONE:
            self._landed[event.item_id] = event.at
        if event.state == ActionState.FAILED:
            self._mine.pop(event.item_id, None)  # not sent: the preview stops showing it
            self._refresh_preview(event.item_id)
            for pane in self.panes():
                pane.set_override(event.item_id, None)  # roll the optimistic look back
        batch = next((b for b in self._batches if b.note(event)), None)
        if batch is not None:  # one line for the whole batch, once every item has an outcome
            if batch.finished():
                self._batches.remove(batch)
                self._say(batch.summary(), "error" if batch.failed() else "information")
            return
        key = event.item_id.split(":", 1)[-1]
        if event.state == ActionState.FAILED:
            self._say(f"{event.kind} on {key} failed: {event.reason or 'unknown error'}", "error")
        elif LANDED_BEFORE_CANCEL in (event.reason or ""):  # the user thought it taken back
            self._say(f"{event.kind} on {key} was sent: {event.reason}", "warning")
        elif event.progress is None or event.progress[0] == event.progress[1]:
            self._say(f"{event.kind} done", "information", notify=False)

    def on_selection_filtered(self, _message: SelectionFiltered) -> None:
        self.refresh_status()

    def on_link_added(self, _message: messages.LinkAdded) -> None:
        with suppress(NoMatches):
            self._load_links()

    def _load_links(self) -> None:
        """Cross-links from the store (they survive restarts): row markers and the preview."""
        try:
            links = self.zen.backend.links(None)
        except Exception as exc:  # the rows still show; only the markers are missing
            self._say(f"cannot read the links: {exc}", "warning", notify=False)
            return
        linked = frozenset(links)
        for pane in self.panes():
            pane.set_linked(linked)
        self.query_one(Preview).set_links(links)

    def _created(self, event: ActionUpdated) -> None:
        """A create landed (its placeholder says the new key until a refresh of the account
        fetched after it) or failed (the placeholder goes: rollback)."""
        pane, _ = self._creating.get(event.item_id, (None, None))
        if event.state == ActionState.FAILED:
            self._creating.pop(event.item_id, None)
            if pane is not None:
                pane.drop_pending(event.item_id)
            self._say(f"creating an issue failed: {event.reason or 'unknown error'}", "error")
            return
        reason = event.reason or ""
        if pane is not None:
            self._creating[event.item_id] = (pane, event.at)
            if reason.startswith("created "):
                pane.rename_pending(event.item_id, reason.removeprefix("created "))
        self._say(reason or "issue created", "information")

    def _arrived(self, section_id: str, fetched: float | None) -> None:
        """Placeholders of landed creates go once a snapshot of their account's section is
        fetched after the create: the issue is in it now, or does not match its query."""
        section = next((s for s in self.zen.backend.sections if s.id == section_id), None)
        if section is None or fetched is None:
            return
        for item_id, (pane, landed) in list(self._creating.items()):
            mine = item_id.split(":", 1)[0] == section.account
            if mine and landed is not None and fetched >= landed:
                pane.drop_pending(item_id)
                del self._creating[item_id]

    def refresh_cards(self, now: float | None = None) -> None:
        """The cards, then the status line, which says the breaker as the card now shows it
        (`open, 27s left`): the two never disagree, not even for a second."""
        now = self.zen.clock() if now is None else now
        for card in self.query(ServiceCard):
            card.show(self.zen.health_model.status(card.service), now)
        self.refresh_status()

    def tick(self) -> None:
        """Every second: countdowns; badges age."""
        for pane in self.panes():
            pane.render_tabs()  # each tab's badge ages too
            pane.refresh_title()
        self.refresh_cards(self.zen.clock())

    def breaker_said(self, service: str) -> str:
        """The breaker as the service's card shows it (drawn from the same model at the same
        instant): an event or a tick between two redraws cannot make the two disagree."""
        with suppress(NoMatches):
            return self.query_one(f"#card-{service}", ServiceCard).breaker_said
        return breaker_text(self.zen.health_model.status(service), self.zen.clock())

    def refresh_status(self) -> None:
        parts = [self.pane.status_text(self.breaker_said)]
        selected = self.pane.selected_count
        if selected:
            # the selection acts on rows the filter hides too: say so, or `l` on "2 items"
            # with two other rows on screen labels what nobody sees
            hidden = self.pane.selected_hidden
            also = f", {hidden} hidden by the filter" if hidden else ""
            parts.append(f"{selected} selected{also}")
        if self.paused:
            parts.append("polling paused (p)")
        waiting = self._connection_text()
        if waiting and waiting != self._last_message:  # a form may have just said it
            parts.append(waiting)
        fresh = self.pane.freshness
        if needs_login(fresh):
            parts.append(f"{self.zen.key_for('login')}: log in")
        if self._last_message and self._message_pane == self.pane_id:
            parts.append(self._last_message)
        show(self.query_one("#status", Static), plain(" · ".join(parts)))  # data: never markup
        self.query_one(KeyFooter).update_keys()  # the item under the cursor may take others

    def say_connection(self, account: str) -> None:
        """Before a call that needs this account's client: if it is not built yet, say so
        (connecting, or why it could not be) while the call waits for it alone."""
        backend = self.zen.backend
        if not backend.connected(account):
            self._say(backend.connection(account).describe(), notify=False)

    def _connection_text(self) -> str:
        """The focused section's account, while it is not built: `connecting to work…`, or
        why it could not be (another account's build is none of this pane's business)."""
        section = self.pane.section
        if section is None:
            return ""
        status = self.zen.health_model.status(section.service)
        waiting = status.unconnected.get(section.account)
        return waiting.describe() if waiting is not None else ""

    def footer_shows(self, binding: Binding) -> bool:
        """The footer lists a triage key only when it applies to the focused pane's item (or
        selection): no Transition on a pull request, no Merge on a Slack message; a custom
        command only on its pane."""
        action = binding.action
        if action == "create_issue":
            return bool(jira_accounts(self))
        if action.startswith("run_command("):
            index = int(action.removeprefix("run_command(").removesuffix(")"))
            return self.zen.options.commands[index].pane in (None, self.pane_id)
        if action == "diff":
            action = "triage('diff')"  # not a write, but it fits only pull requests
        if not action.startswith("triage("):
            return True
        try:
            triage.check(
                action.removeprefix("triage('").removesuffix("')"), self.pane.selected_items()
            )
        except triage.NotApplicable:
            return False
        return True

    def say(self, text: str, severity: SeverityLevel = "information", notify: bool = True) -> None:
        self._say(text, severity, notify)

    def _say(self, text: str, severity: SeverityLevel = "information", notify: bool = True) -> None:
        self._last_message, self._message_pane = text, self.pane_id
        if notify:
            self.notify(text, severity=severity)
        self.refresh_status()

    # --- preview ----------------------------------------------------------------------------

    @on(ItemList.Highlighted)
    def _highlighted(self, event: ItemList.Highlighted) -> None:
        if self.pane.shows(event.item_list):
            self._load_detail(event.item)

    def _load_detail(self, item: Item | None) -> None:
        preview = self.query_one(Preview)
        self._unstored = None
        if item is not None:  # a row leaves its body and URL in the store (models.as_row)
            try:
                item = self.zen.backend.full_item(item)
            except NotStored as exc:  # never a blank preview: why, until it is stored
                self._unstored = item.id
                preview.show(item, not_stored_detail(item, exc))
                return
        preview.show(item, None)
        if item is not None:
            self._fetch_detail(item)

    def whole(self, items: list[Item]) -> list[Item] | None:
        """`items` read whole (Backend.full_item: a row leaves its URL, description and
        number in the store) to act on; None, and why on the status line, when one is not in
        the local store: never an empty link opened, copied or handed to a command."""
        try:
            return [self.zen.backend.full_item(item) for item in items]
        except NotStored as exc:
            self._say(str(exc), "warning")
            return None

    @work(exclusive=True, group="detail", exit_on_error=False)
    async def _fetch_detail(self, item: Item) -> None:
        try:
            detail = await self.zen.backend.details(item)
        except NotStored as exc:  # the store lost it since it was read whole
            detail = not_stored_detail(item, exc)
        except Exception as exc:  # show what we have and why the rest is missing
            detail = ItemDetail(item.id, body=body_of(item), error=str(exc))
        self.post_message(DetailLoaded(item.id, detail))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        preview = self.query_one(Preview)
        item = self.pane.cursor_item
        if item is not None and item.id == message.item_id:
            detail = message.detail
            mine = self._mine.get(item.id)
            if mine:
                detail = triage.with_mine(detail, mine)
            preview.show(item, detail)

    def _refresh_preview(self, item_id: str) -> None:
        """The item under the cursor changed by my hand: fetch and draw its preview again."""
        item = self.pane.cursor_item
        if item is not None and item.id == item_id:
            self._load_detail(item)

    def action_preview(self) -> None:
        self.preview_shown = not self.preview_shown
        self._load_detail(self.pane.cursor_item)

    def action_diff(self) -> None:
        """D: the PR's changed files and patches in the preview; D again: back to it."""
        preview = self.query_one(Preview)
        if preview.diff is not None:
            preview.hide_diff()
            return
        item = self.pane.cursor_item
        try:
            triage.check("diff", [item] if item else [])
        except triage.NotApplicable as exc:
            self._say(str(exc), "warning")
            return
        assert item is not None
        self.preview_shown = True  # narrow: the preview takes the screen, as enter does
        preview.show_diff(item, None)
        self._fetch_diff(item)

    @work(exclusive=True, group="diff", exit_on_error=False)
    async def _fetch_diff(self, item: Item) -> None:
        try:
            diff = await self.zen.backend.diff(item)
        except Exception as exc:  # say why; D goes back to the preview
            diff = PullDiff(item.id, error=str(exc))
        preview = self.query_one(Preview)
        if preview.diff is not None and preview.diff[0].id == item.id:
            preview.show_diff(item, diff)

    # --- simple actions ---------------------------------------------------------------------

    def action_open(self) -> None:
        item = self.pane.cursor_item
        if item is None:
            self._say("nothing to open: this section is empty", "warning")
            return
        whole = self.whole([item])  # a row's URL is in the store
        if whole is None:
            return
        item = whole[0]
        url = url_of(item)
        from zen_tui.web_links import refusal  # loaded when an item is first opened

        account = next((a for a in self.zen.accounts if a.name == item.account), None)
        refused = refusal(url, item.service, account.base_url if account else None)
        if refused:  # the URL is the server's: only its own web pages, never file:// & co
            self._say(refused, "warning")
            return
        if open_in_browser(self.app, url):
            self._say(f"opened {url}", notify=False)
        else:
            self._say(f"no browser on this console; open {url}", notify=False)

    def action_copy(self, what: str) -> None:
        """`y` the URL, `Y` the number (GitHub) or key (Jira, Slack), of the cursor's item or
        of each selected one, one a line. Through OSC 52: works over ssh too."""
        items = self.pane.selected_items()
        if not items:
            self._say("nothing to copy: this section is empty", "warning")
            return
        whole = self.whole(items)  # a row's URL, number: stored
        if whole is None:
            return
        texts = [url_of(item) if what == "url" else copy_id(item) for item in whole]
        self.app.copy_to_clipboard("\n".join(texts))
        kind = "URLs" if what == "url" else "ids"
        shown = texts[0] if len(texts) == 1 else f"{len(texts)} {kind}"
        self._say(f"copied {shown}", notify=False)

    def action_select(self) -> None:
        self.pane.select_and_next(advance=self.zen.options.select_advances)
        self.refresh_status()

    def action_clear(self) -> None:
        """The selection first; with none, the filter kept with `enter` (the guide's `esc`);
        with neither, the preview `enter` opened beside a narrow list (esc did nothing there:
        only `enter` again closed it)."""
        pane = self.pane
        if pane.selected_count:
            pane.clear_selection()
        elif not pane.clear_kept_filter() and not self.has_class("-wide"):
            self.preview_shown = False
        self.refresh_status()

    def action_pane(self, delta: int) -> None:
        panes = self.pane_ids()
        self.pane_id = panes[(panes.index(self.pane_id) + delta) % len(panes)]
        # Now, not after the repaint that shows it (narrow): the next key of a burst goes to
        # the focus this leaves (zen_tui.ui.key_gate), and `tab j` moved the old list.
        self.pane.focus_list()

    def action_section(self, delta: int) -> None:
        self.pane.switch_section(delta)
        self._focus_sections(self.pane)
        self.refresh_status()

    def _focus_sections(self, pane: ItemPane) -> None:
        """The sections on screen poll more often: the tab's, or every one on the Inbox's All."""
        ids = [s.id for s in pane.shown_sections()]
        self.zen.backend.set_focus(ids[0] if ids else None, *ids[1:])

    def action_filter(self) -> None:
        self.pane.open_filter()

    @work(group="refresh", exit_on_error=False)
    async def action_refresh(self) -> None:
        pane = self.pane
        section = pane.section
        busy = f"refreshing {section.title if section else 'all'}…"
        if pane.showing_all:  # the Inbox's All tab shows every one of its sections at once
            busy = "refreshing the inbox…"
        self._say(busy, notify=False)
        try:
            if pane.showing_all:
                await asyncio.gather(*(self.zen.backend.refresh(s.id) for s in pane.sections))
            else:
                await self.zen.backend.refresh(section.id if section else None)
        except Exception as exc:  # the badge keeps showing the old data and why
            self._say(f"refresh failed: {exc}", "error")
            return
        if self._last_message == busy:  # done: the badge says how fresh it is now
            self._say("", notify=False)

    def _offer_login(self, event: SectionUpdated) -> None:
        """Say once per account that its login expired, with the key; never a modal."""
        section = next((s for s in self.zen.backend.sections if s.id == event.section_id), None)
        if section is None or not needs_login(event.snapshot.freshness):
            if section is not None:
                self._login_asked.discard(section.account)
            return
        if section.account not in self._login_asked:
            self._login_asked.add(section.account)
            key = self.zen.key_for("login")
            reason = event.snapshot.freshness.reason or ""
            said = (  # an account logged out on purpose has not "expired"
                f"not logged in; press {key} to log in"
                if reason.startswith("not logged in")
                # a token from the environment beats a login: the fix is in the variable
                else reason
                if reason.startswith("the token in $")
                else f"login expired; press {key} to log in again"
            )
            self.notify(
                f"{section.account}: {said}",
                severity="warning",
                timeout=15,
            )

    def action_edit_query(self) -> None:
        pane = self.pane
        if pane.showing_all:  # several queries behind one list: ask which
            self._pick_section(pane, "Edit the query of", self._edit_query)
            return
        if pane.section is None:
            self._say("no section here: list sections in the config", "warning")
            return
        self._edit_query(pane.section)

    def _pick_section(
        self, pane: ItemPane, prompt: str, then: Callable[[SectionInfo], None]
    ) -> None:
        """A picker of the pane's sections (`Slack mentions · slack`), then `then(section)`."""
        from zen_tui.ui.screens.modals import PickerModal

        names = [f"{s.title} · {s.account}" for s in pane.sections]

        def picked(name: str | None) -> None:
            if name is not None:
                then(pane.sections[names.index(name)])

        self.zen.push_dialog(PickerModal(prompt, names), picked)

    def _edit_query(self, section: SectionInfo) -> None:
        from zen_tui.ui.screens.modals import QueryModal  # the dialogs load when one opens

        path = self.zen.options.config_path
        no_save = "" if path else "no config file (demo): ctrl+s cannot save, enter keeps it"
        modal = QueryModal(
            f"{section.title}: {QUERY_NAMES.get(section.service, 'query')}",
            section.query,
            partial(self.zen.backend.set_query, section.id),
            no_save=no_save,
        )
        self.zen.push_dialog(modal, partial(self._query_set, section.id))

    def _query_set(self, section_id: str, result: tuple[str, bool] | None) -> None:
        # the backend's word on the section's query, even when the dialog was left while the
        # server was being asked (the answer may have come and been taken)
        section = next(s for s in self.zen.backend.sections if s.id == section_id)
        for pane in self.panes():
            pane.sections = [section if s.id == section_id else s for s in pane.sections]
        if result is None:
            return
        query, save = result
        said = f"{section.title}: query set for this session"
        path = self.zen.options.config_path
        if save and path is not None:
            # The config writer loads when a query is first saved: most sessions never do.
            from zen_tui.config_writer import CannotSave, save_section_query

            pane_name, index, _account = section_id.split(":", 2)
            try:
                save_section_query(path, pane_name, int(index), query)
            except CannotSave as exc:
                self._say(f"{section.title}: query set; {exc}", "warning")
                return
            said = f"{section.title}: query set and saved to {path}"
        self._say(said, notify=False)

    def action_login(self) -> None:
        """Log in to the tab's account; on the Inbox's All tab to the one whose login
        expired (else the login screen asks which)."""
        pane = self.pane
        section = pane.section
        if pane.showing_all:
            expired = [s for s in pane.sections if needs_login(pane.section_freshness(s))]
            section = expired[0] if expired else None
        self.zen.action_login(section.account if section else None)

    def action_pause(self) -> None:
        self.paused = not self.paused  # watch_paused tells the backend
        # while paused the status line carries "polling paused (p)" already; say it once
        self._say("" if self.paused else "polling resumed", notify=False)

    # --- custom commands ([[commands]]) ----------------------------------------------------

    def _bind_commands(self) -> None:
        """Each command the app found no clash for, on its key; the footer shows it on its
        pane only (footer_shows)."""
        for n in self.zen.active_commands:
            command = self.zen.options.commands[n]
            wanted = (command.key, f"run_command({n})", command.title)
            for binding in Binding.make_bindings([wanted]):
                self._bindings.key_to_bindings.setdefault(binding.key, []).append(binding)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Commands of different panes may share a key: the binding of another pane's command
        steps aside (Textual then runs the next binding of the key, and the footer shows it)."""
        if action == "run_command" and parameters:
            return not self._stands_aside(int(str(parameters[0])))
        return True

    def _stands_aside(self, index: int) -> bool:
        commands = self.zen.options.commands
        command = commands[index]
        if command.pane in (None, self.pane_id):
            return False
        key = key_char(command.key)
        return any(
            key_char(commands[n].key) == key and commands[n].pane in (None, self.pane_id)
            for n in self.zen.active_commands
        )

    def action_run_command(self, index: int) -> None:
        command = self.zen.options.commands[index]
        if command.pane not in (None, self.pane_id):
            self._say(f"{command.title} runs on the {command.pane} pane", "warning")
            return
        item = self.pane.cursor_item
        if item is None:
            self._say(f"{command.title}: this section is empty", "warning")
            return
        from zen_tui.ui import item_command  # here: only a [[commands]] entry runs one

        whole = self.whole([item])  # {url} is in the store
        if whole is None:
            return
        item = whole[0]
        try:
            prepared = item_command.prepare(command, item, self.zen.options.repo_paths)
        except item_command.Refused as exc:
            self._say(str(exc), "warning")
            return
        if command.mode == "suspend":
            self._run_in_terminal(prepared)
            return
        if any(r.label == prepared.label for r in self._commands_running):  # not twice on one item
            self._say(f"{prepared.label} is still running; {self._cancel_hint()}", "warning")
            return
        running = item_command.Running(
            prepared, command.timeout, self.zen.clock(), grace=command.grace
        )
        self._commands_running.append(running)
        self._say(f"{prepared.label}: running… ({self._cancel_hint()})", notify=False)
        self._run_background(running)

    def _cancel_hint(self) -> str:
        return f"{self.zen.key_for('command-palette')} → Cancel stops it"

    @work(group="commands", exit_on_error=False)
    async def _run_background(self, running: item_command.Running) -> None:
        from zen_tui.ui import item_command

        try:
            ended = await item_command.run_background(running)
        finally:
            self._commands_running.remove(running)
        severity: SeverityLevel = "information" if ended.ok else "error"
        if ended.stopped:  # cancelled or timed out: a toast says so, wherever the user is
            severity = "warning"
        self._say(ended.said, severity, notify=ended.stopped)

    @property
    def running_commands(self) -> list[item_command.Running]:
        """The background commands in flight, oldest first (the palette offers to cancel
        each)."""
        return list(self._commands_running)

    def cancel_command(self, running: item_command.Running) -> None:
        """Stop a background command: its outcome (`… cancelled: stopped`) comes when its
        process group is gone."""
        if running in self._commands_running:
            self._say(f"{running.label}: cancelling…", notify=False)
            running.cancel()

    def _run_in_terminal(self, prepared: item_command.Prepared) -> None:
        from zen_tui.ui import item_command

        try:
            with self.app.suspend():
                code = item_command.run_in_terminal(prepared)
        except SuspendNotSupported:  # no terminal to hand over (a test, textual-web)
            self._say(f"{prepared.label}: cannot hand over the terminal here", "error")
            return
        except OSError as exc:
            self._say(f"{prepared.label} could not start: {exc}", "error")
            return
        self._say(item_command.outcome(prepared.label, code), notify=False)

    def keys_here(self) -> set[str]:
        """Binding ids that act on the focused pane now (`?` lists them first): the dashboard's
        keys that apply to its item, and moving in its list."""
        ids = {b.id for b in ItemList.BINDINGS if isinstance(b, Binding) and b.id}
        for b in TRIAGE_BINDINGS:
            if b.id and self.footer_shows(b):
                ids.add(b.id)
        return ids

    def commands_here(self) -> list[tuple[str, str, str]]:
        """(id, key, title) of the custom commands bound on this pane, for the help screen."""
        rows = []
        for n in self.zen.active_commands:
            command = self.zen.options.commands[n]
            if command.pane in (None, self.pane_id):
                rows.append((f"commands[{n + 1}]", command.key, command.title))
        return rows

    # --- triage -----------------------------------------------------------------------------

    def action_triage(self, command: str) -> None:
        items = self.pane.selected_items()
        try:
            triage.check(command, items)
        except triage.NotApplicable as exc:
            self._say(str(exc), "warning")
            return
        ask = _ASK.get(command)
        if ask is None:
            self._send(command, items, "")
        else:
            ask(self, command, items)

    def named(self, items: list[Item]) -> str:
        """`3 items`, or the one item as a person names it (a message: channel and time)."""
        return f"{len(items)} items" if len(items) > 1 else item_label(items[0], self.zen.clock())

    def _ask_text(self, command: str, items: list[Item]) -> None:
        from zen_tui.ui.screens.modals import EditorModal, InputModal  # with TextArea: on use

        n = self.named(items)
        if command == "label":
            modal: Any = InputModal(f"Add a label to {n}", "e.g. bug")
        else:
            modal = EditorModal(f"{command.capitalize()} on {n}")
        self.zen.push_dialog(modal, self._then(command, items))

    def _ask_confirm(self, command: str, items: list[Item]) -> None:
        from zen_tui.ui.screens.modals import ConfirmModal

        verb = close_verb(items)
        n = self.named(items)
        modal = ConfirmModal(f"Really {verb} {n}?")

        def answered(yes: bool | None) -> None:
            if yes:
                self._send(command, items, "")
            else:
                self._cancelled(verb, n)

        self.zen.push_dialog(modal, answered)

    def _cancelled(self, what: str, n: str) -> None:
        self._say(f"{what} on {n} cancelled: nothing sent", notify=False)

    def _ask_reaction(self, command: str, items: list[Item]) -> None:
        from zen_tui.ui.screens.modals import PickerModal

        modal = PickerModal("React with", list(triage.REACTIONS))
        self.zen.push_dialog(modal, self._then(command, items))

    @keys_wait
    @work(group="transition", exit_on_error=False)
    async def _ask_transition(self, command: str, items: list[Item]) -> None:
        # The read may wait for a rate-limit token (up to 30 s under a 429 storm): say so
        loading = f"loading the transitions of {self.named(items)}…"
        self._say(loading, notify=False)
        if len(items) > 1:  # by target status, each item by its own transition
            loaded = partial(self._unsay, loading)
            await self._jira_dialog(
                lambda: _jira_flows().move_by_status(self, items, loaded), items
            )
            self._unsay(loading)  # the read failed: said, or nothing to clear
            return
        try:
            detail = await self.zen.backend.details(items[0])
        except Exception as exc:
            self._say(f"cannot load the transitions of {self.named(items[:1])}: {exc}", "error")
            return
        if not detail.transitions and detail.error:  # not fetched: say why, not "none"
            self._say(
                f"cannot load the transitions of {self.named(items[:1])}: {detail.error}", "error"
            )
            return
        if not detail.transitions:
            self._say(f"no transitions available for {self.named(items[:1])}", "warning")
            return
        from zen_tui.ui.screens.modals import PickerModal

        modal = PickerModal(f"Move {self.named(items[:1])} to", list(detail.transitions))
        self._unsay(loading)
        self.zen.push_dialog(modal, self._then_screen(command, items, detail.screens))

    def _then_screen(
        self, command: str, items: list[Item], screens: dict[str, tuple[ScreenField, ...]]
    ) -> Callable[[str | None], None]:
        """After the transition is picked: the fields its screen requires, if any, are asked
        for before anything is queued (Jira refuses the transition without them), with the
        comment box its screen lists as optional."""
        plain = self._then(command, items)

        def picked(name: str | None) -> None:
            if name and screens.get(name):
                self._ask_screen(command, items, name, screens[name])
            else:
                plain(name)

        return picked

    @keys_wait
    @work(group="transition", exit_on_error=False)
    async def _ask_screen(
        self, command: str, items: list[Item], name: str, needs: tuple[ScreenField, ...]
    ) -> None:
        """A picker for each field with allowed values, then one form of the free-text ones
        (a date, a number, a text: each checked by its schema type; the comment the screen
        lists as optional, which may stay empty); escape on any of them sends nothing."""
        from zen_tui.ui.screens.forms import FormModal, screen_field
        from zen_tui.ui.screens.modals import PickerModal

        n = self.named(items)
        typed = [need for need in needs if not need.allowed]
        unaskable = [need for need in typed if need.kind not in triage.TYPED_KINDS]
        if unaskable:  # a user, a list, a document: no box to type it in
            self._say(
                f'"{name}" needs {unaskable[0].name}; give it with `zen-tui act transition '
                f"{items[0].id} transition=NAME fields=JSON` (see docs/cli.md)",
                "warning",
            )
            return
        chosen: dict[str, str] = {}
        for need in needs:
            if need.allowed:
                prompt = f'"{name}" on {n} needs {need.name}'
                value = await self.zen.ask_dialog(PickerModal(prompt, list(need.allowed)))
                if value is None:
                    self._cancelled(command, n)
                    return
                chosen[need.key] = value
        if typed:  # "needs" only for what is required: an optional comment box may stay empty
            needed = " needs" if any(t.required for t in typed) else ""
            form = FormModal(f'"{name}" on {n}{needed}', [screen_field(t) for t in typed])
            values = await self.zen.ask_dialog(form)
            if values is None:
                self._cancelled(command, n)
                return
            chosen.update(values)
        self._send(command, items, name, triage.screen_params(needs, chosen))

    @keys_wait
    @work(group="merge", exit_on_error=False)
    async def _ask_merge(self, command: str, items: list[Item]) -> None:
        # the repositories' merge settings first: GitHub refuses a method one turned off
        loading = f"reading which merge methods {self.named(items)} may use…"
        self._say(loading, notify=False)

        def answered(actions: list[Action] | None) -> None:
            if actions is None:
                self._cancelled(command, self.named(items))
            else:
                self.queue_actions(items, actions)

        await _merge_flow().merge(self, items, partial(self._unsay, loading), answered)

    def _unsay(self, note: str) -> None:
        """Clear a progress note once its wait is over, unless something else was said since."""
        if self._last_message == note:
            self._say("", notify=False)

    # --- across services: an issue from a message (N), a share to Slack (S) -----------------

    @keys_wait
    @work(group="crosslink", exit_on_error=False)
    async def _ask_issue(self, command: str, items: list[Item]) -> None:
        message = items[0]
        assert isinstance(message, Message)  # triage.check said so
        await _crosslink_flows().issue_from_message(self, message)

    @keys_wait
    @work(group="crosslink", exit_on_error=False)
    async def _ask_share(self, command: str, items: list[Item]) -> None:
        await _crosslink_flows().share(self, items[0])

    def submit_steps(self, steps: list[crosslink.Step], said: str) -> None:
        # The row it comes from (a Jira create's own item is its project: no row of its own)
        item_id = steps[0][1] or steps[0][0].item_id
        for pane in self.panes():
            pane.set_row_state(item_id, RowState(ActionState.PENDING, steps[0][0].kind))
        self._open_items.add(item_id)
        self._submit_chain(steps, said)

    @work(group="submit", exit_on_error=False)
    async def _submit_chain(self, steps: list[crosslink.Step], said: str) -> None:
        try:
            await self.zen.backend.submit_chain(steps)
        except Exception as exc:
            item_id = steps[0][1] or steps[0][0].item_id
            self._open_items.discard(item_id)
            for pane in self.panes():
                pane.set_row_state(
                    item_id, RowState(ActionState.FAILED, steps[0][0].kind, str(exc))
                )
            self._say(f"could not queue {steps[0][0].kind}: {exc}", "error")
            return
        self._say(said + self._sent_when([action for action, _ in steps]), notify=False)

    def _then(self, command: str, items: list[Item]) -> Callable[[str | None], None]:
        def done(value: str | None) -> None:
            if value:
                self._send(command, items, value)
            else:
                self._cancelled(command, self.named(items))

        return done

    def _send(
        self, command: str, items: list[Item], value: str, extra: dict[str, str] | None = None
    ) -> None:
        actions = [
            replace(a, params={**a.params, **extra}) if extra else a
            for a in triage.build(command, items, value)
        ]
        for action in actions:  # what I wrote shows in the preview until the server's copy has it
            added = triage.mine_in_preview(action, value)
            if added is not None:
                self._mine.setdefault(action.item_id, []).append(added)
                self._refresh_preview(action.item_id)
        self.queue_actions(items, actions)

    def queue_actions(self, items: list[Item], actions: list[Action]) -> None:
        """Show each item's optimistic look and queue the actions (one per item, matched by
        item id); a batch's outcome is reported per item when all are in."""
        by_id = {i.id: i for i in items}
        for action in actions:
            item = by_id[action.item_id]
            for pane in self.panes():
                pane.set_override(item.id, triage.optimistic(item, action))
                pane.set_row_state(item.id, RowState(ActionState.PENDING, action.kind))
            self._open_items.add(item.id)
        if len(actions) > 1:
            self._batches.append(Batch(actions, {i.id: i.key for i in items}))
        self.pane.clear_selection()
        self._submit(actions)

    # --- Jira dialogs (zen_tui.ui.screens.jira_flows) -------------------------------------------

    def action_create_issue(self) -> None:
        self._create_issue()

    @keys_wait
    @work(group="jira-dialog", exclusive=True, exit_on_error=False)
    async def _create_issue(self) -> None:
        action = await self._dialog(lambda: _jira_flows().create_issue(self))
        if action is None:
            return
        pane = self.query_one("#pane-issues", ItemPane)
        site = next((a.base_url or "" for a in self.zen.accounts if a.name == action.account), "")
        pane.add_pending(_jira_flows().placeholder(action, site))
        self._creating[action.item_id] = (pane, None)
        self._submit([action])

    @keys_wait
    @work(group="jira-dialog", exclusive=True, exit_on_error=False)
    async def _ask_jira(self, command: str, items: list[Item]) -> None:
        flows: dict[str, Callable[[], Any]] = {
            "edit": lambda: _jira_flows().edit_fields(self, items[0]),
            "assign_to": lambda: _jira_flows().assign_to(self, items),
            "link": lambda: _jira_flows().link_issue(self, items),
            "edit_comment": lambda: _jira_flows().edit_comment(self, items[0]),
        }
        if command == "history":
            await self._show_history(items[0])
            return
        await self._jira_dialog(flows[command], items)

    async def _jira_dialog(self, flow: Callable[[], Any], items: list[Item]) -> None:
        found = await self._dialog(flow)
        actions = found if isinstance(found, list) else [found] if found else []
        if actions:
            self.queue_actions(items, [_jira_flows().checked(a) for a in actions])

    async def _dialog(self, flow: Callable[[], Any]) -> Any:
        """Run a dialog; a refusal or a failed read is said in one line, never raised."""
        try:
            return await flow()
        except _jira_flows().NoJira as exc:
            self._say(str(exc), "warning")
        except Exception as exc:  # a read the form needed failed (outage, 4xx)
            from zen_tui.gateway.errors import GatewayError

            # a gateway error's str() names the service: "Jira: jira: …" said it twice
            why = exc.summary() if isinstance(exc, GatewayError) else str(exc)
            self._say(f"cannot ask Jira: {why}", "error")
        return None

    async def _show_history(self, item: Item) -> None:
        self._say(f"loading the history of {item.key}…", notify=False)
        detail = await self._dialog(lambda: _jira_flows().history(self, item))
        if detail is None:
            return
        self.preview_shown = True  # narrow: the preview takes the screen
        self.post_message(DetailLoaded(item.id, detail))
        self._say(f"history of {item.key}: {len(detail.history or ())} changes", notify=False)

    @work(group="submit", exit_on_error=False)
    async def _submit(self, actions: list[Any]) -> None:
        try:
            await self.zen.backend.submit(actions)
        except Exception as exc:  # the outbox refused: undo the optimistic look
            for action in actions:
                self._open_items.discard(action.item_id)
                for pane in self.panes():
                    pane.set_override(action.item_id, None)
                    pane.set_row_state(
                        action.item_id, RowState(ActionState.FAILED, action.kind, str(exc))
                    )
            ids = {a.item_id for a in actions}  # no outcome will come for these
            self._batches = [b for b in self._batches if not ids & set(b.keys)]
            self._say(f"could not queue {actions[0].kind}: {exc}", "error")
            return
        n = f"{len(actions)} items" if len(actions) > 1 else "1 item"
        self._say(f"{actions[0].kind} queued for {n}{self._sent_when(actions)}", notify=False)

    def _sent_when(self, actions: list[Any]) -> str:
        """An action for an account not built yet waits in the outbox for that account."""
        backend = self.zen.backend
        waiting = sorted({a.account for a in actions if not backend.connected(a.account)})
        if not waiting:
            return ""
        now = backend.connection(waiting[0])
        if now.state == "failed":  # "…; jira: not connected (why): sent once it connects"
            return f"; {now.describe()}: sent once it connects"
        return f"; sent once {now.account} is connected"

    # --- unknown keys -----------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        # (A key typed right after `c` or `l` in one burst is the dialog's text: the key gate
        # hands it to the dialog once it is up, it never comes here.)
        if not event.is_printable or isinstance(self.focused, Input):
            return
        if key_char(event.key) not in self.zen.bound_keys():
            self._say(f"{event.key!r} does nothing here: press ? for the keys", "warning")


# What asks for a triage action's input first; the answer is discarded (a worker, for the
# transitions: they are read from the server).
_ASK: dict[str, Callable[[DashboardScreen, str, list[Item]], object]] = {
    "label": DashboardScreen._ask_text,
    "comment": DashboardScreen._ask_text,
    "reply": DashboardScreen._ask_text,
    "merge": DashboardScreen._ask_merge,
    "close": DashboardScreen._ask_confirm,
    "react": DashboardScreen._ask_reaction,
    "transition": DashboardScreen._ask_transition,
    "issue": DashboardScreen._ask_issue,
    "share": DashboardScreen._ask_share,
    "edit": DashboardScreen._ask_jira,
    "assign_to": DashboardScreen._ask_jira,
    "link": DashboardScreen._ask_jira,
    "edit_comment": DashboardScreen._ask_jira,
    "history": DashboardScreen._ask_jira,
}


class Batch:
    """The actions of one multi-item command, to report the outcome per item at the end."""

    def __init__(self, actions: list[Action], keys: dict[str, str]) -> None:
        self.kind = actions[0].kind
        self.target = actions[0].params.get("to") or actions[0].params.get("transition", "")
        self.keys = {a.item_id: keys.get(a.item_id, a.item_id) for a in actions}
        self.outcomes: dict[str, tuple[bool, str]] = {}

    def note(self, event: ActionUpdated) -> bool:
        """Record a final state; False if the event is not about this batch."""
        if event.item_id not in self.keys or event.kind != self.kind:
            return False
        self.outcomes[event.item_id] = (event.state == ActionState.DONE, event.reason or "")
        return True

    def finished(self) -> bool:
        return len(self.outcomes) == len(self.keys)

    def failed(self) -> list[str]:
        return [self.keys[i] for i, (ok, _) in self.outcomes.items() if not ok]

    def summary(self) -> str:
        """`transition to Done: 2 done (OPS-1, OPS-2), 1 failed (OPS-3: conflict: ...)`."""
        what = f"{self.kind} to {self.target}" if self.target else self.kind
        done = [self.keys[i] for i, (ok, _) in self.outcomes.items() if ok]
        failed = [f"{self.keys[i]}: {why}" for i, (ok, why) in self.outcomes.items() if not ok]
        parts = [f"{len(done)} done ({', '.join(done)})"] if done else []
        if failed:
            parts.append(f"{len(failed)} failed ({'; '.join(failed)})")
        return f"{what}: {', '.join(parts)}"


def jira_accounts(screen: DashboardScreen) -> list[str]:
    """The Jira accounts of the config (`c` creates an issue only when there is one)."""
    return [a.name for a in screen.zen.accounts if a.service == "jira"]


def _jira_flows() -> ModuleType:
    """The Jira dialogs, loaded when one opens: with them the forms and Textual's TextArea,
    which the first paint does not need."""
    from zen_tui.ui.screens import jira_flows

    return jira_flows


def _merge_flow() -> ModuleType:
    """The merge dialogs, loaded when `m` is first pressed (as the Jira ones)."""
    from zen_tui.ui.screens import merge_flow

    return merge_flow


def _crosslink_flows() -> ModuleType:
    """The cross-service dialogs, loaded when one opens (as the Jira ones)."""
    from zen_tui.ui.screens import crosslink_flows

    return crosslink_flows


def not_stored_detail(item: Item, exc: NotStored) -> ItemDetail:
    """The preview of a row whose item the store does not hold (NotStored): what the row
    shows, and why the description is missing, never "(no description)"."""
    return ItemDetail(item.id, body="(the description shows once it is stored)", error=str(exc))
