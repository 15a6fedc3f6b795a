"""Versioned JSON for items and actions: exact round-trip, tolerant of future fields.

An item is stored as {"v": 1, "type": "pr" | "issue" | "message", "data": {...}}. On decode,
tuples come back as tuples and nested dataclasses (Reaction) as objects, guided by the type
hints, so a new model field needs no codec change. Unknown keys (written by a newer version)
are ignored; a missing field falls back to its default.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from zen_tui.models import Action, Issue, Item, Message, PullRequest, parse_iso

CODEC_VERSION = 1

_TAGS: dict[type, str] = {PullRequest: "pr", Issue: "issue", Message: "message"}
_TYPES: dict[str, type] = {tag: cls for cls, tag in _TAGS.items()}


class CodecError(ValueError):
    """A stored value that cannot be turned back into a model."""


def encode_item(item: Item) -> str:
    tag = _TAGS.get(type(item))
    if tag is None:
        raise CodecError(f"cannot store {type(item).__name__}: not a PullRequest, Issue or Message")
    doc = {"v": CODEC_VERSION, "type": tag, "data": _to_json(item)}
    return json.dumps(doc, separators=(",", ":"))


def decode_item(text: str) -> Item:
    try:
        doc = _loads(text)
        cls = _TYPES[doc["type"]]
        data = doc["data"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CodecError(f"unreadable stored item: {exc!r}") from None
    item: Item = _builder(cls)(data)
    return item


# What json.loads runs per document: the C scanner a JSONDecoder holds (untyped in typeshed).
_scan: Callable[[str, int], tuple[Any, int]] = vars(json.JSONDecoder())["scan_once"]


def _loads(text: str) -> Any:
    """json.loads(text), calling its C scanner directly: loads' checks and wrappers are 15% of
    parsing one small item, paid 10,000 times at start. Anything the scanner does not take
    whole (leading or trailing whitespace, bytes, bad JSON) goes to json.loads itself, so the
    value or the error is exactly loads'."""
    try:
        doc, end = _scan(text, 0)
    except (StopIteration, ValueError, TypeError):  # json.loads below gives the real error
        return json.loads(text)
    return doc if end == len(text) else json.loads(text)


def encode_action(action: Action) -> str:
    return json.dumps({"v": CODEC_VERSION, "data": _to_json(action)})


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
    moment = parse_iso(updated_at)
    if moment is not None:
        return moment.timestamp()
    try:
        return float(updated_at)
    except ValueError:
        return 0.0


# Per-class plans, computed once from the type hints: (field name, converter or None).
# Hand-rolled rather than dataclasses.asdict, which deep-copies and is ~3x slower on 10k items.
Converter = Callable[[Any], Any]


def _to_json(obj: Any) -> dict[str, Any]:
    out = {}
    cls: type = obj.__class__
    for name, nested in _encode_plan(cls):
        value = getattr(obj, name)
        out[name] = [_to_json(v) for v in value] if nested else value  # tuples dump as lists
    return out


def _build(cls: type, data: Any) -> Any:
    """The generic path: what _builder's functions do, and where they hand over the rare rows
    they do not handle (a required field missing), so errors read the same either way."""
    if not isinstance(data, dict):
        raise CodecError(f"stored {cls.__name__} is not an object")
    kwargs = {
        name: data[name] if convert is None else convert(data[name])
        for name, convert in _decode_plan(cls)
        if name in data  # unknown keys dropped, missing keys take the default
    }
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        raise CodecError(f"stored {cls.__name__} is incomplete: {exc}") from None


_ABSENT = object()


@cache
def _builder(cls: type) -> Callable[[Any], Any]:
    """A decoder for `cls` generated once from its decode plan: straight-line code with one
    `data.get` per field and a keyword call, instead of _build's loop, `in` test and **kwargs
    per item. About half of _build's time on the 10,000 items the dashboard decodes at start.
    A row missing a required field (or one with a default_factory) goes to _build."""
    env: dict[str, Any] = {"cls": cls, "ABSENT": _ABSENT, "slow": _build}
    body = ["def build(data):", "    if type(data) is not dict:", "        return slow(cls, data)"]
    call = []
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    for n, (name, convert) in enumerate(_decode_plan(cls)):
        env[f"c{n}"], env[f"d{n}"] = convert, defaults[name]
        body.append(f"    v{n} = data.get({name!r}, ABSENT)")
        present = "v{n}" if convert is None else f"c{n}(v{n})"
        if defaults[name] is dataclasses.MISSING:  # required: absent means the generic path
            body.append(f"    if v{n} is ABSENT:\n        return slow(cls, data)")
            body.append(f"    v{n} = {present.format(n=n)}" if convert else "")
        else:
            body.append(f"    v{n} = d{n} if v{n} is ABSENT else {present.format(n=n)}")
        call.append(f"{name}=v{n}")
    if hasattr(cls, "__post_init__") or not hasattr(cls, "__slots__"):
        body.append(f"    return cls({', '.join(call)})")
    else:  # the frozen __init__ sets each slot through object.__setattr__ by name: set directly
        env["new"] = object.__new__
        body.append("    obj = new(cls)")
        for n, (name, _) in enumerate(_decode_plan(cls)):
            env[f"s{n}"] = getattr(cls, name).__set__
            body.append(f"    s{n}(obj, v{n})")
        body.append("    return obj")
    exec("\n".join(line for line in body if line), env)  # only field names from our models
    built: Callable[[Any], Any] = env["build"]
    return built


@cache
def _encode_plan(cls: type) -> list[tuple[str, bool]]:
    """(name, is a tuple of dataclasses) per field."""
    return [(name, _nested_type(hint) is not None) for name, hint in _hints(cls)]


# Fields whose values repeat from item to item (who, where, which state, which labels): each
# distinct value is kept once (sys.intern), not once per item. 10,000 decoded PRs by a few
# dozen people in a few repos held ~4 MiB of copies of the same short strings.
SHARED_FIELDS = frozenset(
    {
        *("account", "service", "repo", "author", "state", "review_decision", "check_status"),
        *("requested_reviewers", "labels", "assignees", "status", "assignee", "priority"),
        *("project", "channel", "channel_id", "name"),
    }
)


@cache
def _decode_plan(cls: type) -> list[tuple[str, Converter | None]]:
    return [(name, _converter(hint, name in SHARED_FIELDS)) for name, hint in _hints(cls)]


def _converter(hint: Any, shared: bool) -> Converter | None:
    nested = _nested_type(hint)
    if nested is not None:
        return lambda value: tuple([_builder(nested)(v) for v in value])
    if typing.get_origin(hint) is tuple:
        return _shared_tuple if shared else tuple
    return _shared if shared else None  # other values: JSON gives them back as they were


def _shared(value: Any) -> Any:
    return sys.intern(value) if type(value) is str else value


def _shared_tuple(value: Any) -> tuple[Any, ...]:
    return tuple([_shared(v) for v in value])


def _nested_type(hint: Any) -> type | None:
    """The element class of a `tuple[SomeDataclass, ...]` hint, else None."""
    if typing.get_origin(hint) is tuple:
        inner = typing.get_args(hint)[0]
        if dataclasses.is_dataclass(inner) and isinstance(inner, type):
            return inner
    return None


def _hints(cls: type) -> list[tuple[str, Any]]:
    hints = typing.get_type_hints(cls)
    return [(f.name, hints[f.name]) for f in dataclasses.fields(cls)]
