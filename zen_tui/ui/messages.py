"""Typed Textual messages: how bus events and worker results reach the widgets."""

from __future__ import annotations

from textual.message import Message

from zen_tui.events import Event
from zen_tui.models import ItemDetail


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
