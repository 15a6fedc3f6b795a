"""The health screen: per-endpoint table, latency and request-rate sparklines per service,
the breaker transition log and the recent errors. Renders the app's HealthModel."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Label, Sparkline, Static

from zen_tui.text_safety import clean
from zen_tui.timefmt import local_time
from zen_tui.ui.health_model import ErrorRecord, HealthModel
from zen_tui.ui.safe import plain
from zen_tui.ui.signals import (
    BAD,
    OK,
    SIGNAL_CLASSES,
    WARN,
    on_theme_change,
    signal_css,
    signal_styles,
)
from zen_tui.ui.widgets.key_footer import KeyFooter


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


class HealthScreen(Screen[None]):
    # `q` goes back, as it closes help: the app's `q` (quit) would end the app from here
    BINDINGS = [Binding("escape,q,h,H", "app.pop_screen", "Back", id="health-close")]
    COMPONENT_CLASSES = set(SIGNAL_CLASSES)
    DEFAULT_CSS = (
        signal_css("HealthScreen")
        + """
    HealthScreen #endpoints { height: auto; max-height: 14; border: round $foreground 30%; }
    HealthScreen #sparks { height: auto; }
    HealthScreen .spark-box { width: 1fr; height: 6; border: round $foreground 30%; }
    HealthScreen Sparkline { height: 1; margin: 0 1; }
    HealthScreen #logs { height: 1fr; grid-size: 2; }
    HealthScreen #breakers, HealthScreen #errors {
        border: round $foreground 30%; height: 100%; overflow-y: auto;
        text-wrap: nowrap; text-overflow: ellipsis;  /* cut, not wrapped: the short parts lead */
    }
    """
    )

    def __init__(
        self,
        model: HealthModel,
        clock: Callable[[], float],
        services: Sequence[str] | None = None,
    ) -> None:
        """`services`: the ones to show a box for (the app passes its configured services,
        as the dashboard's cards do); None shows every service the model knows."""
        super().__init__()
        self.model = model
        self.clock = clock
        self.services = list(model.services if services is None else services)

    def compose(self) -> ComposeResult:
        table: DataTable[str | Text] = DataTable(
            id="endpoints", cursor_type="row", zebra_stripes=True
        )
        # Calls: requests sent (a 304 revalidation is one); Cached: answered from the cache
        table.border_title = "Endpoints (Calls: requests sent · Cached: cache hits, no request)"
        yield table
        with Horizontal(id="sparks"):
            for service in self.services:
                with Vertical(classes="spark-box", id=f"box-{service}") as box:
                    box.border_title = plain(service)
                    yield Label("latency", classes="dim")
                    yield Sparkline([], id=f"lat-{service}")
                    yield Label("requests/s")
                    yield Sparkline([], id=f"rate-{service}")
        with Grid(id="logs"):
            breakers = Static(id="breakers")
            breakers.border_title = "Breaker transitions"
            yield breakers
            errors = Static(id="errors")
            errors.border_title = "Recent errors"
            yield errors
        yield KeyFooter()  # a key that does not fit is left out whole (Footer cut one)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # the numbers first and the endpoint last: at 80 columns a long path is what is cut
        for label, key in (
            ("Service", "service"),
            ("Method", "method"),
            ("Calls", "count"),
            ("Cached", "hits"),
            ("Errors", "errors"),
            ("Last", "last"),
            ("p50 ms", "p50"),
            ("p95 ms", "p95"),
            ("Endpoint", "endpoint"),
        ):
            table.add_column(label, key=key)
        self.update_view()
        on_theme_change(self, self.update_view)

    def update_view(self) -> None:
        """Redraw from the model (the app calls it, throttled, when events arrive)."""
        now = self.clock()
        self._fill_table()
        for service in self.services:
            status = self.model.status(service)
            self.query_one(f"#lat-{service}", Sparkline).data = list(status.latencies) or [0.0]
            self.query_one(f"#rate-{service}", Sparkline).data = status.rate_series(now)
            # an account of it not set up yet: `connecting to work…` / `work: not connected (…)`
            self.query_one(f"#box-{service}").border_subtitle = plain(status.connection_text())
        self._fill_logs(now)

    def on_resize(self) -> None:
        self._fill_table()  # the endpoints are cut to the width there is

    def _fill_table(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        bad = signal_styles(self)[BAD]
        endpoints = sorted(self.model.endpoints.values(), key=lambda e: (e.service, e.endpoint))
        rows = [
            [
                clean(ep.service),
                clean(ep.method),
                str(ep.count),
                str(ep.hits),
                str(ep.errors),
                str(ep.last_status or "-"),
                _ms(ep.percentile(0.5)),
                _ms(ep.percentile(0.95)),
            ]
            for ep in endpoints
        ]
        room = _endpoint_room(table, rows)
        for ep, cells in zip(endpoints, rows, strict=True):
            table.add_row(  # Text cells: a str cell would be parsed as markup
                *map(Text, cells[:4]),
                Text(cells[4], style=bad if ep.errors else ""),
                *cells[5:],
                Text(cut_start(clean(ep.endpoint), room)),
            )

    def _fill_logs(self, now: float) -> None:
        signals = signal_styles(self)
        breakers = Text()
        for t in reversed(self.model.breaker_log):
            colour = signals[{"open": BAD, "half-open": WARN}.get(t.new, OK)]
            breakers.append(f"{local_time(t.at, now=now)} {clean(t.name)}: {t.old} → ", style="dim")
            breakers.append(t.new, style=colour)
            if t.half_open_at is not None:
                breakers.append(f" (half-open at {local_time(t.half_open_at, now=now)})")
            breakers.append("\n")
        self.query_one("#breakers", Static).update(breakers or Text("no transitions", "dim"))
        errors = Text()
        for e in reversed(self.model.errors):
            error_lines(errors, e, now, signals[BAD])
        self.query_one("#errors", Static).update(errors or Text("no errors", "dim"))


def _endpoint_room(table: DataTable[str | Text], rows: list[list[str]]) -> int:
    """The cells the Endpoint column (the last) has once the figures' columns are drawn, or
    0 before the table has a size (nothing is cut then)."""
    width = table.scrollable_content_region.width
    if width <= 0:
        return 0
    if not table.show_vertical_scrollbar:  # the rows may yet need one: keep its width free
        width -= table.styles.scrollbar_size_vertical
    pad = 2 * table.cell_padding
    labels = [str(c.label) for c in table.columns.values()][: len(rows[0]) if rows else 0]
    used = sum(
        max(cell_len(label), *(cell_len(row[i]) for row in rows)) + pad
        for i, label in enumerate(labels)
    )
    return max(0, width - used - pad)


def cut_start(text: str, room: int) -> str:
    """`text` cut from its start to `room` cells: endpoints share their start
    (`/repos/{owner}/{repo}/issues/{number}/labels`, `.../comments`), their end names them."""
    if room <= 1 or cell_len(text) <= room:
        return text
    tail = text
    while cell_len(tail) > room - 1:
        tail = tail[1:]
    return "…" + tail


def error_lines(text: Text, e: ErrorRecord, now: float, bad: Style) -> None:
    """Two lines per error, short parts first, as the box cuts each line at its width: the
    status, how often and when (the last time) fit even at 80 columns; then where, the call
    and the message, which is what gets cut."""
    text.append(error_status(e.status, stale=e.stale), style=bad)
    if e.repeats > 1:  # the same failure again: counted, the time is the last one's
        text.append(f" x{e.repeats}")
    text.append(f" {local_time(e.at, now=now)}\n", style="dim")
    tries = f" ({e.attempts} tries)" if e.attempts > 1 else ""
    text.append(f"  {clean(e.service)}/{clean(e.account)} ", style="dim")
    text.append(clean(f"{e.method} {e.endpoint}{tries}: "))
    text.append(f"{clean(e.error)}\n", style=bad)


def error_status(status: int | None, *, stale: bool = False) -> str:
    """A failed call served from the stale cache says so rather than print a bare 200 beside
    the error. Another 2xx was the answer itself, refusing in its body (Slack's HTTP 200
    ok:false, its error code beside it)."""
    if status is None:
        return "-"
    return f"{status} stale" if stale and status < 400 else str(status)
