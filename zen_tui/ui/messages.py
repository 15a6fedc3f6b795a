"""Typed Textual messages: how bus events and worker results reach the widgets.

Messages go up, attributes down: the app forwards the bus onto the UI loop (`BusEvent`) and
posts what the dashboard needs as its own messages; the dashboard never gets called by name.
"""

from __future__ import annotations

from textual.message import Message

from zen_tui.events import Event
from zen_tui.models import ItemDetail
from zen_tui.sync import backend


class BusEvent(Message):
    """A gateway or sync event, forwarded from the bus onto the UI loop."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class DetailLoaded(Message):
    """A preview's ItemDetail arrived from `Backend.details`."""

    def __init__(self, item_id: str, detail: ItemDetail) -> None:
        super().__init__()
        self.item_id = item_id
        self.detail = detail


class SectionUpdated(Message):
    """The app tells the dashboard: a section has a new snapshot (the bus event inside)."""

    def __init__(self, event: backend.SectionUpdated) -> None:
        super().__init__()
        self.event = event


class ActionUpdated(Message):
    """The app tells the dashboard: an outbox action changed state (the bus event inside)."""

    def __init__(self, event: backend.ActionUpdated) -> None:
        super().__init__()
        self.event = event


class LinkAdded(Message):
    """The app tells the dashboard: a cross-link was stored (the bus event inside)."""

    def __init__(self, event: backend.LinkAdded) -> None:
        super().__init__()
        self.event = event


class SectionActivityChanged(Message):
    """The app tells the dashboard: a section's refresh retries, waits, or stopped doing so."""

    def __init__(self, event: backend.SectionActivity) -> None:
        super().__init__()
        self.event = event


def for_dashboard(event: Event) -> Message | None:
    """The dashboard's message for a bus event, if the dashboard cares about it."""
    if isinstance(event, backend.SectionUpdated):
        return SectionUpdated(event)
    if isinstance(event, backend.ActionUpdated):
        return ActionUpdated(event)
    if isinstance(event, backend.SectionActivity):
        return SectionActivityChanged(event)
    if isinstance(event, backend.LinkAdded):
        return LinkAdded(event)
    return None
