"""Versioned JSON for items and actions: exact round-trip, tolerant of future fields.

An item is stored as {"v": 1, "type": "pr" | "issue" | "message", "data": {...}}. On decode,
tuples come back as tuples and nested dataclasses (Reaction) as objects, guided by the type
hints, so a new model field needs no codec change. Unknown keys (written by a newer version)
are ignored; a missing field falls back to its default.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import UTC, datetime
from functools import cache
from typing import Any

from zen_tui.models import Action, Issue, Item, Message, PullRequest

CODEC_VERSION = 1

_TAGS: dict[type, str] = {PullRequest: "pr", Issue: "issue", Message: "message"}
_TYPES: dict[str, type] = {tag: cls for cls, tag in _TAGS.items()}


class CodecError(ValueError):
    """A stored value that cannot be turned back into a model."""


def encode_item(item: Item) -> str:
    tag = _TAGS.get(type(item))
    if tag is None:
        raise CodecError(f"cannot store {type(item).__name__}: not a PullRequest, Issue or Message")
    data = dataclasses.asdict(item)
    return json.dumps({"v": CODEC_VERSION, "type": tag, "data": data}, separators=(",", ":"))


def decode_item(text: str) -> Item:
    try:
        doc = json.loads(text)
        cls = _TYPES[doc["type"]]
        data = doc["data"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CodecError(f"unreadable stored item: {exc!r}") from None
    item: Item = _build(cls, data)
    return item


def encode_action(action: Action) -> str:
    return json.dumps({"v": CODEC_VERSION, "data": dataclasses.asdict(action)})


def decode_action(text: str) -> Action:
    try:
        action: Action = _build(Action, json.loads(text)["data"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CodecError(f"unreadable stored action: {exc!r}") from None
    return action


def sort_key(updated_at: str) -> float:
    """Epoch seconds of an ISO 8601 (or Slack epoch-string) timestamp; 0.0 if unparseable.

    Sorting on this rather than on the string keeps '...Z', '+00:00' and '+0000' in order.
    """
    try:
        moment = datetime.fromisoformat(updated_at)
    except ValueError:
        pass
    else:  # a naive time is taken as UTC, never as the machine's local time
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    try:
        return float(updated_at)
    except ValueError:
        return 0.0


def _build(cls: type, data: Any) -> Any:
    if not isinstance(data, dict):
        raise CodecError(f"stored {cls.__name__} is not an object")
    hints = _hints(cls)
    kwargs = {
        f.name: _convert(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)
        if f.name in data  # unknown keys dropped, missing keys take the default
    }
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        raise CodecError(f"stored {cls.__name__} is incomplete: {exc}") from None


def _convert(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin is tuple and isinstance(value, list):
        inner = typing.get_args(hint)[0]
        return tuple(_convert(inner, v) for v in value)
    if origin in (typing.Union, types.UnionType):
        return value  # Optional scalars: JSON already gives the right type or None
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _build(hint, value)
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)
