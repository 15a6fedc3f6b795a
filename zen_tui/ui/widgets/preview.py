"""The preview of the selected item: PR body, checks, reviews, mergeability; issue
description and comments; message thread. Renders an `ItemDetail` it is given."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from zen_tui.models import (
    Issue,
    Item,
    ItemDetail,
    Message,
    PullDiff,
    PullRequest,
    body_of,
    format_age,
    item_label,
    parse_iso,
)
from zen_tui.store.rows import Link
from zen_tui.text_safety import clean
from zen_tui.timefmt import local_time
from zen_tui.ui.signals import (
    BAD,
    NO_SIGNALS,
    OK,
    SIGNAL_CLASSES,
    WARN,
    Signals,
    on_theme_change,
    signal_css,
    signal_styles,
)
from zen_tui.ui.widgets.diff_view import DIFF_CLASSES, diff_css, render_diff

_STATUS_SIGNAL = {"success": OK, "failure": BAD, "pending": WARN}
GOOD_COPIES = 200  # complete previews kept for an outage (most recently shown first)
# How much of a body (and of each comment) the preview lays out. Wrapping costs ~3 us a
# character at each paint: a 4 MB body (a hostile or broken server; GitHub caps bodies at
# 65,536 characters) held the dashboard for minutes, and even GitHub's cap took 0.2 s.
BODY_CHARS = 16_000
COMMENT_CHARS = 4_000


def render_detail(
    item: Item,
    detail: ItemDetail | None,
    note: str = "",
    signals: Signals = NO_SIGNALS,
    links: Sequence[Link] = (),
    now: float | None = None,
) -> Text:
    """Every string here is server data: appended as plain Text (never markup), cleaned of
    terminal controls; bodies and comments keep their newlines and tabs. `note` says why
    this is not a fresh copy: `cached 2m (github: offline)`."""
    text = Text()
    # a message: channel and time, dated when `now` is another day (not read as today's)
    text.append(f"{clean(item_label(item, now))}\n", style="bold")
    text.append(f"{clean(item.title)}\n", style="bold underline")
    text.append(clean(_summary(item)) + "\n\n", style="dim")
    if note:
        text.append(f"{clean(note)}\n\n", style=signals[WARN])
    if links:
        _section(text, "Linked", [link_line(link) for link in links], signals)
        text.append("\n")
    if detail is None:  # what the listing already told us, until the rest arrives
        text.append("loading…\n\n", style="italic dim")
        _body(text, body_of(item), signals)
        return text
    if detail.error:
        text.append(f"partial: {clean(dedupe_errors(detail.error))}\n\n", style=signals[WARN])
    _body(text, detail.body, signals)
    if detail.extra.get("mergeable"):
        text.append(f"\nmergeable: {clean(str(detail.extra['mergeable']))}\n")
    _section(text, "Checks", [f"{n}: {s}" for n, s in detail.checks], signals)
    _section(text, "Reviews", [f"{a}: {s}" for a, s in detail.reviews], signals)
    title = "Thread" if isinstance(item, Message) else "Comments"
    comments = [f"{a}: {cut(t, COMMENT_CHARS)[0]}" for a, t in detail.comments]
    _section(text, title, comments, signals)
    _section(text, "Transitions (t)", list(detail.transitions), signals)
    if detail.history is not None:
        lines = [f"{history_time(when, now)} {who}: {what}" for when, who, what in detail.history]
        _section(text, "History (newest first)", lines or ["no changes recorded"], signals)
    return text


def _body(text: Text, body: str | None, signals: Signals) -> None:
    shown, left = cut(body or "(no description)", BODY_CHARS)
    text.append(clean(shown, multiline=True) + "\n")
    if left:
        more = f"… {left:,} more characters not shown here: open it in the browser to read them"
        text.append(f"{more}\n", style=signals[WARN])


def cut(text: str, limit: int) -> tuple[str, int]:
    """At most `limit` characters of `text` (a cut one ends in `…`), and how many are left."""
    if len(text) <= limit:
        return text, 0
    return text[:limit] + "…", len(text) - limit


def history_time(when: str, now: float | None) -> str:
    """A change's time as every other time in the app: local, with its zone (and its date when
    not today). Jira writes `2026-11-27T09:01:12.345+0000`; anything else is shown as sent."""
    moment = parse_iso(when)
    if moment is None:
        return clean(when)
    return local_time(moment.timestamp(), now=time.time() if now is None else now)


def link_line(link: Link) -> str:
    """One cross-link as the preview lists it: what the other end is, its id, its page."""
    made = link.kind in ("create_issue", "create")
    if link.outgoing:
        what = "issue made from this" if made else "shared to Slack as"
    else:
        what = "made from Slack message" if made else "shares"
    return " ".join(part for part in (f"{what}:", link.other_id, link.url) if part)


def _section(text: Text, title: str, lines: list[str], signals: Signals) -> None:
    if not lines:
        return
    text.append(f"\n{title}\n", style="bold")
    for line in lines:
        signal = _STATUS_SIGNAL.get(line.rsplit(": ", 1)[-1].lower())
        text.append(f"  {clean(line, multiline=True)}\n", style=signals[signal] if signal else "")


def _summary(item: Item) -> str:
    if isinstance(item, PullRequest):
        return f"{item.repo} · by {item.author} · {item.state} · checks {item.check_status or '-'}"
    if isinstance(item, Issue):
        where = item.repo or item.project or item.service  # as a PR: where it lives
        return f"{where} · {item.status} · {item.assignee or 'unassigned'}"
    if isinstance(item, Message):
        return f"{item.channel} · {item.author} · {item.reply_count} replies"
    return ""


class Preview(VerticalScroll):
    COMPONENT_CLASSES = set(SIGNAL_CLASSES) | DIFF_CLASSES
    DEFAULT_CSS = (
        """
    Preview { border: round $foreground 30%; padding: 0 1; background: $surface; }
    Preview:focus-within { border: round $primary; }
    """
        + signal_css("Preview")
        + diff_css("Preview")
    )

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__(id="preview")
        self.border_title = "Preview"
        self.item_id: str | None = None
        self.clock = clock
        self._good: OrderedDict[str, tuple[ItemDetail, float]] = OrderedDict()
        self._shown: tuple[Item, ItemDetail | None, str] | None = None
        self.links: dict[str, list[Link]] = {}  # by item id, from the store (the dashboard's)
        # The diff view (D) of the item shown: None = the normal preview; loading = (item, None)
        self.diff: tuple[Item, PullDiff | None] | None = None

    def compose(self) -> ComposeResult:
        yield Static("select an item", id="preview-body")

    def on_mount(self) -> None:
        on_theme_change(self, self._repaint)

    def show(self, item: Item | None, detail: ItemDetail | None) -> None:
        """`detail` None = still loading. A complete detail is remembered; while loading, or
        when the fetch failed, the last complete copy is shown with its age and the reason,
        like a pane's badge."""
        if item is None or item.id != self.item_id:
            self.diff = None  # another item: its normal preview first
        self.item_id = item.id if item else None
        self._shown = self._content(item, detail) if item else None
        self._repaint()

    def show_diff(self, item: Item, diff: PullDiff | None) -> None:
        """The diff view of `item` (`diff` None = loading); ignored once another item shows."""
        if item.id != self.item_id:
            return
        self.diff = (item, diff)
        self.border_title = "Diff"
        self._repaint()
        if diff is None:
            self.scroll_home(animate=False)

    def hide_diff(self) -> None:
        self.diff = None
        self._repaint()

    def _repaint(self) -> None:
        """Draw what `show` chose, in the current theme's colours."""
        body = self.query_one("#preview-body", Static)
        self.border_title = "Diff" if self.diff is not None else "Preview"
        if self.diff is not None:
            styles = {n: self.get_component_rich_style(n, partial=True) for n in DIFF_CLASSES}
            body.update(render_diff(*self.diff, styles=styles))
        elif self._shown is None:
            body.update("select an item")
        else:
            item = self._shown[0]
            links = self.links.get(item.id, ())
            signals = signal_styles(self)
            body.update(render_detail(*self._shown, signals, links, now=self.clock()))

    def set_links(self, links: dict[str, list[Link]]) -> None:
        self.links = links
        self._repaint()

    def _content(
        self, item: Item, detail: ItemDetail | None
    ) -> tuple[Item, ItemDetail | None, str]:
        """What to draw: (item, the detail to show, the note saying why it is not fresh)."""
        if detail is not None and not detail.error:
            self._good[item.id] = (detail, self.clock())
            self._good.move_to_end(item.id)
            while len(self._good) > GOOD_COPIES:
                self._good.popitem(last=False)
            return item, detail, ""
        good = self._good.get(item.id)
        if good is None:
            return item, detail, ""
        copy, at = good
        age = format_age(max(0.0, self.clock() - at))
        why = "loading…" if detail is None else f"({dedupe_errors(detail.error or '')})"
        return item, copy, f"cached {age} {why}"


def dedupe_errors(error: str) -> str:
    """The services join one error per failed sub-request with "; "; an outage fails them all
    the same way, so say each distinct reason once. A reason that another one says more of
    goes too: the call that opens a breaker says "github: breaker open", the ones after it
    "github: breaker open until 14:02:05"."""
    parts = dict.fromkeys(part.strip() for part in error.split("; ") if part.strip())
    return "; ".join(p for p in parts if not any(o.startswith(p + " ") for o in parts))
