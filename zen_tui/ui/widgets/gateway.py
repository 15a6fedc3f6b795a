"""Per-service gateway cards: breaker lamp, token gauge, retries, cache hits, outbox.

Each card renders a `ServiceStatus` from the event-fed HealthModel; it never asks anyone.
Its colours are the theme's signals (zen_tui.ui.signals).
"""

from __future__ import annotations

import math

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from zen_tui.models import format_age
from zen_tui.ui.health_model import ScopeQuota, ServiceStatus
from zen_tui.ui.safe import show
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

_LAMP = {"closed": ("●", OK), "open": ("●", BAD), "half-open": ("◐", WARN)}


def gauge(value: float, capacity: float, width: int = 8) -> str:
    filled = 0 if capacity <= 0 else round(width * max(0.0, min(1.0, value / capacity)))
    return "▰" * filled + "▱" * (width - filled)


def whole(tokens: float) -> int:
    """Tokens as the card counts them: whole requests that can start now. The bar is drawn
    from the same number, so `0/1` never sits beside a half-full bar."""
    return max(0, math.floor(tokens + 1e-9))


def breaker_text(s: ServiceStatus, now: float) -> str:
    if s.breaker != "open" or s.half_open_at is None:
        return s.breaker
    if s.half_open_at <= now:  # its wait is over: the next call is the probe
        return "open, probe due"
    return f"open, {format_age(s.half_open_at - now)} left"  # fits 23 cells: 80 columns


def render_status(s: ServiceStatus, now: float, signals: Signals = NO_SIGNALS) -> Text:
    """Five short lines (≤ 24 cells) so three cards fit side by side in 80 columns."""
    glyph, signal = _LAMP.get(s.breaker, ("?", WARN))
    colour = signals[signal]
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{glyph} ", style=colour + Style(bold=True))
    text.append(f"{s.service} ", style="bold")
    waiting = s.connection_text()
    if waiting:  # an account of it is not built: no breaker to speak of yet
        down = any(c.state == "failed" for c in s.unconnected.values())
        text.append(waiting + "\n", style=signals[BAD if down else WARN])
    else:
        text.append(breaker_text(s, now) + "\n", style=colour if s.breaker != "closed" else "")
    scopes = s.scopes()
    if len(scopes) > 1:  # GitHub: core and search (and graphql) each have their own budget
        for name, quota in _shown_scopes(scopes, now):
            text.append(scope_line(name, quota, now) + "\n")
    else:
        _tok_and_srv(text, s, now)
    wait = f" last {s.last_wait:.1f}s" if s.last_wait is not None else ""
    text.append(
        f"retry {s.retries_in_flight}/{s.retries_total}{wait}\n",
        style=signals[WARN] if s.retries_in_flight else "",
    )
    ratio = s.hit_ratio
    hits = "-" if ratio is None else f"{ratio:.0%}"
    text.append(f"cache {hits} 304x{s.revalidations} ")
    out_style = signals[BAD] if s.outbox_failed else (signals[WARN] if s.outbox_pending else "")
    failed = f" ✗{s.outbox_failed}" if s.outbox_failed else ""
    text.append(f"out {s.outbox_pending}{failed}", style=out_style)
    return text


def _tok_and_srv(text: Text, s: ServiceStatus, now: float) -> None:
    pause = s.pause(now)
    if pause is not None:  # a rate limit's pause: no request before it ends, tokens or not
        text.append(f"tok paused {format_age(pause[1])}\n")
    elif s.tokens is not None and s.capacity:
        n = whole(s.tokens)
        text.append(f"tok {gauge(n, s.capacity)} {n}/{s.capacity:.0f}\n")
    else:
        text.append("tok -\n", style="dim")
    if s.remaining is None:
        text.append("srv -\n", style="dim")
    elif s.reset_at is not None and s.reset_at <= now:  # that window is over: a new quota
        text.append("srv quota reset\n", style="dim")
    else:
        reset = f" reset {format_age(s.reset_at - now)}" if s.reset_at else ""
        text.append(f"srv {s.remaining} left{reset}\n")


def _shown_scopes(scopes: list[tuple[str, ScopeQuota]], now: float) -> list[tuple[str, ScopeQuota]]:
    """The first two scopes; a paused one further down takes the second line (a pause is
    what the card must not hide)."""
    shown = scopes[:2]
    paused = [kv for kv in scopes[2:] if kv[1].paused_for(now) > 0]
    if paused and shown[1][1].paused_for(now) <= 0:
        shown[1] = paused[0]
    return shown


def scope_line(name: str, q: ScopeQuota, now: float) -> str:
    """`search ▰▰▰▰▰▱ 27 42s`: the server's remaining quota when it reported one (bar of
    remaining/limit), else the client bucket's whole tokens; then the time to its reset.
    `core   paused 14m` while a rate limit pauses it."""
    if q.paused_for(now) > 0:
        return f"{name[:6]:<6} paused {format_age(q.paused_for(now))}"
    if q.remaining is not None and q.limit and (q.reset_at is None or q.reset_at > now):
        value, full = q.remaining, float(q.limit)
    else:
        value, full = whole(q.tokens), q.capacity
    reset = f" {format_age(q.reset_at - now)}" if q.reset_at and q.reset_at > now else ""
    return f"{name[:6]:<6} {gauge(value, full, 6)} {value}{reset}"


class ServiceCard(Static):
    COMPONENT_CLASSES = set(SIGNAL_CLASSES)
    DEFAULT_CSS = """
    ServiceCard {
        width: 1fr; height: 5; padding: 0 1; background: $panel; margin-right: 1;
        text-wrap: nowrap; text-overflow: ellipsis;  /* a long line never pushes the rest off */
    }
    ServiceCard.-open { background: $error 25%; }
    ServiceCard.-half-open { background: $warning 25%; }
    """ + signal_css("ServiceCard")

    def __init__(self, service: str) -> None:
        super().__init__(id=f"card-{service}")
        self.service = service
        self.breaker = "closed"
        self.breaker_said = "closed"  # its breaker line as drawn: the status line says the same
        self._shown: tuple[ServiceStatus, float] | None = None

    def on_mount(self) -> None:
        on_theme_change(self, self._repaint)

    def _repaint(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

    def show(self, status: ServiceStatus, now: float) -> None:
        self._shown = (status, now)
        show(self, render_status(status, now, signal_styles(self)))  # each tick: often the same
        self.breaker = status.breaker
        self.breaker_said = breaker_text(status, now)
        self.set_class(status.breaker == "open", "-open")
        self.set_class(status.breaker == "half-open", "-half-open")
        # the card's line is cut at 24 cells: the whole reason on hover
        waiting = status.connection_text()
        self.tooltip = Text(waiting) if waiting else None  # a reason is data, never markup
